"""Issuing an ineligible caution over HTTP: 422 naming every failed rule, nothing recorded."""

from __future__ import annotations

from datetime import date

from tests.caution_fixtures import Steps, assert_problem
from tests.support import caution_payload


def test_several_failed_rules_are_all_named(steps: Steps) -> None:
    payload = caution_payload(
        offender={"date_of_birth": "2010-01-01"},  # 16 on the offence date
        offence={"relationship": "family_member", "category": "other", "admitted": False},
        history={"serving_community_sentence": True},
        victim={"dash_risk": "high", "agrees": False},
        issuing_officer={"rank": "constable", "authorised_person": False},
    )

    response = steps.client.post("/v1/cautions", json=payload, headers=steps.police)

    body = assert_problem(response, 422)
    assert body["type"].endswith("not-eligible")
    assert {e["rule"] for e in body["errors"]} == {
        "offender_must_be_adult",
        "relationship_must_be_intimate_partner",
        "offence_must_be_eligible_category",
        "offender_must_have_admitted_offence",
        "not_serving_community_sentence",
        "victim_risk_must_be_standard_or_medium",
        "victim_must_be_consulted_and_agree",
        "issuer_must_be_sergeant_or_authorised",
    }
    assert all(e["message"] for e in body["errors"])
    assert "location" not in response.headers and "etag" not in response.headers


def test_recent_domestic_abuse_disposal_and_missing_charge_decision(steps: Steps) -> None:
    payload = caution_payload(
        history={"last_domestic_abuse_disposal_on": date(2025, 6, 1).isoformat()},
        offence={"evidence_sufficient_to_charge": False},
    )

    body = assert_problem(steps.client.post("/v1/cautions", json=payload, headers=steps.police), 422)

    assert {e["rule"] for e in body["errors"]} == {
        "no_recent_domestic_abuse_disposal", "evidence_must_be_sufficient_to_charge",
    }


def test_a_refused_caution_retried_with_the_same_key_is_refused_again(steps: Steps) -> None:
    payload = caution_payload(victim={"dash_risk": "high"})
    headers = {**steps.police, "Idempotency-Key": "ineligible-1"}

    first = steps.client.post("/v1/cautions", json=payload, headers=headers)
    second = steps.client.post("/v1/cautions", json=payload, headers=headers)

    assert_problem(first, 422)
    assert_problem(second, 422)
    assert second.json()["errors"] == first.json()["errors"]
