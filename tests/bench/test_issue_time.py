"""The benchmark's lifecycles must pass the record's rules whatever the hour the benchmark runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.workload import STEPS, issue_time, new_caution
from tests.caution_service.unit.builders import SYSTEM


@pytest.mark.parametrize("hour", [0, 9, 21, 23])
def test_every_step_is_accepted_at_any_hour_of_the_run(hour: int) -> None:
    now = datetime(2026, 7, 1, hour, 30, tzinfo=UTC)  # summer: the UK day ends at 23:00 UTC
    issued = issue_time(now)
    caution = new_caution(issued, now, 1)
    for step in STEPS:
        step.apply(caution, issued, {"recorded_at": now, "recorded_by": SYSTEM})
    assert caution.status.value == "completed"
