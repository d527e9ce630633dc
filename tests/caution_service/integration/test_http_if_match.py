"""Optimistic concurrency over HTTP: If-Match names the version the caller last saw."""

from __future__ import annotations

import pytest

from tests.caution_fixtures import Steps, assert_problem


@pytest.fixture
def booked(steps: Steps) -> str:
    """A caution at version 2 (issued, A booked)."""
    cid = steps.issue()["id"]
    assert steps.schedule(cid, "A", 10).headers["etag"] == '"2"'
    return cid


def test_stale_if_match_is_412_with_the_current_etag(steps: Steps, booked: str) -> None:
    response = steps.schedule(booked, "A", 12, occurred=2, reason="venue closed", headers={"If-Match": '"1"'})

    body = assert_problem(response, 412)
    assert body["type"].endswith("stale-version")
    assert response.headers["etag"] == '"2"'
    assert steps.get(booked).json()["version"] == 2


def test_current_if_match_is_accepted(steps: Steps, booked: str) -> None:
    response = steps.schedule(booked, "A", 12, occurred=2, reason="venue closed", headers={"If-Match": '"2"'})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"3"'
    assert response.json()["workshops"]["A"]["booked_for"].startswith("2026-03-14")


@pytest.mark.parametrize("if_match", ['W/"2"', "*"])
def test_weak_and_wildcard_if_match_are_accepted(steps: Steps, booked: str, if_match: str) -> None:
    response = steps.attend(booked, "A", 10, headers={"If-Match": if_match})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"3"'


@pytest.mark.parametrize("if_match", ['"abc"', "two", '"-1"', '"2.0"', '""', "x" * 150])
def test_malformed_if_match_is_400(steps: Steps, booked: str, if_match: str) -> None:
    response = steps.attend(booked, "A", 10, headers={"If-Match": if_match})

    status = response.status_code
    assert status in (400, 422), response.text  # over-long header values are refused by validation
    assert_problem(response, status)
    if len(if_match) < 100:
        assert status == 400
    assert steps.get(booked).json()["version"] == 2


def test_if_match_is_checked_before_the_domain_rules(steps: Steps, booked: str) -> None:
    """A stale version wins over a command that would also break a rule: the caller must re-read first."""
    response = steps.complete(booked, 11, headers={"If-Match": '"1"'})

    assert_problem(response, 412)
