"""A rebuild reads the store caution by caution: the same rows as projecting in position order, without
reading any caution back from the store, and with live projectors kept off the read models it refills."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.caution_service.api import records
from services.caution_service.main import build_application
from services.caution_service.projections.history import HistoryProjection
from services.caution_service.projections.projector import REBUILDING, Projector
from services.caution_service.projections.rebuild_lock import RebuildInProgress, rebuild_lock
from services.caution_service.projections.summary import SummaryProjection
from services.caution_service.projections.wiring import build_projector
from tests.caution_service.integration.test_read_support import (
    ReadSteps,
    populate,
    quiet_settings,
    read_model,
    stored_positions,
)
from tests.support import app_state


def _interleaved(steps: ReadSteps, count: int = 5) -> list[str]:
    """`count` cautions taken through their lives one command each in turn, so their events interleave."""
    ids = [steps.issue()["id"] for _ in range(count)]
    rounds: list[Callable[[str], Any]] = [
        lambda cid: steps.schedule(cid, "A", 10), lambda cid: steps.schedule(cid, "B", 40),
        lambda cid: steps.attend(cid, "A", 10), lambda cid: steps.contact_victim(cid, 12),
        lambda cid: steps.attend(cid, "B", 40), lambda cid: steps.complete(cid, 41),
    ]
    for command in rounds:
        steps.run(*(command(cid) for cid in ids))
    return ids


def _store(steps: ReadSteps) -> None:
    populate(steps, snapshotted=True)
    _interleaved(steps)


def _head(steps: ReadSteps) -> int:
    return app_state(steps.client).cautions.recorder.max_notification_id()


def _in_position_order(steps: ReadSteps) -> dict[str, list[dict[str, Any]]]:
    """The read models as the live projector builds them, event by event in store order."""
    projector = app_state(steps.client).projector
    projector.reset()
    projector.run_until_caught_up()
    return read_model(steps.engine)


def _other_projector(steps: ReadSteps, url: str, **kwargs: Any) -> Projector:
    """A projector of another application on the same database, as another process would have."""
    return build_projector(build_application(quiet_settings(url), steps.clock), **kwargs)


def test_a_rebuild_by_caution_equals_projecting_in_position_order_row_for_row(steps: ReadSteps, url: str) -> None:
    _store(steps)
    expected = _in_position_order(steps)
    head = _head(steps)
    assert len(expected["compliance_history"]) == head

    rebuilder = _other_projector(steps, url)
    progress: list[tuple[int, int]] = []
    assert rebuilder.rebuild(cautions_per_batch=2, progress=lambda done, of: progress.append((done, of))) == head

    assert read_model(steps.engine) == expected
    assert set(stored_positions(steps.engine).values()) == {head}
    cautions = len(expected["caution_summaries"])
    assert len(progress) == -(-cautions // 2)  # one transaction per two cautions
    assert progress[-1] == (head, head) and all(of == head for _, of in progress)


def test_a_rebuild_reads_no_caution_back_from_the_store_however_small_its_cache(
    sqlite_steps: ReadSteps, sqlite_url: str
) -> None:
    """In position order, interleaved cautions and a one-caution cache mean a store read for nearly every
    event; caution by caution, the state needed is always the one just built."""
    steps = sqlite_steps
    _interleaved(steps, count=6)
    expected = _in_position_order(steps)

    def counting(projector: Projector) -> list[Any]:
        calls: list[Any] = []
        repository = projector.app.repository
        real_get = repository.get
        def counted_get(*args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            return real_get(*args, **kwargs)

        repository.get = counted_get  # type: ignore[method-assign]
        return calls

    app = build_application(quiet_settings(sqlite_url), steps.clock)
    in_order = Projector(app, [SummaryProjection(), HistoryProjection()], batch_size=1000, cache_size=1)
    in_order_reads = counting(in_order)
    in_order.reset()
    in_order.run_until_caught_up()
    assert len(in_order_reads) > 20  # the cost a rebuild by caution avoids
    assert read_model(steps.engine) == expected

    by_caution = Projector(app, [SummaryProjection(), HistoryProjection()], batch_size=1000, cache_size=1)
    by_caution_reads = counting(by_caution)
    by_caution.rebuild(cautions_per_batch=4)
    assert by_caution_reads == []
    assert read_model(steps.engine) == expected


def test_live_projectors_leave_a_read_model_being_rebuilt_alone_and_project_what_came_after(
    steps: ReadSteps, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "WAIT_SECONDS", 0.3)  # how long a read waits for its own write
    _store(steps)
    live = app_state(steps.client).projector
    live.run_until_caught_up()
    head = _head(steps)
    added: list[str] = []

    def meanwhile(done: int, of: int) -> None:
        if added:
            return
        assert set(stored_positions(steps.engine).values()) == {REBUILDING}
        assert live.run_once() == 0  # the live projector has nothing it may project
        assert live.lag() > head  # readiness counts a read model being rebuilt as behind the whole store
        assert steps.client.get("/readyz").json()["projection_lag"] > head
        own_write = steps.client.get("/v1/cautions", params={"min_position": head}, headers=steps.police)
        assert own_write.status_code == 503 and own_write.headers["retry-after"] == "1"
        assert own_write.json()["detail"] == "The read models are being rebuilt; retry shortly."
        added.append(steps.issue()["id"])  # recorded after the rebuild's store position
        steps.run(steps.schedule(added[0], "A", 10))
        assert live.run_once() == 0

    rebuilt = _other_projector(steps, url).rebuild(cautions_per_batch=3, progress=meanwhile)

    assert added, "the rebuild should have reported progress"
    assert rebuilt == head + 2  # everything up to its store position, then the two events recorded meanwhile
    assert set(stored_positions(steps.engine).values()) == {head + 2}
    assert steps.client.get("/readyz").json()["projection_lag"] == 0
    assert read_model(steps.engine) == _in_position_order(steps)


def test_a_rebuild_that_stops_half_way_keeps_the_read_models_marked_until_one_finishes(
    steps: ReadSteps, url: str
) -> None:
    _store(steps)
    expected = _in_position_order(steps)

    def stop(done: int, of: int) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C after the first batch

    with pytest.raises(KeyboardInterrupt):
        _other_projector(steps, url).rebuild(cautions_per_batch=2, progress=stop)
    assert set(stored_positions(steps.engine).values()) == {REBUILDING}
    assert 0 < len(read_model(steps.engine)["caution_summaries"]) < len(expected["caution_summaries"])
    assert app_state(steps.client).projector.run_once() == 0
    assert app_state(steps.client).projector.lag() > _head(steps)

    assert _other_projector(steps, url).rebuild() == _head(steps)
    assert read_model(steps.engine) == expected


def test_a_second_rebuild_is_refused_while_one_runs_and_changes_nothing(steps: ReadSteps, url: str) -> None:
    _store(steps)
    expected = _in_position_order(steps)
    refused: list[str] = []

    def meanwhile(done: int, of: int) -> None:
        if refused:
            return
        rows = read_model(steps.engine)
        with pytest.raises(RebuildInProgress) as second:
            _other_projector(steps, url).rebuild(cautions_per_batch=2)
        refused.append(str(second.value))
        assert read_model(steps.engine) == rows  # the second dropped nothing of the first's work

    assert _other_projector(steps, url).rebuild(cautions_per_batch=2, progress=meanwhile) == _head(steps)
    assert refused == ["another rebuild of these read models is running"]
    assert read_model(steps.engine) == expected
    assert _other_projector(steps, url).rebuild() == _head(steps)  # the first let go of the lock when it ended
    assert read_model(steps.engine) == expected


def test_rebuilding_one_read_model_leaves_the_other_projecting(steps: ReadSteps, url: str) -> None:
    _store(steps)
    live = app_state(steps.client).projector
    live.run_until_caught_up()
    head = _head(steps)
    seen: list[dict[str, int]] = []

    def meanwhile(done: int, of: int) -> None:
        if not seen:
            steps.run(steps.schedule(steps.issue()["id"], "A", 10))
            assert live.run_once() == 2  # into the summaries and the offender search only
            seen.append(stored_positions(steps.engine))

    rebuilder = _other_projector(steps, url)
    rebuilder.rebuild(["compliance_history"], cautions_per_batch=4, progress=meanwhile)

    assert seen == [{"caution_summaries": head + 2, "compliance_history": REBUILDING, "offender_search": head + 2,
                     "workshop_sessions": head + 2, "worklist_items": head + 2, "panel_cases": head + 2,
                                              "outcomes": head + 2}]
    assert stored_positions(steps.engine) == {"caution_summaries": head + 2, "compliance_history": head + 2,
                                              "offender_search": head + 2, "workshop_sessions": head + 2,
                                              "worklist_items": head + 2, "panel_cases": head + 2,
                                              "outcomes": head + 2}
    assert read_model(steps.engine) == _in_position_order(steps)


def test_an_unknown_read_model_is_refused_before_anything_is_dropped(steps: ReadSteps) -> None:
    populate(steps)
    steps.project()
    before = read_model(steps.engine)
    projector = app_state(steps.client).projector
    with pytest.raises(ValueError, match="no such projection: summaries"):
        projector.rebuild(["summaries"])
    with pytest.raises(ValueError, match="no such projection"):
        projector.reset(["summaries"])
    assert read_model(steps.engine) == before


def test_a_rebuild_of_an_empty_store_sets_the_positions_to_the_start(steps: ReadSteps, url: str) -> None:
    assert _other_projector(steps, url).rebuild() == 0
    assert set(stored_positions(steps.engine).values()) == {0}
    assert app_state(steps.client).projector.lag() == 0


def _rebuild_command(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[4]
    env = {**os.environ, "CARA_DATABASE_URL": url, "CARA_ENVIRONMENT": "test", "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "services.caution_service.rebuild", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_rebuild_command_names_an_unknown_read_model_as_a_usage_error(
    sqlite_steps: ReadSteps, sqlite_url: str
) -> None:
    populate(sqlite_steps)
    sqlite_steps.project()
    before = read_model(sqlite_steps.engine)
    done = _rebuild_command(sqlite_url, "--projection", "summaries")
    assert done.returncode == 2
    assert "no such projection: summaries" in done.stderr
    assert read_model(sqlite_steps.engine) == before


def test_the_rebuild_command_refuses_while_another_process_rebuilds(sqlite_steps: ReadSteps, sqlite_url: str) -> None:
    populate(sqlite_steps)
    sqlite_steps.project()
    before = read_model(sqlite_steps.engine)
    with rebuild_lock(sqlite_steps.engine):  # this test process is the other rebuild
        done = _rebuild_command(sqlite_url)
    assert done.returncode == 1
    assert "another rebuild of these read models is running: nothing was changed" in done.stderr
    assert read_model(sqlite_steps.engine) == before
    assert set(stored_positions(sqlite_steps.engine).values()) == {_head(sqlite_steps)}
    assert _rebuild_command(sqlite_url).returncode == 0
