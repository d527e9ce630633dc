"""Duplicates refused over HTTP (issue 17 item 4): one caution per police reference per force (409 naming the
caution that holds it), and an offender with a CARA caution in this force within two years fails the
previous-disposal rule (422 naming that caution). A withdrawn caution is set aside: it does not count."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.caution_service.projections.wiring import build_projector
from tests.caution_fixtures import Steps, assert_problem, recorded_events
from tests.support import T0, app_state, auth, caution_payload, iso

PREVIOUS_DISPOSAL = "no_recent_domestic_abuse_disposal"


def _issue(steps: Steps, headers: dict[str, str] | None = None, **overrides: Any) -> Any:
    return steps.client.post("/v1/cautions", json=caution_payload(**overrides), headers=headers or steps.police)


def _years_earlier(moment: datetime, years: int, days: int = 0) -> datetime:
    return moment.replace(year=moment.year - years) - timedelta(days=days)


def _issued_count(steps: Steps) -> int:
    return sum(1 for n in recorded_events(steps.client) if n.topic.endswith("Caution.Issued"))


# ----- one caution per police reference per force ---------------------------------------------------------


def test_a_second_caution_under_the_same_police_reference_is_refused_naming_the_first(steps: Steps) -> None:
    first = steps.issue(police_reference="CC-2026-0700")

    again = _issue(steps, police_reference="CC-2026-0700")  # another offender, another body: the reference decides

    body = assert_problem(again, 409)
    assert body["type"] == "/problems/duplicate-police-reference"
    assert first["id"] in body["detail"] and "CC-2026-0700" in body["detail"]
    assert body["existing_caution_id"] == first["id"]
    assert body["existing_caution"] == {"id": first["id"], "police_reference": "CC-2026-0700",
                                        "issued_on": T0.date().isoformat(), "href": f"/v1/cautions/{first['id']}"}
    assert again.headers["link"] == f'</v1/cautions/{first["id"]}>; rel="related"'
    assert _issued_count(steps) == 1


def test_a_retry_without_an_idempotency_key_records_nothing_more(steps: Steps) -> None:
    payload = caution_payload(police_reference="CC-2026-0701")
    first = steps.client.post("/v1/cautions", json=payload, headers=steps.police)
    retry = steps.client.post("/v1/cautions", json=payload, headers=steps.police)

    assert first.status_code == 201, first.text
    assert assert_problem(retry, 409)["existing_caution_id"] == first.json()["id"]
    assert _issued_count(steps) == 1


def test_another_force_may_use_the_same_police_reference(steps: Steps) -> None:
    steps.issue(police_reference="CC-2026-0702")

    other = _issue(steps, headers=auth("police", "ESSEX"), police_reference="CC-2026-0702")

    assert other.status_code == 201, other.text
    assert other.json()["force"] == "ESSEX"


def test_an_idempotency_key_replay_of_the_first_request_still_replays_its_201(steps: Steps) -> None:
    payload = caution_payload(police_reference="CC-2026-0703")
    headers = {**steps.police, "Idempotency-Key": "issue-0703"}
    first = steps.client.post("/v1/cautions", json=payload, headers=headers)

    replay = steps.client.post("/v1/cautions", json=payload, headers=headers)
    new_key = steps.client.post("/v1/cautions", json=payload, headers={**steps.police, "Idempotency-Key": "other"})

    assert first.status_code == 201, first.text
    assert replay.status_code == 201, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert assert_problem(new_key, 409)["existing_caution_id"] == first.json()["id"]  # a new key is a new request
    assert _issued_count(steps) == 1


def test_a_withdrawn_caution_keeps_its_police_reference(steps: Steps) -> None:
    first = steps.issue(police_reference="CC-2026-0704")
    withdrawn = steps.post(first["id"], "withdrawal", {"occurred_at": iso(steps.tick(T0 + timedelta(days=1))),
                                                       "reason": "Issued in error"}, steps.police)
    assert withdrawn.status_code == 200, withdrawn.text

    again = _issue(steps, police_reference="CC-2026-0704", occurred_at=T0 + timedelta(days=1))

    assert assert_problem(again, 409)["existing_caution_id"] == first["id"]


# ----- the previous-disposal rule counts CARA cautions on this record --------------------------------------


def test_an_offender_with_a_caution_here_within_two_years_fails_the_previous_disposal_rule(steps: Steps) -> None:
    first = steps.issue(police_reference="CC-2026-0710", offender={"reference": "PNC-DUP-1"})

    second = _issue(steps, police_reference="CC-2026-0711", offender={"reference": "PNC-DUP-1"})

    body = assert_problem(second, 422)
    assert body["type"] == "/problems/not-eligible"
    assert [e["rule"] for e in body["errors"]] == [PREVIOUS_DISPOSAL]
    message = body["errors"][0]["message"]
    assert first["id"] in message and "CC-2026-0710" in message and T0.date().isoformat() in message
    assert body["previous_cautions"] == [{"id": first["id"], "police_reference": "CC-2026-0710",
                                          "issued_on": T0.date().isoformat(), "href": f"/v1/cautions/{first['id']}"}]
    assert _issued_count(steps) == 1


def test_every_failed_rule_is_still_named_with_the_previous_caution(steps: Steps) -> None:
    first = steps.issue(offender={"reference": "PNC-DUP-2"})
    declared = (T0 - timedelta(days=100)).date().isoformat()

    second = _issue(steps, offender={"reference": "PNC-DUP-2"}, victim={"agrees": False},
                    history={"last_domestic_abuse_disposal_on": declared})

    body = assert_problem(second, 422)
    assert [e["rule"] for e in body["errors"]] == [PREVIOUS_DISPOSAL, "victim_must_be_consulted_and_agree"]
    message = body["errors"][0]["message"]
    assert declared in message and first["id"] in message  # what was declared, and what this record holds
    assert [c["id"] for c in body["previous_cautions"]] == [first["id"]]


def test_a_caution_exactly_two_years_before_counts_and_one_a_day_earlier_does_not(steps: Steps) -> None:
    counted = steps.issue(offender={"reference": "PNC-DUP-3"}, occurred_at=_years_earlier(T0, 2))
    steps.issue(offender={"reference": "PNC-DUP-4"}, occurred_at=_years_earlier(T0, 2, days=1))

    refused = _issue(steps, offender={"reference": "PNC-DUP-3"}, occurred_at=T0)
    allowed = _issue(steps, offender={"reference": "PNC-DUP-4"}, occurred_at=T0)

    body = assert_problem(refused, 422)
    assert [c["id"] for c in body["previous_cautions"]] == [counted["id"]]
    assert body["previous_cautions"][0]["issued_on"] == "2024-03-02"
    assert allowed.status_code == 201, allowed.text


def test_a_caution_dated_after_the_new_one_counts_too(steps: Steps) -> None:
    """Recorded in either order, the record never holds two cautions for the offender within two years."""
    later = steps.issue(offender={"reference": "PNC-DUP-5"}, occurred_at=T0)

    backdated = _issue(steps, offender={"reference": "PNC-DUP-5"}, occurred_at=T0 - timedelta(days=200))

    assert [c["id"] for c in assert_problem(backdated, 422)["previous_cautions"]] == [later["id"]]


def test_a_withdrawn_caution_does_not_count_against_the_offender(steps: Steps) -> None:
    """Withdrawn is set aside: no citable caution (DOMAIN.md's verdict table), so no previous disposal."""
    first = steps.issue(offender={"reference": "PNC-DUP-6"})
    withdrawn = steps.post(first["id"], "withdrawal", {"occurred_at": iso(steps.tick(T0 + timedelta(days=1))),
                                                       "reason": "Issued in error: wrong offender"}, steps.police)
    assert withdrawn.status_code == 200, withdrawn.text

    again = _issue(steps, offender={"reference": "PNC-DUP-6"}, occurred_at=T0 + timedelta(days=1))

    assert again.status_code == 201, again.text


def test_a_withdrawal_struck_out_as_recorded_in_error_counts_the_caution_again(steps: Steps) -> None:
    """Striking the withdrawal re-opens the caution (issue 17): it is citable again, so the offender has one."""
    first = steps.issue(offender={"reference": "PNC-DUP-8"})
    withdrawn = steps.post(first["id"], "withdrawal", {"occurred_at": iso(steps.tick(T0 + timedelta(days=1))),
                                                       "reason": "Thought to be the wrong offender"}, steps.police)
    assert withdrawn.status_code == 200, withdrawn.text
    struck = steps.post(first["id"], "corrections", {"corrects_entry": 2, "recorded_in_error": True,
                                                     "reason": "It was the right offender after all"}, steps.police)
    assert struck.status_code == 200 and struck.json()["status"] == "active", struck.text

    again = _issue(steps, offender={"reference": "PNC-DUP-8"}, occurred_at=T0 + timedelta(days=1))

    assert again.status_code == 422, again.text
    assert first["id"] in str(again.json()["errors"])


def test_a_caution_in_another_force_does_not_count(steps: Steps) -> None:
    steps.issue(offender={"reference": "PNC-DUP-7"})

    elsewhere = _issue(steps, headers=auth("police", "ESSEX"), offender={"reference": "PNC-DUP-7"})

    assert elsewhere.status_code == 201, elsewhere.text


def test_a_rebuild_of_the_read_models_forgets_no_reference(steps: Steps) -> None:
    """The references are the write side's own table, not a projection: a rebuild leaves them as they are."""
    first = steps.issue(police_reference="CC-2026-0720", offender={"reference": "PNC-DUP-8"})
    build_projector(app_state(steps.client).cautions).rebuild()

    again = _issue(steps, police_reference="CC-2026-0720")
    same_offender = _issue(steps, offender={"reference": "PNC-DUP-8"})

    assert assert_problem(again, 409)["existing_caution_id"] == first["id"]
    assert [c["id"] for c in assert_problem(same_offender, 422)["previous_cautions"]] == [first["id"]]
