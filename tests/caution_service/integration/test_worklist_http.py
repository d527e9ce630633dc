"""GET /v1/worklist over the projected rows, on SQLite and PostgreSQL: for random lifecycles recorded through the
application, each role's worklist on a day is the union of that role's required actions over the force's cautions
(the domain's own computation); an item goes when its action is recorded over HTTP; filters, paging, roles and
force scoping; and a rebuild gives the rows the live projector wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.caution_service.domain.errors import DomainError
from services.caution_service.domain.progress import ACKNOWLEDGE_CONCERN, required_actions
from services.caution_service.domain.values import ConcernUrgency
from services.caution_service.projections.tables import summaries, worklist_items
from shared.uk_time import uk_date
from tests.caution_fixtures import Steps, assert_problem
from tests.caution_service.unit.test_verdict_properties import _run, lifecycles
from tests.support import T0, FakeClock, app_state, at, auth, iso

ROLES = ("police", "provider", "victim_contact")


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database


def worklist_pages(client: TestClient, role: str, force: str = "CAMBS", limit: int = 5,
                   **params: Any) -> list[dict[str, Any]]:
    """Every page of the role's worklist, followed by its cursor."""
    app_state(client).projector.run_until_caught_up()
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        asked = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/worklist", params=asked, headers=auth(role, force))
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        assert ("link" in response.headers) == (cursor is not None)
        if cursor is None:
            return items


def expected_worklist(client: TestClient, role: str, today: date, force: str = "CAMBS") -> list[dict[str, Any]]:
    """The role's required actions over every caution of the force, as the domain computes them for `today`,
    in the worklist's order: soonest due first (undated last), an urgent concern first within a day, then by
    caution and place in its list."""
    state = app_state(client)
    with state.cautions.engine.connect() as connection:
        ids = connection.execute(select(summaries.c.caution_id).where(summaries.c.force == force)).scalars().all()
    found = []
    for caution_id in ids:
        c = state.cautions.get_caution(UUID(caution_id))
        for ordinal, action in enumerate(required_actions(c, today)):
            if action.role == role:
                concern = action.concern
                urgent_first = 0 if concern is not None and concern.urgency is ConcernUrgency.URGENT else 1
                found.append(((action.due_on or date.max, urgent_first, caution_id, ordinal), {
                    "caution_id": caution_id, "police_reference": c.police_reference, "action": action.action,
                    "due_on": action.due_on.isoformat() if action.due_on else None,
                    "overdue": action.due_on is not None and action.due_on < today,
                    "concern": None if concern is None else {
                        "entry": concern.entry, "urgency": concern.urgency.value,
                        "category": concern.category.value}}))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def record_lifecycle(client: TestClient, steps: Steps, commands: list[tuple[int, tuple[Any, ...]]]) -> str:
    """Issued over HTTP (day 0 = T0's day), then each command saved through the application as it happens."""
    caution_id = steps.issue()["id"]
    app = app_state(client).cautions
    day = 0
    for wait, command in commands:
        day += wait
        try:
            app.change(UUID(caution_id), lambda c: _run(c, day, command))  # noqa: B023  (called at once)
        except DomainError:
            pass  # refused: nothing recorded, the run goes on
    return caution_id


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(runs=st.lists(lifecycles, min_size=2, max_size=4), days=st.lists(st.integers(-2, 150), min_size=2, max_size=3))
def test_each_roles_worklist_is_its_required_actions_over_the_forces_cautions(
    client: TestClient, clock: FakeClock, runs: list[list[tuple[int, tuple[Any, ...]]]], days: list[int]
) -> None:
    clock.now = T0 + timedelta(hours=1)  # each example issues at T0: its clock must not be before
    steps = Steps(client, clock)
    for commands in runs:
        record_lifecycle(client, steps, commands)
    Steps(client, clock, "ESSEX").issue()  # another force's: never in CAMBS's worklists
    for day in days:
        clock.now = datetime.combine(T0.date() + timedelta(days=day), T0.timetz()).astimezone(UTC)
        today = uk_date(clock.now)
        for role in ROLES:
            assert worklist_pages(client, role) == expected_worklist(client, role, today), (role, today)


