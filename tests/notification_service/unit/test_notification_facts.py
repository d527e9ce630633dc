"""What the notification service knows of a caution after each event: the catalogue's facts, applied purely."""

from __future__ import annotations

from datetime import date

import pytest

from services.notification_service.facts import CautionFacts, changed, facts_after
from shared.catalogue import CATALOGUE

KNOWN = CautionFacts("c-1", "CAMBS", "CC-1", date(2026, 6, 22))


def test_the_issue_opens_the_facts_from_its_payload_and_envelope() -> None:
    data = {"police_reference": "CC-9", "period_ends_on": "2026-07-01"}
    assert facts_after(CATALOGUE["CautionIssued"], "c-9", "KENT", data, None) == CautionFacts(
        "c-9", "KENT", "CC-9", date(2026, 7, 1))


def test_a_variation_moves_the_period_end_and_keeps_the_rest() -> None:
    after = facts_after(CATALOGUE["ConditionsVaried"], "c-1", "CAMBS", {"period_ends_on": "2026-07-10"}, KNOWN)
    assert after == CautionFacts("c-1", "CAMBS", "CC-1", date(2026, 7, 10))
    assert after is not None and changed(KNOWN, after) == {"period_ends_on": date(2026, 7, 10)}


@pytest.mark.parametrize("name", sorted(n for n, e in CATALOGUE.items() if not e.facts))
def test_events_that_set_no_fact_leave_the_facts_as_they_were(name: str) -> None:
    assert facts_after(CATALOGUE[name], "c-1", "CAMBS", {"period_ends_on": "2030-01-01"}, KNOWN) is KNOWN


def test_an_event_for_a_caution_never_seen_issued_has_no_facts() -> None:
    assert facts_after(CATALOGUE["ConditionsVaried"], "c-2", "CAMBS", {"period_ends_on": "2026-07-10"}, None) is None


@pytest.mark.parametrize("data", [{}, {"period_ends_on": "not a date"}, {"period_ends_on": None}])
def test_a_payload_that_garbles_a_fact_is_refused_not_guessed(data: dict) -> None:
    with pytest.raises((KeyError, ValueError, TypeError)):
        facts_after(CATALOGUE["ConditionsVaried"], "c-1", "CAMBS", data, KNOWN)
