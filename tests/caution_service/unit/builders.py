"""Builders for domain tests: an eligible application, an issued caution, and steps along its way.

Times are `at(day)`: the caution is issued at day 0 (T0, 10:00 UTC); each step is
recorded one hour after it happened unless a test says otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.caution_service.domain import eligibility
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import DomainError
from services.caution_service.domain.values import (
    AbsenceReason,
    Booking,
    BreachOutcome,
    ConcernSource,
    ConcernUrgency,
    Conditions,
    ContactOutcome,
    ContactStage,
    DataProtectionBasis,
    FirstContactMethod,
    FirstContactOutcome,
    Gender,
    IssuingOfficer,
    LegalBasis,
    MissReason,
    Offence,
    OffenceCategory,
    Offender,
    OffenderIdentity,
    OffendingHistory,
    PanelCaseKind,
    Person,
    Rank,
    RecordedBy,
    Relationship,
    RescheduleReason,
    RescheduleRequester,
    RiskLevel,
    RiskReviewDecision,
    SafeguardingCategory,
    SessionCancellation,
    Victim,
    Workshop,
)
from tests.support import T0, at

ISSUED_ON = T0.date()
LATER = timedelta(hours=1)

POLICE = RecordedBy("SGT-1001", "police", "CAMBS")
PROVIDER = RecordedBy("prov-7", "provider", "CAMBS")
VICTIM_SERVICE = RecordedBy("vcs-3", "victim_contact", "CAMBS")
SYSTEM = RecordedBy("system", "system", "CAMBS")
ADMIN = RecordedBy("dpo-1", "admin", "CAMBS")


def offender(**overrides: Any) -> OffenderIdentity:
    """The offender's identity in clear, as the rules see it (the record holds it sealed: `recorded_offender`)."""
    return replace(OffenderIdentity("Alex Example", date(1990, 5, 17), Gender.MALE), **overrides)


def recorded_offender(**overrides: Any) -> Offender:
    """The offender as the domain records them: the seal is opaque to it, so a stand-in does here."""
    return replace(Offender("PNC-0001", "p1.offender-key.c2VhbGVkIGlkZW50aXR5"), **overrides)


def offence(**overrides: Any) -> Offence:
    base = Offence(
        category=OffenceCategory.COMMON_ASSAULT,
        committed_on=ISSUED_ON - timedelta(days=10),
        description="Pushed partner during an argument",
        relationship=Relationship.CURRENT_PARTNER,
        admitted=True,
        evidence_sufficient_to_charge=True,
        charge_decision_by="CPS",
    )
    return replace(base, **overrides)


def history(**overrides: Any) -> OffendingHistory:
    return replace(OffendingHistory(None, False), **overrides)


def victim(**overrides: Any) -> Victim:
    return replace(Victim("V-0001", RiskLevel.STANDARD, True, True), **overrides)


def officer(**overrides: Any) -> IssuingOfficer:
    return replace(IssuingOfficer("SGT-1001", "Sgt Jo Bloggs", Rank.SERGEANT, False), **overrides)


def application(**parts: Any) -> eligibility.Application:
    """An eligible application; pass e.g. offence=offence(admitted=False) to break one rule."""
    base = eligibility.Application(offender(), offence(), history(), victim(), officer(), ISSUED_ON)
    return replace(base, **parts)


def issue_kwargs(**overrides: Any) -> dict[str, Any]:
    # A police reference and an offender of its own each time: a store takes one caution per reference per force
    # and per offender within two years (services/caution_service/references.py), and tests record many.
    unique = uuid.uuid4().hex[:8].upper()
    kwargs: dict[str, Any] = dict(
        police_reference=f"CC-{unique}",
        force="CAMBS",
        legal_basis=LegalBasis.CONDITIONAL_CAUTION,
        offender=recorded_offender(reference=f"PNC-{unique}"),
        identity=offender(),
        offence=offence(),
        history=history(),
        victim=victim(),
        issuing_officer=officer(),
        conditions=Conditions(),
        victim_details_sealed=None,
        offender_key="offender-key",
        victim_key="victim-key",
        occurred_at=T0,
        recorded_at=T0 + LATER,
        recorded_by=POLICE,
    )
    kwargs.update(overrides)
    return kwargs


def issued(**overrides: Any) -> Caution:
    return Caution.issue(**issue_kwargs(**overrides))


def pending(c: Caution, index: int = -1) -> Any:
    """One of the caution's new events. Most event classes are made at run time by `@event("Name")`, so
    the type checker cannot know their fields: the event comes back as Any."""
    return c.pending_events[index]


# ----- steps: each takes the caution and a day offset, and records one hour later -----------------


def when(day: int | datetime, recorded_at: datetime | None = None) -> dict[str, Any]:
    occurred = at(day) if isinstance(day, int) else day
    return {"occurred_at": occurred, "recorded_at": recorded_at or occurred + LATER}


def book(c: Caution, workshop: Workshop, session_day: int, *, on: int = 0, reason: str | None = None,
         session_id: str | None = None, **asked: Any) -> None:
    """`asked`: a reschedule's requested_by and reason_code."""
    c.schedule_workshop(workshop, Booking(at(session_day), "Hall 1", session_id), reason, **when(on),
                        recorded_by=PROVIDER, **asked)


