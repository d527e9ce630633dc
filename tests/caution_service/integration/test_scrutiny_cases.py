"""The scrutiny panel's cases (issue 19): the `panel_cases` projection and GET /v1/scrutiny/cases, on SQLite and
PostgreSQL: which entries make a case, the filters, cursor paging, force scoping, no personal data, a struck-out
case gone, and a rebuild that gives the rows the live projector gave."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.caution_service.projections.tables import panel_cases
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import ReadSteps
from tests.support import FakeClock, app_state, at, auth

SAFEGUARDING = "SafeguardingConcernRaised"


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database


@pytest.fixture
def steps(client: TestClient, clock: FakeClock) -> ReadSteps:
    return ReadSteps(client, clock)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def referred(steps: ReadSteps, accepted: bool = False, **issue: Any) -> str:
    """A caution whose missed workshop A had its excuse rejected (a breach referral) or accepted."""
    cid = steps.issue(**issue)["id"]
    ok(steps.schedule(cid, "A", 10))
    ok(steps.miss(cid, "A", 10))
    ok(steps.decide_excuse(cid, 11, accepted, "Checked with the provider"))
    return cid


def strike(steps: ReadSteps, cid: str, entry: int) -> None:
    ok(steps.post(cid, "corrections", {"corrects_entry": entry, "reason": "Recorded on the wrong caution",
                                       "recorded_in_error": True}, steps.police))


def run_out_of_time(client: TestClient, steps: ReadSteps) -> list[str]:
    """Moves the clock past every period and records each deadline passed; returns the cautions recorded."""
    steps.clock.now += timedelta(days=200)
    app_state(client).projector.run_until_caught_up()  # the monitor finds its candidates in the read model
    return [str(c) for c in app_state(client).deadlines.run_once()]


def cases(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    app_state(client).projector.run_until_caught_up()
    got: dict[str, Any] = ok(client.get("/v1/scrutiny/cases", params=params,
                                        headers=headers or auth("police", "CAMBS")))
    return got


def rows(client: TestClient) -> list[tuple[Any, ...]]:
    c = panel_cases.c
    with app_state(client).cautions.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(panel_cases).order_by(c.caution_id, c.entry))]


def test_rejected_and_accepted_excuses_and_an_unmet_deadline_are_cases(client: TestClient, steps: ReadSteps) -> None:
    breach = referred(steps, police_reference="CC-2026-P1")
    accepted = referred(steps, accepted=True, police_reference="CC-2026-P2")
    late = steps.issue(police_reference="CC-2026-P3")
    period_ends_on = date.fromisoformat(late["period_ends_on"])
    completed = steps.completable()["id"]
    ok(steps.complete(completed, 41))
    assert late["id"] in run_out_of_time(client, steps)

    listed = cases(client)["items"]

    kinds = {(item["caution_id"], item["kind"]) for item in listed}
    assert {(breach, "breach_referral"), (accepted, "accepted_excuse"), (late["id"], "out_of_time")} <= kinds
    assert completed not in {cid for cid, _ in kinds}  # a caution completed in time is no case
    by_caution = {item["caution_id"]: item for item in listed if item["kind"] != "out_of_time"}
    # Every case: the caution, its police reference, the entry, its UK day, not reviewed; nothing of anyone
    assert by_caution[breach] == {
        "caution_id": breach, "entry": 4, "police_reference": "CC-2026-P1", "kind": "breach_referral",
        "happened_on": "2026-03-13", "reviewed": False, "reviewed_panel_id": None, "reviewed_on": None,
        "position": by_caution[breach]["position"]}
    out_of_time = [i for i in listed if i["caution_id"] == late["id"]]
    assert [i["happened_on"] for i in out_of_time] == [period_ends_on.isoformat()]  # the period's last day
    assert set(by_caution[accepted]) == set(by_caution[breach])
    assert [i["happened_on"] for i in listed] == sorted(i["happened_on"] for i in listed)


def test_cases_are_filtered_by_kind_day_and_review_and_paged(client: TestClient, steps: ReadSteps) -> None:
    made = [referred(steps, accepted=n % 2 == 1, police_reference=f"CC-2026-F{n}") for n in range(5)]
    every = cases(client)["items"]
    assert len(every) == 5

    assert [i["caution_id"] for i in cases(client, kind="breach_referral")["items"]] == sorted(made[0::2])
    assert [i["caution_id"] for i in cases(client, kind="accepted_excuse")["items"]] == sorted(made[1::2])
    assert cases(client, kind="out_of_time")["items"] == []
    assert len(cases(client, reviewed="false")["items"]) == 5
    assert cases(client, reviewed="true")["items"] == []
    day: dict[str, Any] = {"from": "2026-03-13", "to": "2026-03-13"}
    assert len(cases(client, **day)["items"]) == 5
    after: dict[str, Any] = {"from": "2026-03-14"}
    assert cases(client, **after)["items"] == []
    assert cases(client, to="2026-03-12")["items"] == []

    seen, cursor = [], None
    while True:
        page = cases(client, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == every

    assert_problem(client.get("/v1/scrutiny/cases", params={"cursor": "bm90LWEtY3Vyc29y"},
                              headers=steps.police), 400)
    assert_problem(client.get("/v1/scrutiny/cases", params={"from": "2026-03-14", "to": "2026-03-01"},
                              headers=steps.police), 422)
    assert_problem(client.get("/v1/scrutiny/cases", params={"kind": "rumour"}, headers=steps.police), 422)


def test_cases_are_the_forces_own_and_the_panels_roles_only(client: TestClient, steps: ReadSteps,
                                                             clock: FakeClock) -> None:
    ours = referred(steps)
    theirs = referred(ReadSteps(client, clock, force="ESSEX"))

    assert [i["caution_id"] for i in cases(client)["items"]] == [ours]
    assert [i["caution_id"] for i in cases(client, headers=auth("provider", "CAMBS"))["items"]] == [ours]
    assert [i["caution_id"] for i in cases(client, headers=auth("police", "ESSEX"))["items"]] == [theirs]
    for role in ("court", "victim_contact", "subscriber"):
        assert_problem(client.get("/v1/scrutiny/cases", headers=auth(role, "CAMBS")), 403)
    assert_problem(client.get("/v1/scrutiny/cases"), 401)


def test_an_excuse_decision_falls_with_its_miss_struck_out(client: TestClient, steps: ReadSteps) -> None:
    cid = referred(steps)  # 3 the miss, 4 the referral
    other = referred(steps)
    assert [i["entry"] for i in cases(client)["items"]] == [4, 4]

    strike(steps, cid, 3)

    assert [i["caution_id"] for i in cases(client)["items"]] == [other]


def test_a_corrected_time_moves_the_cases_day(client: TestClient, steps: ReadSteps) -> None:
    cid = referred(steps)
    ok(steps.correct(cid, 4, "Decided the day before", corrected_occurred_at=at(10, 21)))

    assert [(i["caution_id"], i["happened_on"]) for i in cases(client)["items"]] == [(cid, "2026-03-12")]


def test_a_rebuild_gives_the_rows_the_live_projector_gave(client: TestClient, steps: ReadSteps) -> None:
    referred(steps, police_reference="CC-2026-R1")
    struck = referred(steps, police_reference="CC-2026-R2")
    strike(steps, struck, 3)
    referred(steps, accepted=True, police_reference="CC-2026-R3")
    steps.issue(police_reference="CC-2026-R4")
    assert run_out_of_time(client, steps)
    projector = app_state(client).projector
    projector.run_until_caught_up()
    live = rows(client)
    kinds = sorted(row[3] for row in live)
    assert kinds.count("breach_referral") == 1 and kinds.count("accepted_excuse") == 1  # one gone with its miss
    assert "out_of_time" in kinds

    projector.rebuild(["panel_cases"], cautions_per_batch=1)

    assert rows(client) == live


def test_a_safeguarding_concern_is_a_case(client: TestClient, steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    ok(steps.schedule(cid, "A", 10))
    ok(steps.attend(cid, "A", 10))
    contacted = datetime(2026, 3, 13, 12, tzinfo=UTC)
    body = {"occurred_at": contacted.isoformat(), "stage": "after_workshop_a", "outcome": "contacted",
            "safeguarding_concern": True}
    steps.tick(contacted)
    ok(steps.post(cid, "victim-contacts", body, steps.victim_contact))

    listed = cases(client, kind="safeguarding_concern")["items"]

    assert [(i["caution_id"], i["happened_on"]) for i in listed] == [(cid, "2026-03-13")]
    assert listed[0]["reviewed"] is False
