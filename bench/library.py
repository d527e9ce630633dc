"""The raw library baseline: CautionApplication alone, no HTTP, one thread, read-modify-write commands."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import Any

from services.caution_service.config import Settings
from services.caution_service.domain.values import RecordedBy
from services.caution_service.event_store import engine_of
from services.caution_service.main import build_application

from .stats import summary_ms
from .workload import STEPS, issue_time, new_caution

RECORDED_BY = {
    "police": RecordedBy("bench-police", "police", "CAMBS"),
    "provider": RecordedBy("bench-provider", "provider", "CAMBS"),
    "victim_contact": RecordedBy("bench-victim_contact", "victim_contact", "CAMBS"),
}


def run_library(database_url: str, max_commands: int, max_seconds: float) -> dict[str, Any]:
    """Issue cautions and run every workload step through `CautionApplication.change`, as the routes do
    (get the caution, call the domain, save one event), without Idempotency-Key receipts."""
    app = build_application(Settings(environment="test", database_url=database_url))
    try:
        issued = issue_time()
        serial = 0

        def lifecycle(latencies: list[float] | None, budget: list[int], deadline: float) -> int:
            nonlocal serial
            serial += 1
            now = datetime.now(UTC)
            caution_id = app.issue(lambda: new_caution(issued, now, serial, app.keyring)).caution.id
            done = 0
            for step in STEPS:
                if budget[0] <= 0 or time.perf_counter() >= deadline:
                    break
                stamp = {"recorded_at": datetime.now(UTC), "recorded_by": RECORDED_BY[step.role]}
                t0 = time.perf_counter()
                app.change(caution_id, step.command(issued, stamp))
                if latencies is not None:
                    latencies.append(time.perf_counter() - t0)
                budget[0] -= 1
                done += 1
            return done

        for _ in range(2):  # warm-up
            lifecycle(None, [len(STEPS)], time.perf_counter() + 60)

        latencies: list[float] = []
        budget = [max_commands]
        cautions = 0
        cpu0, start = time.process_time(), time.perf_counter()
        deadline = start + max_seconds
        while budget[0] > 0 and time.perf_counter() < deadline:
            lifecycle(latencies, budget, deadline)
            cautions += 1
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    finally:
        app.close()
        engine = None
        with contextlib.suppress(TypeError):  # not stored through SQLAlchemy
            engine = engine_of(app)
        if engine is not None:
            engine.dispose()
    commands = len(latencies)
    events = commands + cautions  # each command and each issue records exactly one event
    return {
        "wall_seconds": round(wall, 3),
        "commands": commands,
        "cautions_issued": cautions,
        "events": events,
        "events_per_second": round(events / wall, 1),
        "commands_per_second": round(commands / wall, 1),
        "command_latency": summary_ms(latencies),
        "cpu_seconds": round(cpu, 3),
    }