def items(client: TestClient, role: str, force: str = "CAMBS", **params: Any) -> list[dict[str, Any]]:
    return worklist_pages(client, role, force, limit=100, **params)


def actions_of(found: list[dict[str, Any]], caution_id: str) -> list[str]:
    return [item["action"] for item in found if item["caution_id"] == caution_id]


def test_an_item_goes_when_its_action_is_recorded_over_http(client: TestClient, steps: Steps) -> None:
    cid = steps.issue()["id"]
    assert actions_of(items(client, "provider"), cid) == ["make_first_contact", "schedule_workshop_a"]
    assert actions_of(items(client, "victim_contact"), cid) == [] and actions_of(items(client, "police"), cid) == []

    body = {"occurred_at": iso(steps.tick(at(2, 11))), "method": "phone", "outcome": "contacted"}
    assert steps.post(cid, "first-contact", body, steps.provider).status_code == 200
    assert actions_of(items(client, "provider"), cid) == ["schedule_workshop_a"]

    for response in (steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10)):
        assert response.status_code == 200, response.text
    contact = [i for i in items(client, "victim_contact") if i["caution_id"] == cid]
    assert contact == [{"caution_id": cid, "police_reference": contact[0]["police_reference"],
                        "action": "contact_victim_after_workshop_a", "due_on": (T0.date() + timedelta(24)).isoformat(),
                        "overdue": False, "concern": None}]
    assert actions_of(items(client, "provider"), cid) == ["schedule_workshop_b"]

    assert steps.contact_victim(cid, 12).status_code == 200
    assert actions_of(items(client, "victim_contact"), cid) == []


def test_overdue_and_due_before_are_the_callers_own_and_undated_actions_come_last(
    client: TestClient, steps: Steps, clock: FakeClock
) -> None:
    late = steps.issue()["id"]
    missed = steps.issue()["id"]
    for response in (steps.schedule(missed, "A", 3), steps.post(missed, "workshops/A/non-attendance", {
            "occurred_at": iso(steps.tick(at(3, 20))), "reason": "did_not_attend", "note": "no show"},
            steps.provider)):
        assert response.status_code == 200, response.text
    clock.now = at(20)  # the first contact (due on day 14) is late; the excuse decision has no due date

    provider = items(client, "provider")
    assert actions_of(provider, missed) == []  # until the police decide, the domain asks nothing of the provider
    assert [(i["caution_id"], i["action"]) for i in provider if i["overdue"]] == [(late, "make_first_contact")]
    assert items(client, "provider", overdue="true") == [i for i in provider if i["overdue"]]
    assert items(client, "provider", overdue="false") == [i for i in provider if not i["overdue"]]
    assert items(client, "provider", due_before="2026-03-17") == [i for i in provider if i["overdue"]]
    assert items(client, "provider", action="schedule_workshop_a") == [
        i for i in provider if i["action"] == "schedule_workshop_a"]
    police = items(client, "police")
    assert police == [{"caution_id": missed, "police_reference": police[0]["police_reference"],
                       "action": "decide_excuse", "due_on": None, "overdue": False, "concern": None}]
    assert items(client, "police", overdue="true") == []  # the provider's late work is not the police's
    assert items(client, "police", overdue="false") == police


SAID = "He said he would come round to her flat at 9 Tern Close tonight"


def _raise_concern(steps: Steps, cid: str, urgency: str, category: str) -> int:
    """Raised by the victim contact service on day 3, with what was said; the concern's entry."""
    body = {"occurred_at": iso(steps.tick(at(3, 11))), "category": category, "urgency": urgency, "details": SAID}
    response = steps.post(cid, "safeguarding-concerns", body, steps.victim_contact)
    assert response.status_code == 200, response.text
    entry: int = response.json()["version"]
    return entry


