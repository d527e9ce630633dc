"""GET /v1/provider/worklist: first contacts due, workshops to book (by when), the fortnight's sessions with their
rosters, and registers overdue; each the force's own, from the read models."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.caution_fixtures import Steps, assert_problem
from tests.caution_service.session_reads_support import Sessions
from tests.support import FakeClock, app_state, auth


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database


def worklist(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    app_state(client).projector.run_until_caught_up()
    response = client.get("/v1/provider/worklist", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_first_contact_and_booking_lists(client: TestClient, steps: Steps, clock: FakeClock) -> None:
    new, booked, past_a = steps.issue(), steps.issue(), steps.issue()
    assert steps.schedule(booked["id"], "A", 10).status_code == 200
    for response in (steps.schedule(past_a["id"], "A", 10), steps.attend(past_a["id"], "A", 10)):
        assert response.status_code == 200, response.text
    other_force = Steps(client, clock, "ESSEX").issue()

    work = worklist(client, steps.provider)
    issued_on = date(2026, 3, 2)
    period_end = issued_on + timedelta(days=112)
    assert work["today"] == clock.now.date().isoformat()
    # No first contact is recorded by anything yet (the caution side's command comes with issue 18's other part).
    contact = {line["caution_id"]: line for line in work["first_contact"]}
    assert set(contact) == {new["id"], booked["id"], past_a["id"]} and other_force["id"] not in contact
    assert contact[new["id"]] == {"caution_id": new["id"], "police_reference": new["police_reference"],
                                  "issued_on": issued_on.isoformat(),
                                  "due_on": (issued_on + timedelta(days=14)).isoformat(), "overdue": False}
    booking = {line["caution_id"]: line for line in work["booking"]}
    assert set(booking) == {new["id"], past_a["id"]}  # the one booked into A needs nothing booked now
    assert (booking[new["id"]]["workshop"], booking[new["id"]]["book_by"]) == (
        "A", (period_end - timedelta(days=28)).isoformat())
    assert (booking[past_a["id"]]["workshop"], booking[past_a["id"]]["book_by"]) == ("B", period_end.isoformat())
    assert booking[new["id"]]["book_from"] is None  # no rule sets a first day for A beyond the period's
    assert [line["caution_id"] for line in work["booking"]][0] == new["id"]  # whose last day comes first

    clock.now += timedelta(days=20)
    later = worklist(client, auth("police", "CAMBS"), limit=1)  # the police may read it too
    assert later["first_contact"][0]["overdue"] is True and later["first_contact_more"] is True
    assert len(later["booking"]) == 1 and later["booking_more"] is True
    assert worklist(client, auth("provider", "ESSEX"))["first_contact"][0]["caution_id"] == other_force["id"]
    assert_problem(client.get("/v1/provider/worklist", headers=auth("court", "CAMBS")), 403)


def test_workshop_b_is_booked_from_the_gap_after_a_and_the_booking_api_agrees(
        client: TestClient, steps: Steps) -> None:
    caution = steps.issue()
    for response in (steps.schedule(caution["id"], "A", 10), steps.attend(caution["id"], "A", 10)):
        assert response.status_code == 200, response.text

    line = next(line for line in worklist(client, steps.provider)["booking"] if line["caution_id"] == caution["id"])
    book_from = date(2026, 3, 2) + timedelta(days=10 + 28)  # A's UK day (GMT then) plus the conditions' 28
    assert (line["workshop"], line["book_from"]) == ("B", book_from.isoformat())
    refused = assert_problem(steps.schedule(caution["id"], "B", 10 + 27), 422)  # a session on book_from - 1
    assert refused["errors"][0]["rule"] == "workshop_b_after_gap"
    assert steps.schedule(caution["id"], "B", 10 + 28).status_code == 200  # and one on book_from


def test_sessions_of_the_fortnight_and_registers_overdue(client: TestClient, steps: Steps, clock: FakeClock) -> None:
    sessions = Sessions(app_state(client).cautions)
    caution = steps.issue()
    yesterday_s = sessions.plan(0, hour=12)  # ends 14:00 on the day the clock starts: overdue two days later
    soon = sessions.plan(4)
    sessions.book(soon, caution["id"])
    sessions.plan(20)  # past the fortnight
    held = sessions.plan(0, hour=9)  # as overdue as the first, but its register is recorded
    cancelled = sessions.plan(5)
    sessions.cancel(cancelled)
    clock.now += timedelta(days=2)
    sessions.register(held, {})
    Sessions(sessions.app, "ESSEX").plan(4)

    work = worklist(client, steps.provider)
    assert [s["id"] for s in work["sessions_soon"]] == [str(soon.id)]
    assert work["sessions_soon"][0]["roster"] == [{"caution_id": caution["id"], "booked": True, "outcome": None,
                                                   "police_reference": caution["police_reference"],
                                                   "caution_status": "active"}]
    assert [s["id"] for s in work["registers_overdue"]] == [str(yesterday_s.id)]
