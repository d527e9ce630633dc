"""GET /v1/workshop-sessions and /v1/workshop-sessions/{id}: projected sessions, filters, cursor paging, force
scoping, the roster; and a session's id is no caution's. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.caution_service.projections.tables import session_bookings, workshop_sessions
from tests.caution_fixtures import Steps, assert_problem
from tests.caution_service.session_reads_support import Sessions, ids
from tests.support import app_state, auth

PROVIDER, POLICE = auth("provider", "CAMBS"), auth("police", "CAMBS")


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database


@pytest.fixture
def sessions(client: TestClient) -> Sessions:
    return Sessions(app_state(client).cautions)


def listed(client: TestClient, position: int, headers: dict[str, str] = PROVIDER, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/workshop-sessions", params={"min_position": position, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def head(client: TestClient) -> int:
    return app_state(client).cautions.recorder.max_notification_id() or 0


def test_sessions_are_listed_earliest_first_and_filtered(client: TestClient, sessions: Sessions) -> None:
    hub, other = "7d7a0c59-0000-4000-8000-000000000001", "7d7a0c59-0000-4000-8000-000000000002"
    late = sessions.plan(9, venue_id=hub)
    early = sessions.plan(3, venue_id=other, workshop="B")
    same_time = sorted([sessions.plan(5, venue_id=hub), sessions.plan(5, venue_id=hub)], key=lambda s: str(s.id))
    cancelled = sessions.plan(7, venue_id=hub)
    sessions.cancel(cancelled)
    at = head(client)

    every = listed(client, at)
    assert ids(every["items"]) == [str(s.id) for s in (early, *same_time, cancelled, late)]
    assert every["next_cursor"] is None
    assert ids(listed(client, at, venue_id=other)["items"]) == [str(early.id)]
    assert ids(listed(client, at, workshop="B")["items"]) == [str(early.id)]
    assert ids(listed(client, at, status="cancelled")["items"]) == [str(cancelled.id)]
    window: dict[str, Any] = {"from": "2026-03-07", "to": "2026-03-11"}
    assert ids(listed(client, at, status="planned", **window)["items"]) == [
        str(s.id) for s in (*same_time, late)]  # UK days 7 to 11 March, both included
    assert ids(listed(client, at, to="2026-03-05")["items"]) == [str(early.id)]
    assert listed(client, at, headers=POLICE)["items"] == every["items"]
    refused = client.get("/v1/workshop-sessions", params={"from": "2026-03-09", "to": "2026-03-01"}, headers=POLICE)
    assert_problem(refused, 422)


def test_pages_follow_the_cursor_without_gaps_or_repeats(client: TestClient, sessions: Sessions) -> None:
    planned = [sessions.plan(day % 4, hour=9 + day) for day in range(7)]
    at = head(client)
    expected = [str(s.id) for s in sorted(planned, key=lambda s: (s.starts_at, str(s.id)))]
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/workshop-sessions", params={"min_position": at, **params}, headers=PROVIDER)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        seen += ids(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
    assert seen == expected and pages == 3
    assert_problem(client.get("/v1/workshop-sessions", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=PROVIDER), 400)


def test_one_session_with_its_bookings_register_and_roster(client: TestClient, sessions: Sessions,
                                                          steps: Steps) -> None:
    first, second, third = (steps.issue() for _ in range(3))
    session = sessions.plan(6, capacity=3, facilitators=("Robin Facilitator", "Kim Co-facilitator"))
    for caution in (first, second, third):
        sessions.book(session, caution["id"])
    sessions.release(session, third["id"])
    steps.clock.now = session.ends_at
    position = sessions.register(session, {first["id"]: "attended", second["id"]: "arrived_late"})

    response = client.get(f"/v1/workshop-sessions/{session.id}", params={"min_position": position}, headers=PROVIDER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["etag"] == f'"{session.version}"'
    assert body["id"] == str(session.id) and body["force"] == "CAMBS" and body["workshop"] == "A"
    assert body["venue"] == {"id": session.venue_id, "name": "Cambridge Hub"}
    assert body["capacity"] == 3 and body["places_left"] == 1
    assert body["group"] == "mens" and body["status"] == "held" and body["version"] == session.version
    assert body["facilitators"] == ["Robin Facilitator", "Kim Co-facilitator"]
    assert sorted(b["caution_id"] for b in body["bookings"]) == sorted([first["id"], second["id"]])
    assert sorted((r["caution_id"], r["outcome"]) for r in body["register"]) == sorted(
        [(first["id"], "attended"), (second["id"], "arrived_late")])
    assert body["register_recorded_at"] is not None
    roster = {line["caution_id"]: line for line in body["roster"]}
    assert set(roster) == {first["id"], second["id"]}
    assert roster[first["id"]]["police_reference"] == first["police_reference"]
    assert roster[first["id"]]["caution_status"] == "active"
    assert roster[second["id"]]["outcome"] == "arrived_late"
    for secret in ("Alex Example", "1990-05-17", "PNC-"):  # the offender by caution and police reference only
        assert secret not in response.text
    police = client.get(f"/v1/workshop-sessions/{session.id}", headers=POLICE)
    assert police.status_code == 200 and police.json()["roster"] == body["roster"]


def test_another_forces_session_is_not_found_and_not_listed(client: TestClient, sessions: Sessions) -> None:
    ours = sessions.plan(4)
    theirs = Sessions(sessions.app, "ESSEX").plan(4)
    at = head(client)
    assert ids(listed(client, at)["items"]) == [str(ours.id)]
    assert ids(listed(client, at, headers=auth("provider", "ESSEX"))["items"]) == [str(theirs.id)]
    assert_problem(client.get(f"/v1/workshop-sessions/{theirs.id}", headers=PROVIDER), 404)
    assert_problem(client.get("/v1/workshop-sessions/5f2b7c1e-0000-4000-8000-00000000abcd", headers=PROVIDER), 404)
    assert_problem(client.get("/v1/workshop-sessions", headers=auth("court", "CAMBS")), 403)


def test_a_sessions_id_is_no_cautions(client: TestClient, sessions: Sessions, steps: Steps) -> None:
    session = sessions.plan(4)
    sid = str(session.id)
    for path in ("", "/compliance-history", "/compliance-history/verification"):
        assert_problem(client.get(f"/v1/cautions/{sid}{path}", headers=steps.police), 404)
    body = steps.schedule_body(10)
    assert_problem(steps.post(sid, "workshops/A/schedule", body, steps.provider), 404)
    assert_problem(steps.post(sid, "completion", {"occurred_at": body["occurred_at"]}, steps.police), 404)


def test_a_rebuild_projects_sessions_as_the_live_projector_did(client: TestClient, sessions: Sessions,
                                                              steps: Steps) -> None:
    caution = steps.issue()
    session = sessions.plan(5)
    sessions.book(session, caution["id"])
    steps.schedule(caution["id"], "A", 5)
    planned_only = sessions.plan(8, workshop="B")
    position = sessions.register(session, {caution["id"]: "did_not_attend"})
    state = app_state(client)
    state.projector.run_until_caught_up()
    live = _session_rows(state)

    state.projector.rebuild(cautions_per_batch=1)  # one aggregate a batch: sessions and cautions in turn

    assert _session_rows(state) == live
    assert len(live[0]) == 2 and live[1] == [(str(session.id), caution["id"], True, "did_not_attend")]
    assert [r for r in live[0] if r[0] == str(planned_only.id)][0][-2:] == ("planned", 1)
    assert listed(client, position)["items"][0]["id"] == str(session.id)


def _session_rows(state: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    w = workshop_sessions.c
    with state.cautions.engine.connect() as connection:
        sessions = [tuple(r) for r in connection.execute(
            select(w.session_id, w.booked, w.register_recorded_at, w.status, w.version).order_by(w.session_id))]
        bookings = [tuple(r) for r in connection.execute(select(session_bookings).order_by(
            session_bookings.c.session_id, session_bookings.c.caution_id))]
    return sessions, bookings


def test_the_stores_other_readers_pass_sessions_by(client: TestClient, sessions: Sessions, steps: Steps) -> None:
    """The deadline monitor, the retention job and subject access read cautions only, with sessions in the store."""
    caution = steps.issue()
    session = sessions.plan(4)
    sessions.book(session, caution["id"])
    state = app_state(client)
    state.projector.run_until_caught_up()
    steps.clock.now += timedelta(days=200)

    assert [str(c) for c in state.deadlines.run_once()] == [caution["id"]]
    state.retention.run()
    found = client.get("/v1/subject-access", params={"offender_ref": caution["offender"]["reference"]},
                       headers={**auth("sar", "CAMBS"), "X-Purpose": "SAR-2026-1"})
    assert found.status_code == 200, found.text
    assert str(session.id) not in found.text and caution["id"] in found.text
