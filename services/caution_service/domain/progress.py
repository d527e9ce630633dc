"""What a caution needs next, who must do it, and by when: derived, never stored.

Some needs depend on the day they are asked on (`today`, a UK date): once the caution period has ended the
police must decide, whether or not the monitor has recorded it yet; and when the workshops still to attend
(A, then B at least the gap later) can no longer fit in what is left of the period, the police must vary
the conditions before anything else can help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.uk_time import uk_date

from .caution import Caution
from .values import Status

VICTIM_CONTACT_DAYS = 14
DECISION_DAYS = 7
VARY_TO_FIT_WORKSHOPS = "vary_conditions_workshops_cannot_fit"


@dataclass(frozen=True)
class RequiredAction:
    action: str
    role: str
    due_on: date | None


def required_actions(c: Caution, today: date) -> list[RequiredAction]:
    """Outstanding actions on the UK day `today`, most pressing first."""
    if c.status is Status.COMPLETED:
        if c.contacted_on_completion:
            return []
        due = _plus(c.final_at, VICTIM_CONTACT_DAYS)
        return [RequiredAction("contact_victim_on_completion", "victim_contact", due)]
    if c.status in (Status.BREACHED, Status.WITHDRAWN):
        return []
    if c.status is Status.EXCUSE_DECISION_PENDING:
        return [RequiredAction("decide_excuse", "police", None)]
    if c.status is Status.BREACH_REFERRED:
        return [RequiredAction("decide_breach_or_vary", "police", None)]
    period_over = c.status is Status.DEADLINE_PASSED or today > c.period_ends_on  # the clock decides, not the monitor
    if period_over and not c.conditions_met:
        return [RequiredAction("decide_breach_or_vary", "police", None)]
    actions = []
    if not workshops_can_fit(c, today):
        actions.append(RequiredAction(VARY_TO_FIT_WORKSHOPS, "police", today))
    actions += _workshop_actions(c)
    if c.first_attended_a_at is not None and not c.contacted_after_a:
        due = _plus(c.first_attended_a_at, VICTIM_CONTACT_DAYS)
        actions.append(RequiredAction("contact_victim_after_workshop_a", "victim_contact", due))
    if c.conditions_met:
        actions.append(RequiredAction("record_completion", "provider", c.period_ends_on))
    return actions


def workshops_can_fit(c: Caution, today: date) -> bool:
    """Whether the workshops still to attend can be attended inside the period from `today` on: A no earlier than
    today, then B at least the gap after A (and no earlier than today)."""
    gap = timedelta(days=c.conditions.min_days_between_workshops)
    if c.attended_a_at is None:
        return today + gap <= c.period_ends_on
    if c.attended_b_at is None:
        return max(today, uk_date(c.attended_a_at) + gap) <= c.period_ends_on
    return True


def _workshop_actions(c: Caution) -> list[RequiredAction]:
    period_end = c.period_ends_on
    gap = c.conditions.min_days_between_workshops
    if c.booking_a is None:
        first_contact_due = c.issued_at.date() + timedelta(days=c.conditions.first_contact_days)
        due = first_contact_due if c.round == 1 else period_end - timedelta(days=gap)
        return [RequiredAction("schedule_workshop_a", "provider", due)]
    if c.attended_a_at is None:
        return [RequiredAction("attend_workshop_a", "provider", c.booking_a.session_at.date())]
    if c.booking_b is None:
        return [RequiredAction("schedule_workshop_b", "provider", period_end)]
    if c.attended_b_at is None:
        return [RequiredAction("attend_workshop_b", "provider", c.booking_b.session_at.date())]
    return []


def _plus(when: datetime | None, days: int) -> date | None:
    return None if when is None else when.date() + timedelta(days=days)