def test_a_concern_to_acknowledge_names_its_entry_urgency_and_category_and_urgent_comes_first(
    client: TestClient, steps: Steps
) -> None:
    cid = steps.issue()["id"]
    routine = _raise_concern(steps, cid, "routine", "other")
    urgent = _raise_concern(steps, cid, "urgent", "threat_by_offender")

    police = items(client, "police")
    raised_on = (T0.date() + timedelta(3)).isoformat()  # both due that day: the urgency alone puts one first
    assert [(i["caution_id"], i["action"], i["due_on"], i["concern"]) for i in police] == [
        (cid, ACKNOWLEDGE_CONCERN, raised_on, {"entry": urgent, "urgency": "urgent", "category": "threat_by_offender"}),
        (cid, ACKNOWLEDGE_CONCERN, raised_on, {"entry": routine, "urgency": "routine", "category": "other"})]
    assert worklist_pages(client, "police", limit=1) == police  # the cursor keeps the urgent one's place
    assert all(i["concern"] is None for role in ("provider", "victim_contact") for i in items(client, role))
    for role in ROLES:
        assert "Tern Close" not in client.get("/v1/worklist", headers=auth(role)).text


def test_pages_follow_the_cursor_without_gaps_or_repeats(client: TestClient, steps: Steps) -> None:
    issued = [steps.issue()["id"] for _ in range(7)]
    whole = items(client, "provider")
    assert len(whole) == 14 and {i["caution_id"] for i in whole} == set(issued)
    for limit in (1, 3, 13):
        assert worklist_pages(client, "provider", limit=limit) == whole
    assert [i["due_on"] for i in whole] == sorted(i["due_on"] for i in whole)


def test_roles_forces_and_bad_input(client: TestClient, steps: Steps, clock: FakeClock) -> None:
    cid = steps.issue()["id"]
    assert actions_of(items(client, "provider", "ESSEX"), cid) == []
    for role in ("court", "admin", "subscriber"):
        assert_problem(client.get("/v1/worklist", headers=auth(role)), 403)
    assert_problem(client.get("/v1/worklist"), 401)
    assert_problem(client.get("/v1/worklist", params={"cursor": "bm9wZQ"}, headers=auth("provider")), 400)
    assert_problem(client.get("/v1/worklist", params={"due_before": "2026-02-30"}, headers=auth("provider")), 422)
    assert_problem(client.get("/v1/worklist", params={"limit": 0}, headers=auth("provider")), 422)
    text = client.get("/v1/worklist", headers=auth("provider")).text
    assert "Alex Example" not in text and "Sam Victim" not in text and "07700" not in text


def test_a_rebuild_gives_the_rows_the_live_projector_wrote(client: TestClient, steps: Steps) -> None:
    plain, fresh = steps.issue()["id"], steps.issue()["id"]
    concern = _raise_concern(steps, fresh, "routine", "risk_to_children")
    completed = steps.completable()["id"]
    assert steps.complete(completed, 41).status_code == 200
    for response in (steps.schedule(plain, "A", 10), steps.attend(plain, "A", 10)):
        assert response.status_code == 200, response.text
    state = app_state(client)
    state.projector.run_until_caught_up()
    live = _rows(state)

    state.projector.rebuild(cautions_per_batch=1)

    assert _rows(state) == live
    assert {(r[0], r[4]) for r in live if r[0] == completed} == {(completed, "contact_victim_on_completion")}
    assert {r[4] for r in live if r[0] == plain} == {"make_first_contact", "schedule_workshop_b",
                                                     "contact_victim_after_workshop_a", "decide_breach_or_vary"}
    assert [r[7] for r in live if r[0] == fresh and r[4] == "vary_conditions_workshops_cannot_fit"] == [True]
    assert [r[-3:] for r in live if r[0] == fresh and r[4] == ACKNOWLEDGE_CONCERN] == [
        (concern, "routine", "risk_to_children")]


def _rows(state: Any) -> list[tuple[Any, ...]]:
    w = worklist_items.c
    with state.cautions.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(worklist_items).order_by(w.caution_id, w.seq))]
