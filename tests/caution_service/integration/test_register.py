"""One register per session: ten cautions' outcomes in one call, each caution's own events as if recorded one by
one; a second register refused, a correction accepted, an Idempotency-Key replayed (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest

from services.caution_service.domain.values import MissReason, Workshop
from tests.caution_fixtures import Steps, assert_problem, event_names, recorded_events
from tests.caution_service.integration.session_steps import SESSION_DAY, SessionSteps
from tests.support import app_state, at, iso

OUTCOMES = ["did_not_attend", "did_not_attend", "arrived_late", "sent_home"] + ["attended"] * 6


@pytest.fixture
def s(steps: Steps) -> SessionSteps:
    return SessionSteps(steps)


def _held(s: SessionSteps, n: int = len(OUTCOMES)) -> tuple[str, list[str]]:
    session_id = s.planned()["id"]
    cautions = [s.issue() for _ in range(n)]
    for caution in cautions:
        s.booked(session_id, caution)
    s.steps.clock.now = at(SESSION_DAY, 21)
    return session_id, cautions


def _lines(cautions: list[str], outcomes: list[str]) -> list[dict[str, Any]]:
    return [{"caution_id": c, "outcome": o, **({} if o == "attended" else {"note": f"note for {o}"})}
            for c, o in zip(cautions, outcomes, strict=True)]


def test_a_register_of_ten_records_each_cautions_own_events(s: SessionSteps) -> None:
    session_id, cautions = _held(s)
    before = len(recorded_events(s.client))

    response = s.register(session_id, _lines(cautions, OUTCOMES))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "held" and body["version"] == 12  # planned, ten places, the register
    assert [(line["caution_id"], line["outcome"]) for line in body["register"]] == list(zip(cautions, OUTCOMES,
                                                                                           strict=True))
    assert len(recorded_events(s.client)) == before + 11  # the register and one event per caution, all at once
    keyring = app_state(s.client).cautions.keyring
    for caution_id, outcome in zip(cautions, OUTCOMES, strict=True):
        caution = s.caution(caution_id)
        last = list(app_state(s.client).cautions.repository.event_store.get(caution.id))[-1]
        if outcome == "attended":
            assert event_names(s.client, caution_id)[-1] == "WorkshopAAttended"
            assert caution.attended_a_at == at(SESSION_DAY, 18)
        else:
            assert event_names(s.client, caution_id)[-1] == "WorkshopMissed"
            assert (last.reason, last.occurred_at) == (MissReason(outcome), at(SESSION_DAY, 18))
            assert last.note != f"note for {outcome}" and keyring.open(last.note) == f"note for {outcome}"
            assert caution.pending_miss is Workshop.A


def test_a_register_must_name_every_booked_caution_once(s: SessionSteps) -> None:
    session_id, cautions = _held(s, 3)
    missing_one = s.register(session_id, _lines(cautions[:2], ["attended", "attended"]))
    assert assert_problem(missing_one, 422)["errors"][0]["rule"] == "register_must_match_bookings"
    assert [s.caution(c).attended_a_at for c in cautions] == [None, None, None]  # nothing recorded


def test_a_register_before_the_session_is_refused(s: SessionSteps) -> None:
    session_id = s.planned()["id"]
    caution = s.issue()
    s.booked(session_id, caution)
    refused = s.register(session_id, _lines([caution], ["attended"]))
    assert assert_problem(refused, 409)["errors"][0]["rule"] == "session_not_started"


def test_a_second_register_is_refused_and_a_correction_accepted(s: SessionSteps) -> None:
    session_id, cautions = _held(s, 3)
    first = ["attended", "did_not_attend", "attended"]
    assert s.register(session_id, _lines(cautions, first)).status_code == 200
    again = s.register(session_id, _lines(cautions, first))
    assert assert_problem(again, 409)["errors"][0]["rule"] == "register_already_recorded"
    assert assert_problem(s.register(session_id, _lines(cautions, first), correction=True), 422)  # no reason given

    corrected = ["attended", "attended", "arrived_late"]
    response = s.register(session_id, _lines(cautions, corrected), correction=True,
                          correction_reason="Register ticked against the wrong names")

    assert response.status_code == 200, response.text
    assert event_names(s.client, cautions[0])[-1] == "WorkshopAAttended"  # unchanged: nothing new recorded
    assert event_names(s.client, cautions[1])[-2:] == ["EntryCorrected", "WorkshopAAttended"]
    assert event_names(s.client, cautions[2])[-2:] == ["EntryCorrected", "WorkshopMissed"]
    moved_to_attended, moved_to_late = s.caution(cautions[1]), s.caution(cautions[2])
    assert moved_to_attended.pending_miss is None and moved_to_attended.attended_a_at == at(SESSION_DAY, 18)
    assert moved_to_late.attended_a_at is None and moved_to_late.pending_miss is Workshop.A
    assert moved_to_late.is_struck(3)  # its attendance (entry 3: issued, scheduled, attended) is struck out
    assert response.json()["register"][2] == {"caution_id": cautions[2], "outcome": "arrived_late"}


def test_a_correction_the_record_cannot_take_is_refused_whole(s: SessionSteps) -> None:
    session_id, cautions = _held(s, 2)
    assert s.register(session_id, _lines(cautions, ["attended", "attended"])).status_code == 200
    # cautions[0] goes on to attend B, which rests on its A: that A cannot be struck out any more
    b_session = s.planned(workshop="B", day=SESSION_DAY + 30)["id"]
    s.booked(b_session, cautions[0])
    s.steps.clock.now = at(SESSION_DAY + 30, 21)
    assert s.register(b_session, _lines([cautions[0]], ["attended"])).status_code == 200
    versions = [s.caution(c).version for c in cautions]

    refused = s.register(session_id, _lines(cautions, ["did_not_attend", "did_not_attend"]), correction=True,
                         correction_reason="Wrong sheet")

    (error,) = assert_problem(refused, 422)["errors"]
    assert error["rule"] == "strike_dependant_first" and error["caution_id"] == str(cautions[0])
    assert [s.caution(c).version for c in cautions] == versions  # not even the other caution changed
    assert s.session(session_id).registers == 1


def test_a_register_sent_again_with_its_key_is_replayed(s: SessionSteps) -> None:
    session_id, cautions = _held(s, 2)
    keyed = {**s.steps.provider, "Idempotency-Key": "register-2026-03-12"}
    lines = _lines(cautions, ["attended", "left_early"])
    first = s.register(session_id, lines, headers=keyed)
    again = s.register(session_id, lines, headers=keyed)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert s.session(session_id).registers == 1
    assert event_names(s.client, cautions[1]).count("WorkshopMissed") == 1
    other_body = s.register(session_id, _lines(cautions, ["attended", "attended"]), headers=keyed)
    assert assert_problem(other_body, 422)["type"].endswith("idempotency-key-reused")


def test_the_compliance_history_reads_as_if_recorded_one_by_one(s: SessionSteps) -> None:
    session_id, cautions = _held(s, 2)
    twin_session = s.planned()["id"]  # the same time and venue, recorded through the per-caution routes
    twins = [s.issue() for _ in range(2)]
    s.steps.clock.now = at(0, 12)
    for twin in twins:
        s.booked(twin_session, twin)
    s.steps.clock.now = at(SESSION_DAY, 21)
    assert s.register(session_id, _lines(cautions, ["attended", "did_not_attend"])).status_code == 200
    when = iso(at(SESSION_DAY, 18))
    assert s.steps.post(twins[0], "workshops/A/attendance", {"occurred_at": when}, s.steps.provider).status_code == 200
    assert s.steps.post(twins[1], "workshops/A/non-attendance", {"occurred_at": when, "reason": "did_not_attend",
                                                                 "note": "note for did_not_attend"},
                        s.steps.provider).status_code == 200
    app_state(s.client).projector.run_until_caught_up()

    def entries(caution_id: str) -> list[tuple[Any, ...]]:
        history = s.client.get(f"/v1/cautions/{caution_id}/compliance-history", headers=s.steps.police).json()
        return [(e["event_type"], e["summary"], e.get("note")) for e in history["entries"]]

    for registered, twin in zip(cautions, twins, strict=True):
        assert entries(registered) == entries(twin)
