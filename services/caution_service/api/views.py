"""How a caution is shown to a caller: the derived facts, and the personal data its role may see (disclosure.py)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any

from shared.auth import Role

from ..disclosure import SEALED, Field, PersonalData, data_state, fields_shown
from ..domain.caution import Caution
from ..domain.progress import first_contact_due_on, required_actions
from ..domain.values import Person, Workshop


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _flat(obj: Any) -> dict[str, Any]:
    """A flat value object's fields, ready for JSON (dataclasses.asdict deep-copies every value first)."""
    cls: type = type(obj)  # a plain `type` (mypy takes type[Any] for unhashable)
    return {name: _json_value(getattr(obj, name)) for name in _field_names(cls)}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))  # fields() builds its answer anew on every call


def _workshop(c: Caution, workshop: Workshop) -> dict[str, Any]:
    booking = c.booking(workshop)
    attended = c.attended_at(workshop)
    return {
        "booked_for": booking.session_at.isoformat() if booking else None,
        "venue": booking.venue if booking else None,
        "attended_at": attended.isoformat() if attended else None,
    }


def caution_public(c: Caution, role: Role, today: date, personal: PersonalData | None,
                   position: int | None = None) -> dict[str, Any]:
    """The caution as `role` may see it (disclosure.py). Sealed fields are opened only given `personal`: a read,
    which the consultation log records; a command's answer (`personal` None) confirms what was recorded and
    opens nothing, so no personal data is kept in its Idempotency-Key record either."""
    actions = [
        {"action": a.action, "role": a.role, "due_on": a.due_on.isoformat() if a.due_on else None,
         "overdue": a.due_on is not None and a.due_on < today}
        for a in required_actions(c, today)
    ]
    shown = fields_shown(role, c)
    opened = shown if personal is not None else shown - SEALED
    identity = personal.offender_identity(c) if personal and Field.OFFENDER_IDENTITY in opened else None
    offence = _flat(c.offence)
    offence["description"] = (personal.offence_description(c)
                              if personal and Field.OFFENCE_DESCRIPTION in opened else None)
    victim = _flat(c.victim)
    if Field.VICTIM_REFERENCE not in opened:
        victim["reference"] = None
    if Field.DASH_RISK not in opened:
        victim["dash_risk"] = None
    victim["contact_details"] = personal.victim_details(c) if personal and Field.VICTIM_DETAILS in opened else None
    return {
        "id": str(c.id),
        "version": c.version,
        "position": position,
        "police_reference": c.police_reference,
        "force": c.force,
        "legal_basis": c.legal_basis.value,
        "status": c.status.value,
        "offender": {"reference": c.offender.reference, **(identity or _NO_IDENTITY)},
        "offence": offence,
        "history": _flat(c.history) if Field.OFFENDING_HISTORY in opened else None,
        "victim": victim,
        "personal_data": {person.value: data_state(c, person) for person in Person},
        "withheld": sorted(field.value for field in Field if field not in opened),
        "issuing_officer": _flat(c.issuing_officer),
        "conditions": _flat(c.conditions),
        "issued_at": c.issued_at.isoformat(),
        "period_ends_on": c.period_ends_on.isoformat(),
        "days_left": max(0, (c.period_ends_on - today).days) if c.is_open else 0,
        "round": c.round,
        "workshops": {w.value: _workshop(c, w) for w in Workshop},
        "first_contact": {"made_at": c.first_contact_at.isoformat() if c.first_contact_at else None,
                          "due_on": _iso(first_contact_due_on(c)), "attempts": c.first_contact_attempts},
        "victim_contacted_after_workshop_a": c.contacted_after_a,
        "victim_contacted_on_completion": c.contacted_on_completion,
        "safeguarding_concern": c.safeguarding_concern,
        "open_safeguarding_concerns": [
            {"entry": entry, "category": category, "urgency": urgency, "raised_at": raised_at.isoformat()}
            for entry, (category, urgency, raised_at) in sorted(c.open_concerns.items())
        ] if role in SEES_CONCERNS else [],
        "current_dash_risk": c.dash_risk.value if Field.DASH_RISK in opened else None,
        "pending_excuse_decision": c.pending_miss.value if c.pending_miss else None,
        "breach_referred": c.breach_referred,
        "deadline_passed": c.deadline_passed,
        "breach_outcome": c.breach_outcome.value if c.breach_outcome else None,
        "closed_at": c.final_at.isoformat() if c.final_at else None,
        "unmet_conditions": c.unmet_conditions() if c.is_open else [],
        "required_actions": actions,
        "next_action": actions[0] if actions else None,
        "overdue": any(a["overdue"] for a in actions),
        "spent_on": c.spent_on.isoformat(),
    }


# Who is shown that a concern is open (its kind and urgency; never what was said: disclosure.concern_details).
SEES_CONCERNS = frozenset({Role.POLICE, Role.PROVIDER, Role.VICTIM_CONTACT, Role.COURT})


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


_NO_IDENTITY = {"name": None, "date_of_birth": None, "gender": None}


def disclosed(c: Caution, role: Role) -> frozenset[Field]:
    """The personal data fields a read of this caution by `role` shows: what the consultation log records."""
    return fields_shown(role, c)