def cancel_booking(c: Caution, workshop: Workshop, session_id: str, day: int,
                   reason: SessionCancellation = SessionCancellation.VENUE_UNAVAILABLE) -> None:
    c.cancel_booking(workshop, session_id, reason, **when(day), recorded_by=PROVIDER)


def first_contact(c: Caution, day: int | datetime, outcome: FirstContactOutcome = FirstContactOutcome.CONTACTED,
                  method: FirstContactMethod = FirstContactMethod.PHONE) -> None:
    c.record_first_contact(method, outcome, **when(day), recorded_by=PROVIDER)


def attend_a(c: Caution, day: int | datetime, recorded_at: datetime | None = None,
             other_day: str | None = None) -> None:
    """`other_day`: the reason it was not on the booked session's day (needed when it was not)."""
    c.attend_workshop_a(**when(day, recorded_at), recorded_by=PROVIDER, reason_not_on_booked_day=other_day)


def attend_b(c: Caution, day: int | datetime, recorded_at: datetime | None = None,
             other_day: str | None = None) -> None:
    c.attend_workshop_b(**when(day, recorded_at), recorded_by=PROVIDER, reason_not_on_booked_day=other_day)


def miss(c: Caution, workshop: Workshop, day: int, reason: MissReason = MissReason.DID_NOT_ATTEND,
         absence_reason: AbsenceReason | None = None, absence_detail: str | None = None) -> None:
    c.miss_workshop(workshop, reason, "no show", **when(day), recorded_by=PROVIDER,
                    absence_reason=absence_reason, absence_detail=absence_detail)


def decide(c: Caution, accepted: bool, day: int, absence_reason: AbsenceReason | None = None) -> None:
    c.decide_excuse(accepted, "hospital letter" if accepted else "no excuse given", **when(day), recorded_by=POLICE,
                    absence_reason=absence_reason)


SEALED_DETAIL = "p1.offender-key.c2VhbGVkIGRldGFpbA"  # a stand-in: the domain never opens a seal


def contact(c: Caution, stage: ContactStage, day: int, concern: bool = False) -> None:
    c.contact_victim(stage, ContactOutcome.CONTACTED, concern, None, **when(day), recorded_by=VICTIM_SERVICE)


def complete(c: Caution, day: int) -> None:
    c.complete(**when(day), recorded_by=PROVIDER)


def breach(c: Caution, day: int, outcome: BreachOutcome = BreachOutcome.PROSECUTE) -> None:
    c.breach(outcome, "did not comply", **when(day), recorded_by=POLICE)


def withdraw(c: Caution, day: int) -> None:
    c.withdraw("issued in error", **when(day), recorded_by=POLICE)


def vary(c: Caution, period_ends_on: date, day: int) -> None:
    c.vary_conditions(period_ends_on, "illness", "INSP-9", **when(day), recorded_by=POLICE)


def pass_deadline(c: Caution, day: int) -> None:
    c.record_deadline_passed(recorded_at=at(day), recorded_by=SYSTEM)


def correct(c: Caution, version: int, new_time: datetime | None, day: int) -> None:
    c.correct(version, "typo in the register", new_time, recorded_at=at(day), recorded_by=PROVIDER)


def strike(c: Caution, version: int, day: int, by: RecordedBy = POLICE) -> None:
    """Strike the entry out as recorded in error (police: the only ones who may once the caution is closed)."""
    c.correct(version, "found at court to be wrong", None, recorded_at=at(day), recorded_by=by, recorded_in_error=True)


# ----- whole stages ---------------------------------------------------------------------------------

A_DAY = 10
B_DAY = A_DAY + 28


def with_a_attended(**overrides: Any) -> Caution:
    c = issued(**overrides)
    book(c, Workshop.A, A_DAY, on=1)
    attend_a(c, A_DAY)
    return c


def with_b_booked(**overrides: Any) -> Caution:
    c = with_a_attended(**overrides)
    book(c, Workshop.B, B_DAY, on=A_DAY + 1)
    return c


def ready_to_complete(**overrides: Any) -> Caution:
    c = with_b_booked(**overrides)
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 2)
    attend_b(c, B_DAY)
    return c


def completed(**overrides: Any) -> Caution:
    c = ready_to_complete(**overrides)
    complete(c, B_DAY + 1)
    return c


def referred(**overrides: Any) -> Caution:
    """Workshop B missed (day B_DAY) and the excuse rejected (B_DAY + 1): a failure a breach decision rests on."""
    c = with_b_booked(**overrides)
    miss(c, Workshop.B, B_DAY)
    decide(c, False, B_DAY + 1)
    return c


def event_names(c: Caution) -> list[str]:
    return [type(e).__name__ for e in c.pending_events]


