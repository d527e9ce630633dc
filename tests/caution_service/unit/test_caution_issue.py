"""Issuing a caution: what it records, its caution period, and the time rules."""

from __future__ import annotations

from datetime import timedelta

from services.caution_service.domain.caution import CLOCK_SKEW, Caution
from services.caution_service.domain.errors import InvalidCommand
from services.caution_service.domain.values import STATUTORY_MAX_PERIOD_DAYS, Conditions, LegalBasis, Status

from .builders import ISSUED_ON, POLICE, T0, issue_kwargs, issued, pending, refused


def test_issued_caution_is_active_at_version_one() -> None:
    c = issued()
    assert c.status is Status.ACTIVE
    assert c.is_open
    assert c.version == 1
    assert [type(e).__name__ for e in c.pending_events] == ["Issued"]


def test_issued_caution_records_the_force_conditions_and_who_recorded_it() -> None:
    conditions = Conditions(caution_period_days=90, first_contact_days=7, min_days_between_workshops=30)
    c = issued(conditions=conditions, legal_basis=LegalBasis.DIVERSIONARY_CAUTION)
    assert c.conditions == conditions
    assert c.legal_basis is LegalBasis.DIVERSIONARY_CAUTION
    event = pending(c, 0)
    assert event.recorded_by == POLICE
    assert event.occurred_at == T0


def test_caution_period_defaults_to_16_weeks_from_the_caution_date() -> None:
    assert issued().period_ends_on == ISSUED_ON + timedelta(weeks=16)


def test_caution_period_follows_the_conditions_recorded_on_the_caution() -> None:
    assert issued(conditions=Conditions(caution_period_days=100)).period_ends_on == ISSUED_ON + timedelta(days=100)


def test_caution_period_of_exactly_20_weeks_is_allowed() -> None:
    c = issued(conditions=Conditions(caution_period_days=STATUTORY_MAX_PERIOD_DAYS))
    assert c.period_ends_on == ISSUED_ON + timedelta(weeks=20)


def test_caution_period_beyond_the_20_week_statutory_maximum_is_refused() -> None:
    with refused(InvalidCommand, "statutory_maximum_period"):
        issued(conditions=Conditions(caution_period_days=STATUTORY_MAX_PERIOD_DAYS + 1))


def test_caution_dated_in_the_future_beyond_clock_skew_is_refused() -> None:
    with refused(InvalidCommand, "not_in_future"):
        Caution.issue(**issue_kwargs(occurred_at=T0 + CLOCK_SKEW + timedelta(seconds=1), recorded_at=T0))


def test_caution_dated_within_clock_skew_of_the_recording_is_accepted() -> None:
    c = Caution.issue(**issue_kwargs(occurred_at=T0 + CLOCK_SKEW, recorded_at=T0))
    assert c.issued_at == T0 + CLOCK_SKEW


def test_caution_time_without_a_utc_offset_is_refused() -> None:
    with refused(InvalidCommand, "time_needs_offset"):
        issued(occurred_at=T0.replace(tzinfo=None))
