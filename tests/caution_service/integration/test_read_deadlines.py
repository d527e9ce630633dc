"""The deadline monitor records ComplianceDeadlinePassed exactly once for an open caution whose
period has ended, using the injected clock; closed cautions are left alone; a variation reopens the period."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.caution_service.deadlines import MONITOR_ID, DeadlineMonitor
from services.caution_service.main import build_application
from tests.caution_fixtures import event_names
from tests.caution_service.integration.test_read_support import (
    BACKENDS,
    ReadSteps,
    backend_url,
    ok,
    quiet_client,
    quiet_settings,
)
from tests.support import FakeClock, app_state, at

PERIOD_ENDS = date(2026, 6, 22)  # issued 2 March (at(0)) + 112 days
DAY_AFTER = at((PERIOD_ENDS - at(0).date()).days + 1, 9)
PERIOD_ENDED_AT = datetime(2026, 6, 22, 23, 0, tzinfo=UTC)  # the end of 22 June in the UK: 00:00 BST on 23 June


@pytest.fixture
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


def _monitor(steps: ReadSteps) -> DeadlineMonitor:
    return app_state(steps.client).deadlines


def _deadline_events(steps: ReadSteps, cid: str) -> int:
    return event_names(steps.client, cid).count("ComplianceDeadlinePassed")


def _open_caution(steps: ReadSteps) -> str:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    return cid


@pytest.mark.parametrize("steps", BACKENDS, indirect=True)
def test_records_the_passing_once_even_when_run_again_or_by_a_second_monitor(steps: ReadSteps) -> None:
    cid = _open_caution(steps)
    steps.project()
    steps.clock.now = DAY_AFTER

    assert _monitor(steps).run_once() == [UUID(cid)]
    assert _monitor(steps).run_once() == []  # the summary has not caught up: the aggregate refuses
    steps.project()
    assert _monitor(steps).run_once() == []
    other_replica = DeadlineMonitor(build_application(quiet_settings(app_state(steps.client).settings.database_url),
                                                      steps.clock), steps.clock)
    assert other_replica.run_once() == []
    assert _deadline_events(steps, cid) == 1

    caution = ok(steps.get(cid))
    assert caution["status"] == "deadline_passed" and caution["deadline_passed"] is True
    last = ok(steps.history(cid))["entries"][-1]
    assert last["event_type"] == "ComplianceDeadlinePassed"
    assert last["summary"] == "The caution period ended on 2026-06-22 without completion."
    assert last["recorded_by"] == {"id": MONITOR_ID, "role": "system", "force": "CAMBS"}
    assert last["recorded_at"] == DAY_AFTER.isoformat()
    assert last["occurred_at"] == PERIOD_ENDED_AT.isoformat()  # when the period ended, not when it was noticed
    verdict = ok(steps.history(cid))["verdict"]
    assert (verdict["outcome"], verdict["decision"]) == ("not_complied", "breach_decision_pending")
    assert verdict["reasons"][-1] == "A police decision on the breach is due."
    assert [i["id"] for i in ok(steps.listing(status="deadline_passed"))["items"]] == [cid]


def test_nothing_is_recorded_on_the_last_day_of_the_period(steps: ReadSteps) -> None:
    cid = _open_caution(steps)
    steps.project()
    steps.clock.now = PERIOD_ENDED_AT - timedelta(minutes=1)  # 23:59 BST on the last day
    assert _monitor(steps).run_once() == []
    assert _deadline_events(steps, cid) == 0


def test_the_period_ends_with_its_last_uk_day_though_the_utc_day_runs_on(steps: ReadSteps) -> None:
    cid = _open_caution(steps)
    steps.project()
    steps.clock.now = PERIOD_ENDED_AT + timedelta(minutes=30)  # 00:30 BST on 23 June; still 22 June in UTC
    assert _monitor(steps).run_once() == [UUID(cid)]
    steps.project()
    last = ok(steps.history(cid))["entries"][-1]
    assert (last["event_type"], last["occurred_at"]) == ("ComplianceDeadlinePassed", PERIOD_ENDED_AT.isoformat())


def test_closed_cautions_are_left_alone(steps: ReadSteps) -> None:
    completed = steps.completable()["id"]
    steps.run(steps.complete(completed, 41))
    withdrawn = steps.issue()["id"]
    steps.run(steps.withdraw(withdrawn, 2, "Issued in error."))
    breached = steps.issue()["id"]
    steps.run(steps.schedule(breached, "A", 3), steps.miss(breached, "A", 3),
              steps.decide_excuse(breached, 4, False, "No excuse given."),
              steps.breach(breached, 5, "Missed workshop A without excuse."))
    still_open = steps.issue()["id"]
    steps.project()
    before = {cid: event_names(steps.client, cid) for cid in (completed, withdrawn, breached)}
    steps.clock.now = DAY_AFTER + timedelta(days=30)

    assert _monitor(steps).run_once() == [UUID(still_open)]
    assert {cid: event_names(steps.client, cid) for cid in before} == before


def test_a_variation_extending_the_period_clears_the_deadline_until_the_new_end(steps: ReadSteps) -> None:
    cid = _open_caution(steps)
    steps.project()
    steps.clock.now = DAY_AFTER
    _monitor(steps).run_once()
    new_end = date(2026, 7, 20)  # the statutory maximum: 20 weeks from issue

    varied = steps.vary(cid, (DAY_AFTER.date() - at(0).date()).days, new_end, "Workshops cancelled by provider")
    assert ok(varied)["deadline_passed"] is False and ok(varied)["status"] == "active"
    steps.project()
    summary = ok(steps.listing())["items"][0]
    assert (summary["status"], summary["period_ends_on"]) == ("active", "2026-07-20")
    assert ok(steps.history(cid))["entries"][-1]["summary"] == (
        "Caution period end changed from 2026-06-22 to 2026-07-20, authorised by INSP-2002: "
        "Workshops cancelled by provider")
    assert _monitor(steps).run_once() == []

    steps.clock.now = at((new_end - at(0).date()).days, 20)
    assert _monitor(steps).run_once() == []  # the new last day
    steps.clock.now += timedelta(hours=5)
    assert _monitor(steps).run_once() == [UUID(cid)]
    assert _deadline_events(steps, cid) == 2
    steps.project()
    assert ok(steps.history(cid))["entries"][-1]["summary"] == (
        "The caution period ended on 2026-07-20 without completion.")


def test_monitors_racing_on_two_replicas_record_it_once(steps: ReadSteps) -> None:
    ids = [_open_caution(steps) for _ in range(3)]
    steps.project()
    steps.clock.now = DAY_AFTER
    url = app_state(steps.client).settings.database_url
    monitors = [DeadlineMonitor(build_application(quiet_settings(url), steps.clock), steps.clock) for _ in range(3)]
    results: list[Any] = []
    start = threading.Barrier(len(monitors))

    def run(monitor: DeadlineMonitor) -> None:
        start.wait()
        results.append(monitor.run_once())

    threads = [threading.Thread(target=run, args=(m,)) for m in monitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 3
    assert sorted(str(cid) for batch in results for cid in batch) == sorted(ids)
    assert [_deadline_events(steps, cid) for cid in ids] == [1, 1, 1]


def test_the_monitor_thread_in_the_app_uses_the_injected_clock(sqlite_url: str) -> None:
    clock = FakeClock()
    settings = quiet_settings(sqlite_url).model_copy(update={"run_projections": True, "deadline_check_seconds": 0.05,
                                                             "projection_poll_seconds": 0.05})
    from fastapi.testclient import TestClient

    from services.caution_service.main import create_app

    with TestClient(create_app(settings, clock)) as client:
        steps = ReadSteps(client, clock)
        cid = steps.issue()["id"]
        position = ok(steps.schedule(cid, "A", 10))["position"]
        assert len(ok(steps.history(cid, min_position=position))["entries"]) == 2
        clock.now = DAY_AFTER
        for _ in range(200):
            if "ComplianceDeadlinePassed" in event_names(client, cid):
                break
            threading.Event().wait(0.02)
        assert _deadline_events(steps, cid) == 1
