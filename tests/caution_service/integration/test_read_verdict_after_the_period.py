"""Over HTTP: a caution whose period ended with its conditions unmet reads "not complied, breach decision pending",
before the deadline monitor records ComplianceDeadlinePassed and after: the clock decides, not the monitor.
(The found bug: it read "in_progress", and the certificate "the caution period has not concluded".)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client
from tests.support import FakeClock, app_state, at

PERIOD_ENDED_AT = datetime(2026, 6, 22, 23, 0, tzinfo=UTC)  # issued 2 March + 112 days: the end of 22 June, BST


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def test_the_history_of_a_period_ended_unmet_says_not_complied_before_and_after_the_deadline_is_recorded(
    steps: ReadSteps,
) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.attend(cid, "A", 10))
    steps.project()
    steps.clock.now = PERIOD_ENDED_AT - timedelta(minutes=1)
    assert ok(steps.history(cid))["verdict"]["outcome"] == "in_progress"  # 23:59 BST on the last day: it runs

    steps.clock.now = PERIOD_ENDED_AT + timedelta(hours=10)  # the next morning; the monitor has not run
    before = ok(steps.history(cid))
    assert "ComplianceDeadlinePassed" not in [e["event_type"] for e in before["entries"]]
    expected = {"outcome": "not_complied", "decision": "breach_decision_pending", "reasons": [
        "The caution period ended on 2026-06-22 without every condition met.",
        "Not met: workshop B not attended.",
        "Not met: victim not contacted after workshop A.",
        "A police decision on the breach is due.",
    ]}
    assert before["verdict"] == expected
    caution = ok(steps.get(cid))
    assert caution["required_actions"] == [
        {"action": "decide_breach_or_vary", "role": "police", "due_on": None, "overdue": False}]

    assert len(app_state(steps.client).deadlines.run_once()) == 1
    steps.project()
    after = ok(steps.history(cid))
    assert after["entries"][-1]["event_type"] == "ComplianceDeadlinePassed"
    assert after["entries"][-1]["occurred_at"] == PERIOD_ENDED_AT.isoformat()
    assert after["verdict"] == expected

    # as the record stood on the last day, it was in progress: as_of reads the verdict for that day
    then = ok(steps.history(cid, as_of=at(110).isoformat()))
    assert (then["verdict"]["outcome"], then["verdict"]["decision"]) == ("in_progress", None)
