"""What a caution needs next, who must do it, and by when: derived, never stored.

Some needs depend on the day they are asked on (`today`, a UK date): once the caution period has ended the
police must decide, whether or not the monitor has recorded it yet; and when the workshops still to attend
(A, then B at least the gap later) can no longer fit in what is left of the period, the police must vary
the conditions before anything else can help.

The provider's first contact with the offender is due within the conditions' `first_contact_days` of the caution
and is met only by a recorded contact (issue 18): booking workshop A no longer meets it. A workshop to book is due
on the latest day its session can be on so that A, the gap and B still fit inside the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.uk_time import uk_date

from .caution import Caution
from .values import OpenConcern, Status, Workshop

VICTIM_CONTACT_DAYS = 14
DECISION_DAYS = 7
VARY_TO_FIT_WORKSHOPS = "vary_conditions_workshops_cannot_fit"
ACKNOWLEDGE_CONCERN = "acknowledge_safeguarding_concern"
REVIEW_AFTER_RISK_RISE = "review_caution_after_risk_rise"


@dataclass(frozen=True)
class RequiredAction:
    """`concern`: the open safeguarding concern an acknowledgement is for (its entry, kind and urgency; never what
    was said), so a worklist can name it without the caution in hand. None for every other action."""

    action: str
    role: str
    due_on: date | None
    concern: OpenConcern | None = None


def required_actions(c: Caution, today: date) -> list[RequiredAction]:
    """Outstanding actions on the UK day `today`, most pressing first: the victim's safety before the caution's
    progress (issue 19), an unacknowledged safeguarding concern first, on a closed caution too."""
    return _safety_actions(c) + _progress_actions(c, today)


def _safety_actions(c: Caution) -> list[RequiredAction]:
    """Each open concern, due the UK day it was raised (oldest first); and, while the caution is open, its review
    after the victim's risk rose to high, due the UK day of the rise (a closed caution has nothing left to
    continue, vary or withdraw)."""
    actions = [RequiredAction(ACKNOWLEDGE_CONCERN, "police", uk_date(concern.raised_at), concern)
               for concern in sorted(c.concerns_open, key=lambda concern: concern.entry)]
    if c.risk_review_due_since is not None and c.is_open:
        actions.append(RequiredAction(REVIEW_AFTER_RISK_RISE, "police", uk_date(c.risk_review_due_since)))
    return actions


def _progress_actions(c: Caution, today: date) -> list[RequiredAction]:
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
    first_contact_due = first_contact_due_on(c)
    if first_contact_due is not None:
        actions.append(RequiredAction("make_first_contact", "provider", first_contact_due))
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


def first_contact_due_on(c: Caution) -> date | None:
    """The UK day by which the provider must make first contact: the caution's day plus the conditions'
    `first_contact_days`. None once contact is made (an attempt with no response is not), or the caution is closed."""
    if c.first_contact_at is not None or not c.is_open:
        return None
    return uk_date(c.issued_at) + timedelta(days=c.conditions.first_contact_days)


def booking_needed(c: Caution, today: date) -> tuple[Workshop, date] | None:
    """The workshop the provider must book now, and the latest UK day its session can be on so that A, the gap and
    B still fit in the period (A: the period's end less the gap, or the gap before a B still booked; B: the period's
    end). None when nothing is to be booked: the workshop is booked (or missed, awaiting the police), both are
    attended, the caution awaits a police decision or is closed, or the period is over (`today` after its end)."""
    if c.status is not Status.ACTIVE or today > c.period_ends_on:
        return None
    if c.attended_a_at is None:
        return None if c.booking_a is not None else (Workshop.A, latest_day_for_a(c))
    if c.attended_b_at is None and c.booking_b is None:
        return Workshop.B, c.period_ends_on
    return None


def earliest_booking_day(c: Caution, workshop: Workshop) -> date | None:
    """The first UK day a session of `workshop` may be on, where a rule sets one beyond the caution period's start:
    for B the conditions' gap after A (`Caution.earliest_day_for_b`, which booking B is checked against); None for
    A, which nothing earlier bounds (first contact need not come before it is booked)."""
    return c.earliest_day_for_b() if workshop is Workshop.B else None


def latest_day_for_a(c: Caution) -> date:
    """The latest UK day workshop A can be on with B the gap after it, inside the period and not after a B that is
    still booked."""
    gap = timedelta(days=c.conditions.min_days_between_workshops)
    latest = c.period_ends_on - gap
    if c.booking_b is not None and c.attended_b_at is None:
        latest = min(latest, uk_date(c.booking_b.session_at) - gap)
    return latest


def _workshop_actions(c: Caution) -> list[RequiredAction]:
    period_end = c.period_ends_on
    if c.booking_a is None:
        return [RequiredAction("schedule_workshop_a", "provider", latest_day_for_a(c))]
    if c.attended_a_at is None:
        return [RequiredAction("attend_workshop_a", "provider", c.booking_a.session_at.date())]
    if c.booking_b is None:
        return [RequiredAction("schedule_workshop_b", "provider", period_end)]
    if c.attended_b_at is None:
        return [RequiredAction("attend_workshop_b", "provider", c.booking_b.session_at.date())]
    return []


def _plus(when: datetime | None, days: int) -> date | None:
    return None if when is None else when.date() + timedelta(days=days)
