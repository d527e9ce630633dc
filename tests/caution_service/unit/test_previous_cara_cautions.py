"""The previous-disposal rule over CARA cautions this system holds: two cautions less than two years apart, with
the declared rule's boundary (exactly two years still counts), at month ends and on 29 February."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.caution_service.domain.eligibility import (
    CautionOnRecord,
    PreviousCautionFailure,
    failed_rules,
    no_recent_domestic_abuse_disposal,
    previous_cara_cautions,
    with_previous_cautions,
)
from tests.caution_service.unit.builders import application, history, victim


def _on(day: date) -> CautionOnRecord:
    return CautionOnRecord(uuid4(), f"CC-{day.isoformat()}", day)


@pytest.mark.parametrize(("issued_on", "held_on", "counts"), [
    (date(2026, 3, 2), date(2024, 3, 2), True),  # exactly two years before
    (date(2026, 3, 2), date(2024, 3, 1), False),
    (date(2026, 2, 28), date(2024, 2, 29), True),  # a leap day within the period
    (date(2026, 2, 28), date(2024, 2, 28), True),
    (date(2026, 2, 28), date(2024, 2, 27), False),
    (date(2028, 2, 29), date(2026, 2, 28), True),  # two years before 29 February: 28 February
    (date(2028, 2, 29), date(2026, 2, 27), False),
    (date(2026, 1, 31), date(2024, 1, 31), True),  # a month end
    (date(2026, 1, 31), date(2024, 1, 30), False),
    (date(2026, 3, 2), date(2026, 3, 2), True),  # the same day
    (date(2024, 3, 2), date(2026, 3, 2), True),  # a caution dated after this one counts as well
    (date(2024, 3, 1), date(2026, 3, 2), False),
    (date(2026, 2, 28), date(2028, 2, 29), True),  # the mirror of the 29 February case: either order, one answer
])
def test_a_caution_counts_when_the_two_are_less_than_two_years_apart(issued_on: date, held_on: date,
                                                                     counts: bool) -> None:
    held = _on(held_on)
    assert previous_cara_cautions(issued_on, [held]) == ([held] if counts else [])


def test_the_cautions_found_are_named_in_the_previous_disposal_rule_with_what_was_declared() -> None:
    found = [_on(date(2025, 6, 1))]
    declared = application(history=history(last_domestic_abuse_disposal_on=date(2025, 1, 1)),
                           victim=victim(agrees=False))

    failures = with_previous_cautions(failed_rules(declared), found)

    assert [f.rule for f in failures] == [no_recent_domestic_abuse_disposal.__name__,
                                          "victim_must_be_consulted_and_agree"]
    merged = failures[0]
    assert isinstance(merged, PreviousCautionFailure) and merged.cautions == tuple(found)
    assert "2025-01-01" in merged.message  # declared
    assert str(found[0].caution_id) in merged.message and "CC-2025-06-01" in merged.message
    assert "2025-06-01" in merged.message


def test_nothing_found_leaves_the_failures_as_they_were() -> None:
    failures = failed_rules(application(victim=victim(agrees=False)))
    assert with_previous_cautions(failures, []) == failures