@contextmanager
def refused(error: type[DomainError], rule: str, caution: Caution | None = None) -> Iterator[Any]:
    """The block raises `error` for `rule`; when given, `caution` records nothing."""
    before = None if caution is None else (caution.version, len(caution.pending_events), list(caution.entries))
    with pytest.raises(error) as caught:
        yield caught
    assert caught.value.rule == rule, f"refused for {caught.value.rule!r}, expected {rule!r}"
    if caution is not None:
        assert (caution.version, len(caution.pending_events), list(caution.entries)) == before


# ----- one of every kind of event -------------------------------------------------------------------


def cautions_with_every_kind_of_event() -> list[Caution]:
    """Four cautions whose pending events, between them, are of every kind a caution records."""
    done = issued()
    book(done, Workshop.A, A_DAY)
    book(done, Workshop.A, A_DAY + 1, on=1, reason="venue closed", requested_by=RescheduleRequester.PROVIDER,
         reason_code=RescheduleReason.PROVIDER_ARRANGEMENTS)
    attend_a(done, A_DAY + 1)
    contact(done, ContactStage.AFTER_WORKSHOP_A, A_DAY + 2)
    correct(done, 4, None, A_DAY + 3)
    book(done, Workshop.B, B_DAY + 1, on=A_DAY + 3)
    attend_b(done, B_DAY + 1)
    complete(done, B_DAY + 2)
    contact(done, ContactStage.ON_COMPLETION, B_DAY + 3)
    breached = issued(police_reference="CC-0002")
    book(breached, Workshop.A, A_DAY)
    miss(breached, Workshop.A, A_DAY, absence_reason=AbsenceReason.OTHER, absence_detail=SEALED_DETAIL)
    decide(breached, False, A_DAY + 1)
    breach(breached, A_DAY + 2)
    withdrawn = issued(police_reference="CC-0003")
    first_contact(withdrawn, 2)
    book(withdrawn, Workshop.A, A_DAY, on=3, session_id="session-1")
    cancel_booking(withdrawn, Workshop.A, "session-1", 4)
    vary(withdrawn, ISSUED_ON + timedelta(days=120), 5)
    pass_deadline(withdrawn, 121)
    withdraw(withdrawn, 122)
    data: dict[str, Any] = {"recorded_at": at(130), "recorded_by": ADMIN}
    withdrawn.restrict_processing(Person.VICTIM, "accuracy contested", DataProtectionBasis.RESTRICTION_ACCURACY,
                                  **data)
    withdrawn.lift_restriction(Person.VICTIM, "accuracy settled", **data)
    withdrawn.rectify_personal_data(Person.OFFENDER, ["name"], "p1.offender-key.Y29ycmVjdGVk", "spelling", **data)
    withdrawn.erase_personal_data(Person.OFFENDER, "retention period over", DataProtectionBasis.RETENTION, **data)
    return [done, breached, withdrawn, safeguarded()]


SEALED_CONCERN = "p1.victim-key.c2FpZCBzb21ldGhpbmc"  # a stand-in for what was said, sealed under the victim's key


def raise_concern(c: Caution, day: int, *, by: RecordedBy = VICTIM_SERVICE,
                  source: ConcernSource = ConcernSource.VICTIM_CONTACT, session_id: str | None = None,
                  urgency: ConcernUrgency = ConcernUrgency.URGENT,
                  category: SafeguardingCategory = SafeguardingCategory.RISK_TO_VICTIM) -> int:
    """Raise a concern; its entry number (the concern's id)."""
    c.raise_safeguarding_concern(category, urgency, source, SEALED_CONCERN, **when(day), recorded_by=by,
                                 session_id=session_id)
    return c.version


def acknowledge(c: Caution, concern: int, day: int) -> None:
    c.acknowledge_safeguarding_concern(concern, "officer visited the victim", **when(day), recorded_by=POLICE)


def reassess(c: Caution, level: RiskLevel, day: int, by: RecordedBy = POLICE) -> None:
    c.reassess_risk(level, "new threats reported", **when(day), recorded_by=by)


def review(c: Caution, decision: RiskReviewDecision, day: int) -> None:
    c.decide_risk_review(decision, "bail conditions in place", **when(day), recorded_by=POLICE)


def panel(c: Caution, day: int, kind: PanelCaseKind = PanelCaseKind.SAFEGUARDING_CONCERN, by: RecordedBy = POLICE,
          actions: list[str] | None = None) -> None:
    c.record_panel_review("panel-2026-04", at(day).date(), ["INSP-2002", "prov-7"], kind, "handled well",
                          ["share the learning"] if actions is None else actions, **when(day), recorded_by=by)


def safeguarded() -> Caution:
    """A concern raised and acknowledged, the risk raised to high and the caution reviewed, and a panel's review."""
    c = issued(police_reference="CC-0004")
    concern = raise_concern(c, 3)
    acknowledge(c, concern, 3)
    reassess(c, RiskLevel.HIGH, 4)
    review(c, RiskReviewDecision.CONTINUE, 5)
    panel(c, 6)
    return c


def one_of_each_event() -> dict[str, Any]:
    """An event of every kind a caution records, by its name."""
    from services.caution_service.domain.caution import event_name

    return {event_name(e): e for c in cautions_with_every_kind_of_event() for e in c.collect_events()}
