"""Over HTTP, errors found at court can be corrected after the caution closed (issue 17): by the police alone, with
the reason, as new entries the court reads as corrections; the state and the verdict are decided again from the
corrected facts, and strikes that cannot be decided again are refused naming the rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import ReadSteps, ok, quiet_client
from tests.support import FakeClock, at, iso

# completed(): 1 issued, 2 A booked, 3 B booked, 4 A attended (day 10), 5 victim contacted, 6 B attended (day 40),
# 7 completed (day 41)
A_ATTENDED, B_ATTENDED, COMPLETED = 4, 6, 7


@pytest.fixture
def steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)


def _completed(steps: ReadSteps) -> str:
    cid: str = steps.completable()["id"]
    steps.run(steps.complete(cid, 41))
    return cid


def _strike(steps: ReadSteps, cid: str, entry: int, headers: dict[str, str] | None = None,
            reason: str = "Found at court: the register was of another offender") -> Any:
    body = {"corrects_entry": entry, "reason": reason, "recorded_in_error": True}
    return steps.post(cid, "corrections", body, headers or steps.police)


def _history(steps: ReadSteps, cid: str) -> dict[str, Any]:
    steps.project()
    history: dict[str, Any] = ok(steps.history(cid))
    return history


def _rule(response: Any, status: int) -> str:
    rule: str = assert_problem(response, status)["errors"][0]["rule"]
    return rule


def test_a_provider_correcting_a_closed_caution_is_refused_saying_only_the_police_may(steps: ReadSteps) -> None:
    cid = _completed(steps)
    response = steps.post(cid, "corrections", {"corrects_entry": A_ATTENDED, "reason": "Wrong time"}, steps.provider)
    assert _rule(response, 409) == "caution_is_closed"
    assert "only the police" in response.json()["detail"]
    assert _rule(_strike(steps, cid, COMPLETED, steps.provider), 409) == "caution_is_closed"
    assert ok(steps.get(cid))["version"] == COMPLETED


def test_the_police_strike_out_a_completion_recorded_in_error_and_the_caution_re_opens(steps: ReadSteps) -> None:
    cid = _completed(steps)
    assert _history(steps, cid)["verdict"]["outcome"] == "complied"

    after = ok(_strike(steps, cid, COMPLETED, reason="Completed in error: the victim contact was not made"))

    assert after["status"] == "active" and after["closed_at"] is None
    history = _history(steps, cid)
    correction = history["entries"][-1]
    assert correction["event_type"] == "EntryCorrected" and correction["corrects_entry"] == COMPLETED
    assert correction["summary"] == ("Correction to entry 7 (Completed): Completed in error: the victim contact was "
                                     "not made. Entry 7 was recorded in error and is struck out.")
    assert correction["recorded_by"]["role"] == "police"
    assert history["entries"][COMPLETED - 1]["corrected_by"] == [COMPLETED + 1]
    assert history["entries"][COMPLETED - 1]["summary"] == "All conditions met; caution completed."  # kept as it was
    assert history["verdict"]["outcome"] == "in_progress"
    assert ("Entry 7 (Completed) was recorded in error (corrected by entry 8): Completed in error: the victim "
            "contact was not made.") in history["verdict"]["reasons"]
    assert ok(steps.client.get(f"/v1/cautions/{cid}/compliance-history/verification", headers=steps.court))["intact"]


def test_a_re_opened_caution_can_be_completed_again_truly(steps: ReadSteps) -> None:
    cid = _completed(steps)
    steps.run(_strike(steps, cid, COMPLETED), steps.complete(cid, 60))
    assert ok(steps.get(cid))["status"] == "completed"
    assert _history(steps, cid)["verdict"]["outcome"] == "complied"


def test_a_corrected_time_breaking_the_28_days_is_accepted_and_the_verdict_decided_again(steps: ReadSteps) -> None:
    cid = _completed(steps)
    body = {"corrects_entry": B_ATTENDED, "reason": "The register shows B on 8 April",
            "corrected_occurred_at": iso(at(37, 19))}

    after = ok(steps.post(cid, "corrections", body, steps.police))

    assert after["status"] == "completed"  # what was recorded stays recorded ...
    verdict = _history(steps, cid)["verdict"]
    assert verdict["outcome"] == "not_complied"  # ... and the court is told what the corrected facts give
    assert verdict["decision"] == "breach_decision_pending"
    assert verdict["reasons"][1:] == [
        "Not met: workshop B attended 27 days after A (at least 28 needed).",
        "A police decision on the breach is due.",
        "Entry 6 (WorkshopBAttended) happened at 8 April 2026, 20:00 BST (corrected by entry 8): "
        "The register shows B on 8 April.",
    ]
    assert verdict["reasons"][0].startswith("Completion was recorded on ")


def test_a_breach_struck_out_re_opens_to_the_referral(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10),
              steps.decide_excuse(cid, 11, False, "No excuse given"), steps.breach(cid, 12, "Missed A."))
    after = ok(_strike(steps, cid, 5))
    assert after["status"] == "breach_referred" and after["breach_outcome"] is None


def test_the_miss_a_breach_rests_on_is_struck_only_after_the_breach(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10),
              steps.decide_excuse(cid, 11, False, "No excuse given"), steps.breach(cid, 12, "Missed A."))
    refused = _strike(steps, cid, 3)
    assert _rule(refused, 422) == "strike_dependant_first"
    assert refused.json()["detail"].startswith("Entry 5 (Breached) rests on entry 3")
    steps.run(_strike(steps, cid, 5), _strike(steps, cid, 3, reason="He was there: the register was wrong"))
    assert ok(steps.get(cid))["status"] == "active"


def test_an_attendance_the_completion_rests_on_is_refused_naming_the_completion(steps: ReadSteps) -> None:
    cid = _completed(steps)
    refused = _strike(steps, cid, B_ATTENDED)
    assert _rule(refused, 422) == "strike_dependant_first"
    assert "Entry 7 (Completed)" in refused.json()["detail"]


def test_a_strike_the_state_cannot_be_decided_again_without_is_refused_saying_why(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10),
              steps.decide_excuse(cid, 11, True, "In hospital"))
    refused = _strike(steps, cid, 3)
    assert _rule(refused, 422) == "strike_cannot_be_redecided"
    assert "excuse was accepted" in refused.json()["detail"]
    assert _rule(_strike(steps, cid, 1), 422) == "strike_cannot_be_redecided"


def test_a_pending_miss_struck_out_is_no_longer_pending(steps: ReadSteps) -> None:
    cid = steps.issue()["id"]
    steps.run(steps.schedule(cid, "A", 10), steps.miss(cid, "A", 10))
    after = ok(_strike(steps, cid, 3, steps.provider))  # open: the provider may strike its own register entry
    assert after["status"] == "active" and after["pending_excuse_decision"] is None
    steps.run(steps.attend(cid, "A", 10))


def test_an_entry_struck_out_cannot_be_struck_again_or_re_timed(steps: ReadSteps) -> None:
    cid = _completed(steps)
    steps.run(_strike(steps, cid, COMPLETED))
    assert _rule(_strike(steps, cid, COMPLETED), 409) == "entry_struck_out"
    body = {"corrects_entry": COMPLETED, "reason": "x", "corrected_occurred_at": iso(at(41, 20))}
    assert _rule(steps.post(cid, "corrections", body, steps.police), 409) == "entry_struck_out"


def test_a_strike_with_a_corrected_time_or_a_non_boolean_flag_is_refused(steps: ReadSteps) -> None:
    cid = _completed(steps)
    both = {"corrects_entry": COMPLETED, "reason": "x", "recorded_in_error": True,
            "corrected_occurred_at": iso(at(41, 20))}
    assert _rule(steps.post(cid, "corrections", both, steps.police), 422) == "strike_or_retime"
    not_a_flag = {"corrects_entry": COMPLETED, "reason": "x", "recorded_in_error": "yes"}
    assert_problem(steps.post(cid, "corrections", not_a_flag, steps.police), 422)
    assert ok(steps.get(cid))["version"] == COMPLETED
