"""How a caution is shown to a caller: the derived facts, and victim details only for victim contact."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any

from shared.auth import Role

from ..domain.caution import Caution
from ..domain.progress import required_actions
from ..domain.values import Workshop
from ..vault import VictimVault


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


def caution_public(c: Caution, role: Role, today: date, vault: VictimVault, position: int | None = None,
                   victim_details: bool = True) -> dict[str, Any]:
    """The caution as `role` may see it. The victim's contact details are the victim contact role's alone,
    and only where asked for (`victim_details`): reads, which the consultation log records."""
    actions = [
        {"action": a.action, "role": a.role, "due_on": a.due_on.isoformat() if a.due_on else None,
         "overdue": a.due_on is not None and a.due_on < today}
        for a in required_actions(c)
    ]
    victim = _flat(c.victim)
    shown = victim_details and role is Role.VICTIM_CONTACT
    victim["contact_details"] = vault.open(c.victim_details_sealed) if shown else None
    return {
        "id": str(c.id),
        "version": c.version,
        "position": position,
        "police_reference": c.police_reference,
        "force": c.force,
        "legal_basis": c.legal_basis.value,
        "status": c.status.value,
        "offender": _flat(c.offender),
        "offence": _flat(c.offence),
        "victim": victim,
        "issuing_officer": _flat(c.issuing_officer),
        "conditions": _flat(c.conditions),
        "issued_at": c.issued_at.isoformat(),
        "period_ends_on": c.period_ends_on.isoformat(),
        "days_left": max(0, (c.period_ends_on - today).days) if c.is_open else 0,
        "round": c.round,
        "workshops": {w.value: _workshop(c, w) for w in Workshop},
        "victim_contacted_after_workshop_a": c.contacted_after_a,
        "victim_contacted_on_completion": c.contacted_on_completion,
        "safeguarding_concern": c.safeguarding_concern,
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
