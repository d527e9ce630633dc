"""GET /v1/cautions: filters, force isolation, cursor pagination; GET /v1/statistics."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, ok, quiet_client
from tests.support import FakeClock, at, auth, iso


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _ids(response: object) -> list[str]:
    return [item["id"] for item in ok(response)["items"]]


def test_status_filter_returns_exactly_the_cautions_in_that_status(steps: ReadSteps) -> None:
    active = steps.issue()["id"]
    completed = steps.completable()["id"]
    steps.run(steps.complete(completed, 41))
    withdrawn = steps.issue()["id"]
    steps.run(steps.withdraw(withdrawn, 3, "Issued in error."))
    pending = steps.issue()["id"]
    steps.run(steps.schedule(pending, "A", 10), steps.miss(pending, "A", 10))
    steps.project()

    assert set(_ids(steps.listing())) == {active, completed, withdrawn, pending}
    assert _ids(steps.listing(status="active")) == [active]
    assert _ids(steps.listing(status="completed")) == [completed]
    assert _ids(steps.listing(status="withdrawn")) == [withdrawn]
    assert _ids(steps.listing(status="excuse_decision_pending")) == [pending]
    assert _ids(steps.listing(status="breached")) == []
    assert_problem(steps.listing(status="finished"), 422)

    item = ok(steps.listing(status="withdrawn"))["items"][0]
    assert item["closed_on"] == at(3).date().isoformat()
    assert item["days_left"] == 0 and item["next_action"] is None
    pending_item = ok(steps.listing(status="excuse_decision_pending"))["items"][0]
    assert (pending_item["next_action"], pending_item["next_action_role"]) == ("decide_excuse", "police")


def test_overdue_follows_the_clock_without_reprojecting(steps: ReadSteps) -> None:
    """No first provider contact is recorded: it is due 14 days after issue. Booking A does not meet it (issue 18)."""
    old = steps.issue(occurred_at=at(-20))["id"]  # due at(-6): overdue today
    new = steps.issue(occurred_at=at(-5))["id"]  # due at(9)
    booked = steps.issue(occurred_at=at(-20))["id"]
    first_contact = {"occurred_at": iso(at(-19)), "method": "phone", "outcome": "contacted"}
    steps.run(steps.post(booked, "first-contact", first_contact, steps.provider),
              steps.schedule(booked, "A", 12, occurred=-19))  # next: attend A on at(12)
    steps.project()

    assert _ids(steps.listing(overdue="true")) == [old]
    assert set(_ids(steps.listing(overdue="false"))) == {new, booked}
    old_item = ok(steps.listing(overdue="true"))["items"][0]
    assert old_item["overdue"] is True and old_item["next_action_due_on"] == at(-6).date().isoformat()
    assert old_item["days_left"] == 112 - 20

    steps.clock.now = at(10)
    assert set(_ids(steps.listing(overdue="true"))) == {old, new}
    steps.clock.now = at(13)
    assert set(_ids(steps.listing(overdue="true"))) == {old, new, booked}
    assert _ids(steps.listing(overdue="false")) == []


def test_due_before_and_offender_reference_filters(steps: ReadSteps) -> None:
    # The offender's earlier caution: more than two years before (the previous-disposal rule counts CARA cautions
    # on the record), withdrawn so that nothing of it falls due
    earlier = steps.issue(occurred_at=at(-20 - 800))
    withdrawn = steps.post(earlier["id"], "withdrawal", {"occurred_at": iso(at(-20 - 799)), "reason": "Set aside"},
                           steps.police)
    assert withdrawn.status_code == 200, withdrawn.text
    first = steps.issue(occurred_at=at(-20), offender={"reference": earlier["offender"]["reference"]})  # due at(-6)
    second = steps.issue(occurred_at=at(-5))  # schedule A due at(9)
    steps.project()

    assert _ids(steps.listing(due_before=at(-6).date().isoformat())) == []
    assert _ids(steps.listing(due_before=at(-5).date().isoformat())) == [first["id"]]
    assert set(_ids(steps.listing(due_before=at(10).date().isoformat()))) == {first["id"], second["id"]}
    assert _ids(steps.listing(offender_ref=first["offender"]["reference"])) == [first["id"], earlier["id"]]
    assert _ids(steps.listing(offender_ref="PNC-nobody")) == []
    combined = steps.listing(offender_ref=first["offender"]["reference"], due_before=at(10).date().isoformat())
    assert _ids(combined) == [first["id"]]
    assert_problem(steps.listing(due_before="next tuesday"), 422)


def test_police_reference_filter_finds_the_one_caution(steps: ReadSteps) -> None:
    wanted, other = steps.issue(), steps.issue()
    steps.project()

    assert _ids(steps.listing(police_reference=wanted["police_reference"])) == [wanted["id"]]
    assert _ids(steps.listing(police_reference=other["police_reference"])) == [other["id"]]
    assert _ids(steps.listing(police_reference="CAMBS/nobody")) == []


def test_another_forces_cautions_are_invisible_and_cannot_be_asked_for(steps: ReadSteps) -> None:
    ours = steps.issue()["id"]
    essex = ReadSteps(steps.client, steps.clock, force="ESSEX")
    theirs = essex.issue()["id"]
    steps.project()

    assert _ids(steps.listing()) == [ours]
    assert _ids(essex.listing()) == [theirs]
    assert _ids(steps.listing(force="CAMBS")) == [ours]
    body = assert_problem(steps.listing(force="ESSEX"), 403)
    assert theirs not in json.dumps(body)
    assert _ids(steps.listing(offender_ref=essex.get(theirs, essex.police).json()["offender"]["reference"])) == []
    assert all(item["force"] == "CAMBS" for item in ok(steps.listing())["items"])


@pytest.mark.parametrize("role", ["police", "provider", "court"])
def test_police_provider_and_court_may_list(steps: ReadSteps, role: str) -> None:
    steps.issue()
    steps.project()
    assert len(ok(steps.listing(headers=auth(role)))["items"]) == 1


@pytest.mark.parametrize("role", ["victim_contact", "subscriber"])
def test_other_roles_may_not_list(steps: ReadSteps, role: str) -> None:
    assert_problem(steps.listing(headers=auth(role)), 403)


def _walk(steps: ReadSteps, limit: int) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = ok(steps.listing(**params))
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def _issue_spread(steps: ReadSteps) -> list[str]:
    """Seven cautions over four issue dates (ties on a date are ordered by id); newest first."""
    made = [(at(d).date(), steps.issue(occurred_at=at(d, hour))["id"])
            for d, hour in ((-3, 9), (-3, 11), (-3, 15), (-2, 10), (-1, 10), (-1, 12), (-7, 10))]
    steps.project()
    return [cid for _, cid in sorted(made, reverse=True)]


def test_cursor_pages_are_complete_in_order_and_end_with_a_null_cursor(steps: ReadSteps) -> None:
    expected = _issue_spread(steps)

    pages = _walk(steps, limit=3)

    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [i["id"] for p in pages for i in p["items"]] == expected
    assert _ids(steps.listing(limit=200)) == expected
    assert pages[-1]["next_cursor"] is None
    assert [len(p["items"]) for p in _walk(steps, limit=7)] == [7]


def test_link_header_names_the_next_page_and_following_it_gives_that_page(steps: ReadSteps) -> None:
    expected = _issue_spread(steps)

    first = steps.listing(limit=2, status="active")
    link = first.headers["link"]
    assert link.endswith('>; rel="next"')
    url = urlparse(link[1:link.index(">")])
    query = parse_qs(url.query)
    assert url.path == "/v1/cautions"
    assert query["cursor"] == [first.json()["next_cursor"]]
    assert query["limit"] == ["2"] and query["status"] == ["active"]

    second = steps.client.get(link[1:link.index(">")], headers=steps.police)
    assert _ids(second) == expected[2:4]
    last = steps.listing(limit=10)
    assert "link" not in last.headers


def test_pages_stay_stable_when_new_cautions_arrive_between_requests(steps: ReadSteps) -> None:
    expected = _issue_spread(steps)
    first = ok(steps.listing(limit=3))

    newer = steps.issue(occurred_at=at(0))["id"]  # newest of all: belongs before page one
    steps.project()

    rest, cursor = [], first["next_cursor"]
    while cursor:
        body = ok(steps.listing(limit=3, cursor=cursor))
        rest += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
    assert [i["id"] for i in first["items"]] + rest == expected
    assert _ids(steps.listing(limit=1)) == [newer]


@pytest.mark.parametrize("cursor", [
    "not-a-cursor",
    base64.urlsafe_b64encode(b"{not json").decode(),
    base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps(["2026-13-01", "x"]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps("2026-03-01").encode()).decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_a_cursor_the_service_did_not_give_out_is_a_400_problem(steps: ReadSteps, cursor: str) -> None:
    body = assert_problem(steps.listing(cursor=cursor), 400)
    assert body["type"].endswith("bad-cursor")


@pytest.mark.parametrize("limit", [0, 201, -1])
def test_limit_out_of_range_is_refused(steps: ReadSteps, limit: int) -> None:
    assert_problem(steps.listing(limit=limit), 422)


def test_statistics_count_per_month_for_the_callers_force(steps: ReadSteps) -> None:
    done = steps.completable()["id"]  # issued 2 March, completed 11 April (day 40)
    steps.run(steps.complete(done, 40))
    withdrawn = steps.issue()["id"]
    steps.run(steps.withdraw(withdrawn, 2, "Issued in error."))
    steps.issue(occurred_at=at(-5))  # 25 February
    ReadSteps(steps.client, steps.clock, force="ESSEX").issue()
    steps.project()

    items = ok(steps.client.get("/v1/statistics", headers=steps.police))["items"]
    by_month = {i["month"]: i for i in items}
    assert set(by_month) == {"2026-02", "2026-03", "2026-04"}
    assert by_month["2026-02"]["issued"] == 1
    assert (by_month["2026-03"]["issued"], by_month["2026-03"]["withdrawn"]) == (2, 1)
    assert by_month["2026-04"]["completed"] == 1
    assert by_month["2026-04"]["median_days_to_complete"] == 40
    assert all(i["force"] == "CAMBS" for i in items)
    since = ok(steps.client.get("/v1/statistics", params={"since": "2026-03-01"}, headers=steps.police))["items"]
    assert [i["month"] for i in since] == ["2026-03", "2026-04"]
    assert_problem(steps.client.get("/v1/statistics", headers=steps.court), 403)


@pytest.fixture(params=BACKENDS)
def any_steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


def test_filters_and_cursor_agree_on_sqlite_and_postgresql(any_steps: ReadSteps) -> None:
    """Dates compare as dates on both databases (SQLite stores them as text)."""
    steps = any_steps
    expected = _issue_spread(steps)
    assert [i["id"] for p in _walk(steps, limit=2) for i in p["items"]] == expected
    due = (at(-7).date() + timedelta(days=15)).isoformat()  # only the caution issued at(-7) is due before
    assert _ids(steps.listing(due_before=due)) == [expected[-1]]
    assert _ids(steps.listing(overdue="true")) == []
    steps.clock.now = at(9)
    assert _ids(steps.listing(overdue="true")) == [expected[-1]]
    assert date.fromisoformat(ok(steps.listing(limit=1))["items"][0]["issued_on"]) == at(-1).date()
