"""The command mix the benchmarks drive: one caution's realistic life, as HTTP requests and as domain calls.

Each caution is issued about 60 days ago (the service uses the real clock, so nothing may be in the
future) and then goes through 11 read-modify-write commands from three roles:

  schedule A, reschedule A, A missed, excuse accepted (A and B start again), schedule A, attend A,
  victim contacted after A, schedule B (30 days after A), attend B, completion, victim contacted
  on completion.

Every command is a read-modify-write on an existing caution: the service loads the caution, the
domain checks the rules against its current state, and one new event is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.caution_service.disclosure import identity_json
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.values import (
    Booking,
    Conditions,
    ContactOutcome,
    ContactStage,
    Gender,
    IssuingOfficer,
    LegalBasis,
    MissReason,
    Offence,
    OffenceCategory,
    Offender,
    OffenderIdentity,
    OffendingHistory,
    Rank,
    RecordedBy,
    Relationship,
    RiskLevel,
    Victim,
    Workshop,
)
from shared.keyring import KeyRing

ISSUED_DAYS_AGO = 60
VENUE = "Cambridge Community Hall, Room 2"


def issue_time(now: datetime | None = None) -> datetime:
    """When the benchmark's cautions were given: 60 days ago, at 10:00 UTC. At a fixed hour because each
    attendance is recorded three hours after its session starts, and an attendance must fall on its session's UK
    day: from a run started after 21:00 it would fall on the next one, and be refused."""
    return ((now or datetime.now(UTC)) - timedelta(days=ISSUED_DAYS_AGO)).replace(
        hour=10, minute=0, second=0, microsecond=0)


def _t(issued: datetime, days: float, hours: float = 0) -> datetime:
    return issued + timedelta(days=days, hours=hours)


@dataclass(frozen=True)
class Step:
    name: str
    role: str  # who may send it over HTTP
    path: str  # relative to /v1/cautions/{id}/
    body: Callable[[datetime], dict[str, Any]]  # issued_at -> JSON body
    apply: Callable[[Caution, datetime, dict[str, Any]], None]  # (caution, issued_at, stamp) -> domain call

    def command(self, issued: datetime, stamp: dict[str, Any]) -> Callable[[Caution], None]:
        """The domain call for one caution, as the application's `change` takes it."""
        return lambda c: self.apply(c, issued, stamp)


def _when(issued: datetime, days: float, hours: float = 0) -> str:
    return _t(issued, days, hours).isoformat()


