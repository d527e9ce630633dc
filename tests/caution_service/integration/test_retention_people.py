"""Retention of people's data (issue 14 item 4), on SQLite and PostgreSQL: with the clock moved forward, each
victim's details and each offender's identity whose period is over are erased exactly once, as events in the
record, with the person's key destroyed; a run stopped part way is finished by the next, counting nothing twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.caution_service.retention import build_retention
from services.caution_service.retention_people import OFFENDER_IDENTITY, VICTIM_DETAILS
from shared.retention import RetentionConfig
from tests.caution_fixtures import Steps
from tests.support import FakeClock, app_state, at

DEFAULTS = RetentionConfig()
KENT_KEEPS_VICTIM_DETAILS_A_MONTH = RetentionConfig.parse(
    '{"forces": {"KENT": {"victim_details_days_after_close": 30}}}')


@pytest.fixture
def client(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(environment="test", database_url=database_url, run_projections=False),
                               clock), raise_server_exceptions=False) as c:
        yield c


def _app(client: TestClient) -> CautionApplication:
    app: CautionApplication = app_state(client).cautions
    return app


def _completed(s: Steps) -> dict[str, Any]:
    caution = s.completable()
    response = s.complete(caution["id"], 41)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _project(client: TestClient) -> None:
    app_state(client).projector.run_until_caught_up()


def _data(s: Steps, cid: str) -> dict[str, Any]:
    body = s.get(cid, s.victim_contact).json()
    return {"victim": body["personal_data"]["victim"]["state"], "details": body["victim"]["contact_details"],
            "offender": body["personal_data"]["offender"]["state"]}


def _erasures(s: Steps, cid: str) -> list[str]:
    _project(s.client)
    entries = s.client.get(f"/v1/cautions/{cid}/compliance-history", headers=s.court).json()["entries"]
    return [e["summary"] for e in entries if e["event_type"] == "PersonalDataErased"]


def _job(client: TestClient, clock: FakeClock, config: RetentionConfig = DEFAULTS, batch: int = 500) -> Any:
    return build_retention(_app(client), config, clock, batch)


def test_victim_details_are_erased_once_their_period_after_the_close_is_over(
        client: TestClient, clock: FakeClock) -> None:
    s = Steps(client, clock)
    closed, still_open = _completed(s)["id"], s.completable()["id"]
    _project(client)
    closed_on = at(41).date()
    clock.now = at(41) + timedelta(days=90)  # the default: 90 days after the close, not yet over
    assert _job(client, clock).run().get(VICTIM_DETAILS, 0) == 0

    clock.now = at(41) + timedelta(days=91)
    assert _job(client, clock).run()[VICTIM_DETAILS] == 1
    assert _data(s, closed) == {"victim": "erased", "details": None, "offender": "held"}
    assert _data(s, still_open)["victim"] == "held" and _data(s, still_open)["details"]
    # Asked again before the read model has seen the erasure: refused by the caution, so neither done nor counted.
    assert _job(client, clock).run().get(VICTIM_DETAILS, 0) == 0
    assert _erasures(s, closed) == ["The victim's personal data was erased under Data Protection Act 2018 s.39, the "
                                    "force's retention period: retention period over: 90 days after the caution "
                                    "closed"]
    assert _job(client, clock).run().get(VICTIM_DETAILS, 0) == 0  # and once projected, not a candidate at all
    history = s.client.get(f"/v1/cautions/{closed}/compliance-history/verification", headers=s.court).json()
    assert history["intact"]
    assert closed_on < clock().date()


def test_the_offender_identity_is_erased_once_the_years_after_the_spent_date_have_passed(
        client: TestClient, clock: FakeClock) -> None:
    s = Steps(client, clock)
    closed = _completed(s)
    s.completable()  # open: its spent date is not final, so it is never erased by the calendar
    _project(client)
    spent_on = date.fromisoformat(closed["spent_on"])
    clock.now = at(0).replace(year=spent_on.year + 10, month=spent_on.month, day=spent_on.day) - timedelta(days=1)
    assert _job(client, clock).run().get(OFFENDER_IDENTITY, 0) == 0
    clock.now += timedelta(days=1)
    assert _job(client, clock).run()[OFFENDER_IDENTITY] == 1
    assert _data(s, closed["id"])["offender"] == "erased"
    assert s.get(closed["id"]).json()["offender"]["name"] is None


def test_each_force_has_its_own_period(client: TestClient, clock: FakeClock) -> None:
    cambs, kent = Steps(client, clock), Steps(client, clock, force="KENT")
    in_cambs, in_kent = _completed(cambs)["id"], _completed(kent)["id"]
    _project(client)
    clock.now = at(41) + timedelta(days=31)
    assert _job(client, clock, KENT_KEEPS_VICTIM_DETAILS_A_MONTH).run()[VICTIM_DETAILS] == 1
    assert _data(kent, in_kent)["victim"] == "erased" and _data(cambs, in_cambs)["victim"] == "held"


def test_a_run_stopped_part_way_is_finished_by_the_next_and_nothing_is_counted_twice(
        client: TestClient, clock: FakeClock) -> None:
    s = Steps(client, clock)
    cautions = [_completed(s)["id"] for _ in range(3)]
    _project(client)
    clock.now = at(41) + timedelta(days=100)
    stop = threading.Event()
    _app(client).saved_listeners.append(lambda position: stop.set())  # stops the run after its first erasure
    first = _job(client, clock, batch=1)
    assert first.run(stop) == {VICTIM_DETAILS: 1}
    assert first.due()  # the day is not done
    _app(client).saved_listeners.pop()
    assert _job(client, clock, batch=1).run_if_due() == {VICTIM_DETAILS: 2}
    assert not _job(client, clock).due()
    assert all(_data(s, cid)["victim"] == "erased" for cid in cautions)
    assert [len(_erasures(s, cid)) for cid in cautions] == [1, 1, 1]