STEPS: tuple[Step, ...] = (
    Step(
        "schedule_a", "provider", "workshops/A/schedule",
        lambda t: {"occurred_at": _when(t, 1), "session_at": _when(t, 5), "venue": VENUE},
        lambda c, t, s: c.schedule_workshop(Workshop.A, Booking(_t(t, 5), VENUE), None, occurred_at=_t(t, 1), **s),
    ),
    Step(
        "reschedule_a", "provider", "workshops/A/schedule",
        lambda t: {"occurred_at": _when(t, 2), "session_at": _when(t, 6), "venue": VENUE,
                   "reason": "Offender asked for another date (work shift)"},
        lambda c, t, s: c.schedule_workshop(Workshop.A, Booking(_t(t, 6), VENUE), "Offender asked for another date",
                                            occurred_at=_t(t, 2), **s),
    ),
    Step(
        "miss_a", "provider", "workshops/A/non-attendance",
        lambda t: {"occurred_at": _when(t, 6, 2), "reason": "did_not_attend", "note": "No show, phone unanswered"},
        lambda c, t, s: c.miss_workshop(Workshop.A, MissReason.DID_NOT_ATTEND, "No show", occurred_at=_t(t, 6, 2), **s),
    ),
    Step(
        "excuse_accepted", "police", "excuse-decisions",
        lambda t: {"occurred_at": _when(t, 7), "accepted": True, "reason": "Hospital admission, letter seen"},
        lambda c, t, s: c.decide_excuse(True, "Hospital admission", occurred_at=_t(t, 7), **s),
    ),
    Step(
        "schedule_a_again", "provider", "workshops/A/schedule",
        lambda t: {"occurred_at": _when(t, 8), "session_at": _when(t, 10), "venue": VENUE},
        lambda c, t, s: c.schedule_workshop(Workshop.A, Booking(_t(t, 10), VENUE), None, occurred_at=_t(t, 8), **s),
    ),
    Step(
        "attend_a", "provider", "workshops/A/attendance",
        lambda t: {"occurred_at": _when(t, 10, 3)},
        lambda c, t, s: c.attend_workshop_a(occurred_at=_t(t, 10, 3), **s),
    ),
    Step(
        "victim_contact_after_a", "victim_contact", "victim-contacts",
        lambda t: {"occurred_at": _when(t, 11), "stage": "after_workshop_a", "outcome": "contacted",
                   "notes": "Victim feels safe; no new concerns"},
        lambda c, t, s: c.contact_victim(ContactStage.AFTER_WORKSHOP_A, ContactOutcome.CONTACTED, False, None,
                                         occurred_at=_t(t, 11), **s),
    ),
    Step(
        "schedule_b", "provider", "workshops/B/schedule",
        lambda t: {"occurred_at": _when(t, 12), "session_at": _when(t, 40), "venue": VENUE},
        lambda c, t, s: c.schedule_workshop(Workshop.B, Booking(_t(t, 40), VENUE), None, occurred_at=_t(t, 12), **s),
    ),
    Step(
        "attend_b", "provider", "workshops/B/attendance",
        lambda t: {"occurred_at": _when(t, 40, 3)},
        lambda c, t, s: c.attend_workshop_b(occurred_at=_t(t, 40, 3), **s),
    ),
    Step(
        "completion", "police", "completion",
        lambda t: {"occurred_at": _when(t, 41)},
        lambda c, t, s: c.complete(occurred_at=_t(t, 41), **s),
    ),
    Step(
        "victim_contact_on_completion", "victim_contact", "victim-contacts",
        lambda t: {"occurred_at": _when(t, 42), "stage": "on_completion", "outcome": "contacted"},
        lambda c, t, s: c.contact_victim(ContactStage.ON_COMPLETION, ContactOutcome.CONTACTED, False, None,
                                         occurred_at=_t(t, 42), **s),
    ),
)

ROLES = ("police", "provider", "victim_contact")


def new_caution(issued: datetime, now: datetime, serial: int, keyring: KeyRing | None = None) -> Caution:
    """A caution built straight from domain values (the library baseline's equivalent of POST /v1/cautions).

    Given the application's keyring, the offender's identity and the offence description are sealed under
    data keys of their own, as the API seals them (so the baseline pays for sealing too); without one, the
    seals are stand-ins that no projection opens."""
    identity = OffenderIdentity("Alex Example", date(1990, 5, 17), Gender.MALE)
    description = "Pushed partner during an argument"
    if keyring is None:
        offender_key, victim_key = "bench-offender", "bench-victim"
        identity_sealed = description_sealed = "p1.bench-offender.c2VhbGVk"
    else:
        offender_key, victim_key = keyring.prepare_key(), keyring.prepare_key()
        identity_sealed = keyring.seal(offender_key, identity_json(identity))
        description_sealed = keyring.seal(offender_key, description)
    return Caution.issue(
        police_reference=f"CC-BENCH-{serial:08d}",
        force="CAMBS",
        legal_basis=LegalBasis.CONDITIONAL_CAUTION,
        offender=Offender(f"PNC-{serial:08d}", identity_sealed),
        identity=identity,
        offence=Offence(OffenceCategory.COMMON_ASSAULT, (issued - timedelta(days=10)).date(),
                        description_sealed, Relationship.CURRENT_PARTNER, True, True, "CPS"),
        history=OffendingHistory(None, False),
        victim=Victim(f"V-{serial:08d}", RiskLevel.STANDARD, True, True),
        issuing_officer=IssuingOfficer("SGT-1001", "Sgt Jo Bloggs", Rank.SERGEANT, False),
        conditions=Conditions(),
        victim_details_sealed=None,
        offender_key=offender_key,
        victim_key=victim_key,
        occurred_at=issued,
        recorded_at=now,
        recorded_by=RecordedBy("bench-police", "police", "CAMBS"),
    )
