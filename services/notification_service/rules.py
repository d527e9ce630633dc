"""Which notifications and reminders each caution event gives rise to. Pure: no I/O.

`RULES` has a line for every event in the catalogue, an empty list where the event asks nothing of
anyone, so a new event cannot go unconsidered: tests/notification_service/unit/test_notification_rules.py fails until
it is decided here. What an event changes in the caution's facts is in facts.py.

Notifications never carry victim details: the feed has none, and the texts
here name the caution by its police reference only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.catalogue import CATALOGUE, UnknownEvent, require_catalogued
from shared.uk_time import uk_date

from .facts import CautionFacts

URGENT, NORMAL = "urgent", "normal"


@dataclass(frozen=True)
class Notice:
    rule: str
    recipient_role: str
    kind: str
    title: str
    body: str
    priority: str = NORMAL  # urgent notices are delivered first, and say so on every channel
    due_on: date | None = None  # the UK day the action it asks for is due
    topic: str | None = None  # what the event completing it must name (inbox_state.py): a workshop, a concern


@dataclass(frozen=True)
class ConcernPlan:
    """A safeguarding concern to keep until acknowledged, escalated at `escalate_at` if it is not."""

    concern: int
    category: str
    urgency: str
    source: str
    raised_at: datetime
    escalate_at: datetime


@dataclass(frozen=True)
class ReminderPlan:
    kind: str
    due_at: datetime


@dataclass
class Reaction:
    notices: list[Notice] = field(default_factory=list)
    schedule: list[ReminderPlan] = field(default_factory=list)
    move: list[ReminderPlan] = field(default_factory=list)  # only reminders still scheduled
    cancel: list[str] = field(default_factory=list)  # reminder kinds
    concerns: list[ConcernPlan] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)  # concerns acknowledged: their escalation is off


@dataclass(frozen=True)
class ReminderPolicy:
    period_ending_days: int = 14
    workshop_b_days: int = 21
    # An urgent safeguarding concern not acknowledged this long after it was recorded is escalated; a routine one
    # after routine_concern_escalation_hours.
    safeguarding_escalation_minutes: int = 30
    routine_concern_escalation_hours: int = 24

    def escalation_after(self, urgency: str) -> timedelta:
        if urgency == URGENT:
            return timedelta(minutes=self.safeguarding_escalation_minutes)
        return timedelta(hours=self.routine_concern_escalation_hours)


PERIOD_ENDING = "caution_period_ending"
WORKSHOP_B_WINDOW = "workshop_b_window_closing"
FIRST_CONTACT_OVERDUE = "first_contact_overdue"
CLOSED = (PERIOD_ENDING, WORKSHOP_B_WINDOW, FIRST_CONTACT_OVERDUE)  # a closed caution is owed no reminder
CONTACT_OUTCOMES = ("contacted", "declined_to_engage")  # the offender was reached: the first-contact rule is met
Rule = Callable[[dict[str, Any], CautionFacts, ReminderPolicy], Reaction]
# Days the police have for a decision they owe (an excuse, a breach or variation): the caution service's
# DECISION_DAYS (services/caution_service/domain/progress.py), repeated because this service never imports that
# domain; the feed carries no due day.
DECISION_DAYS = 7
VICTIM_CONTACT_DAYS = 14  # the caution service's VICTIM_CONTACT_DAYS, likewise


def _day(moment: str) -> date:
    """The UK day of a payload's moment: due days are UK days, as the caution service's required actions are."""
    return uk_date(datetime.fromisoformat(moment))


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), UTC)


def latest_session_day(workshop: str, c: CautionFacts) -> date | None:
    """The last day a session of `workshop` may be on so that A, the gap and B all fit in the period; None when the
    gap is unknown (a caution remembered before the service kept it)."""
    if workshop == "B":
        return c.period_ends_on
    return None if c.workshop_gap_days is None else c.period_ends_on - timedelta(days=c.workshop_gap_days)


def when_caution_issued_tell_provider_of_referral(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    conditions = d["conditions"]
    first_contact = date.fromisoformat(d["occurred_at"][:10]) + timedelta(days=conditions["first_contact_days"])
    gap = conditions["min_days_between_workshops"]
    latest_a = c.period_ends_on - timedelta(days=gap)
    return Reaction(
        notices=[Notice("caution_issued", "provider", "new_referral", f"New CARA referral {c.police_reference}",
                        f"A caution was issued; make first contact with the offender by {first_contact}. "
                        f"Book workshop A on a session no later than {latest_a}, so that workshop B can follow "
                        f"at least {gap} days later; workshop B no later than {c.period_ends_on}. "
                        f"Workshops A and B must both be attended by {c.period_ends_on}.", due_on=first_contact)],
        schedule=[ReminderPlan(PERIOD_ENDING, _morning(c.period_ends_on - timedelta(days=p.period_ending_days))),
                  ReminderPlan(FIRST_CONTACT_OVERDUE, first_contact_reminder_at(first_contact, d["recorded_at"]))],
    )


LATE_RECORD_GRACE = timedelta(hours=1)


def first_contact_reminder_at(due: date, recorded_at: str) -> datetime:
    """The morning after the due day (only then is it certain no contact was made in time); for a caution recorded
    after that, an hour after it was recorded, so the provider recording a contact made meanwhile is not told it
    is overdue first."""
    return max(_morning(due + timedelta(days=1)), datetime.fromisoformat(recorded_at) + LATE_RECORD_GRACE)


def when_workshop_missed_ask_police_for_excuse_decision(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    why = d.get("reason", "did_not_attend").replace("_", " ")
    # the coded reason the offender gave (issue 18), never the provider's sealed free text about it
    stated = d.get("absence_reason")
    given = f" Reason given: {stated.replace('_', ' ')}." if stated else ""
    return Reaction(notices=[Notice("workshop_missed", "police", "excuse_decision_needed",
                                    f"Workshop {d.get('workshop')} missed: {c.police_reference}",
                                    f"The offender missed workshop {d.get('workshop')} ({why}).{given} "
                                    "Decide whether there was a reasonable excuse.",
                                    due_on=_day(d["recorded_at"]) + timedelta(days=DECISION_DAYS),
                                    topic=str(d.get("workshop")))])


def when_workshop_a_attended_ask_for_victim_contact(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(
        notices=[Notice("workshop_a_attended", "victim_contact", "victim_contact_due",
                        f"Victim contact due: {c.police_reference}",
                        "The offender attended workshop A. Contact the victim (after-workshop-A contact).",
                        due_on=_day(d["occurred_at"]) + timedelta(days=VICTIM_CONTACT_DAYS))],
        schedule=[ReminderPlan(WORKSHOP_B_WINDOW, _morning(c.period_ends_on - timedelta(days=p.workshop_b_days)))],
    )


def when_workshop_b_attended_cancel_window_reminder(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(cancel=[WORKSHOP_B_WINDOW])


def when_excuse_accepted_restart_workshop_reminders(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(cancel=[WORKSHOP_B_WINDOW]) if d.get("accepted") else Reaction()


def when_conditions_varied_move_reminders(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(
        schedule=[ReminderPlan(PERIOD_ENDING, _morning(c.period_ends_on - timedelta(days=p.period_ending_days)))],
        move=[ReminderPlan(WORKSHOP_B_WINDOW, _morning(c.period_ends_on - timedelta(days=p.workshop_b_days)))],
    )


def when_completed_tell_victim_contact_and_police(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(
        notices=[
            Notice("completed", "victim_contact", "completion_contact_due", f"Caution completed: {c.police_reference}",
                   "The offender met every condition. Make the on-completion victim contact.",
                   due_on=_day(d["occurred_at"]) + timedelta(days=VICTIM_CONTACT_DAYS)),
            Notice("completed", "police", "caution_completed", f"Caution completed: {c.police_reference}",
                   "Every condition was met and the caution is complete."),
        ],
        cancel=list(CLOSED),
    )


def when_breached_tell_police_and_victim_contact(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    outcome = d.get("outcome", "").replace("_", " ")
    return Reaction(
        notices=[
            Notice("breached", "police", "caution_breached", f"Caution breached: {c.police_reference}",
                   f"Breach decided (outcome: {outcome})."),
            Notice("breached", "victim_contact", "safety_planning", f"Safety planning: {c.police_reference}",
                   "The caution was breached. Review safety planning with the victim."),
        ],
        cancel=list(CLOSED),
    )


def when_deadline_passed_tell_police_and_victim_contact(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(
        notices=[
            Notice("deadline_passed", "police", "breach_decision_needed", f"Caution period ended: {c.police_reference}",
                   f"The caution period ended on {d.get('period_ended_on')} without completion. "
                   "Decide on breach or variation.", due_on=_day(d["recorded_at"]) + timedelta(days=DECISION_DAYS)),
            Notice("deadline_passed", "victim_contact", "safety_planning", f"Safety planning: {c.police_reference}",
                   "The caution period ended without completion. Review safety planning with the victim."),
        ],
        cancel=list(CLOSED),
    )


def when_withdrawn_cancel_reminders(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    return Reaction(cancel=list(CLOSED))


def when_first_contact_made_cancel_overdue_reminder(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    # no_response is an attempt only: the requirement is still open, so the reminder stays
    return Reaction(cancel=[FIRST_CONTACT_OVERDUE]) if d["outcome"] in CONTACT_OUTCOMES else Reaction()


def when_offender_declined_to_engage_tell_police(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    if d["outcome"] != "declined_to_engage":
        return Reaction()
    return Reaction(notices=[Notice("first_contact_declined", "police", "declined_to_engage",
                                    f"Offender declined to engage: {c.police_reference}",
                                    "The provider made first contact and the offender declined to engage with "
                                    "the provider. Consider whether the conditions will be met.")])


def when_booking_cancelled_tell_provider_to_book_again(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    workshop = d["workshop"]
    latest = latest_session_day(workshop, c)
    by = (f"by {latest}" if latest is not None
          else f"early enough for the rest of the conditions to be met by {c.period_ends_on}")
    return Reaction(notices=[Notice("booking_cancelled", "provider", "booking_needed",
                                    f"New session needed for workshop {workshop}: {c.police_reference}",
                                    f"The booked session for workshop {workshop} was cancelled "
                                    f"({d['reason'].replace('_', ' ')}); nothing counts against the offender. "
                                    f"Book a new session for workshop {workshop} {by}.",
                                    due_on=latest, topic=str(workshop))])


CONCERN_CATEGORIES = {"risk_to_victim": "risk to the victim", "risk_to_children": "risk to children",
                      "threat_by_offender": "a threat by the offender", "offender_self_harm": "risk of self-harm by "
                      "the offender", "other": "another kind"}
CONCERN_SOURCES = {"victim_contact": "the victim contact service",
                   "victim_contact_on_contact": "the victim contact service, on a contact with the victim",
                   "workshop_session": "the provider, at a workshop session"}


def concern_words(category: str) -> str:
    return CONCERN_CATEGORIES.get(category, category.replace("_", " "))


def who_to_contact(source: str) -> str:
    """Who holds what was said: the provider for a concern heard at a session, else the victim contact service,
    the only role that reads the sealed details."""
    return "the provider" if source == "workshop_session" else "the victim contact service"


def when_safeguarding_concern_raised_tell_police_at_once(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    """Police are told at once, on every channel, and must acknowledge; until they do the concern escalates.

    Only the coded category, urgency and source are repeated: what the victim said (`details_sealed`) never reaches
    the feed, and the notice sends police to whoever holds it (issue 19 item 1)."""
    concern, category, urgency, source = int(d["version"]), str(d["category"]), str(d["urgency"]), str(d["source"])
    raised = datetime.fromisoformat(d["recorded_at"])
    urgent = urgency == URGENT
    session = f" (workshop session {d['session_id']})" if source == "workshop_session" and d.get("session_id") else ""
    contact = who_to_contact(source)
    notice = Notice(
        "safeguarding_concern_raised", "police", "safeguarding_concern",
        f"{'Urgent' if urgent else 'Routine'} safeguarding concern: {c.police_reference}",
        f"{'An urgent' if urgent else 'A routine'} safeguarding concern ({concern_words(category)}) was raised on "
        f"caution {c.police_reference} by {CONCERN_SOURCES.get(source, source.replace('_', ' '))}{session}. "
        f"Contact {contact} for what was said, act on it, then acknowledge concern {concern} with the action taken.",
        priority=URGENT if urgent else NORMAL, due_on=uk_date(raised), topic=str(concern))
    return Reaction(notices=[notice], concerns=[ConcernPlan(concern, category, urgency, source, raised,
                                                            raised + p.escalation_after(urgency))])


def when_safeguarding_concern_acknowledged_stop_its_escalation(d: dict, c: CautionFacts,
                                                                 p: ReminderPolicy) -> Reaction:
    return Reaction(acknowledged=[int(d["concern"])])


def escalation_notice(police_reference: str, concern: int, category: str, urgency: str, source: str,
                      raised_at: datetime, waited: timedelta) -> Notice:
    """The police inbox's notice that a concern went unacknowledged (urgent: someone missed one); the duty list
    (CARA_NOTIFY_ESCALATION_RECIPIENTS) is emailed it too."""
    hours, minutes = divmod(int(waited.total_seconds()) // 60, 60)
    waited_text = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return Notice(
        "safeguarding_escalated", "police", "safeguarding_escalated",
        f"Unacknowledged safeguarding concern: {police_reference}",
        f"The {urgency} safeguarding concern {concern} ({concern_words(category)}) on caution {police_reference}, "
        f"recorded at {raised_at.astimezone(UTC).strftime('%Y-%m-%d %H:%M')} UTC, has not been acknowledged after "
        f"{waited_text}. Contact {who_to_contact(source)} for what was said, act on it, then acknowledge concern "
        f"{concern} with the action taken.",
        priority=URGENT, due_on=uk_date(raised_at), topic=str(concern))


HIGH = "high"


def when_risk_rises_to_high_ask_police_to_review(d: dict, c: CautionFacts, p: ReminderPolicy) -> Reaction:
    """A rise to high opens the police's review of the caution (continue, vary or withdraw), due the day recorded;
    the reason given for the reassessment is the victim's and stays off the feed."""
    if d["dash_risk"] != HIGH or d.get("previous") == HIGH:
        return Reaction()
    return Reaction(notices=[Notice(
        "risk_reassessed_high", "police", "risk_review_due", f"Risk now high: {c.police_reference}",
        f"The DASH risk on caution {c.police_reference} was reassessed from {str(d.get('previous')).replace('_', ' ')} "
        "to high. Review the caution: continue, vary or withdraw, and record the decision.",
        due_on=_day(d["recorded_at"]))])


RULES: dict[str, list[Rule]] = {  # by the catalogue's event name
    "CautionIssued": [when_caution_issued_tell_provider_of_referral],
    "WorkshopScheduled": [],
    # Who asked for the move and why are for the record; the provider made the move itself, so no one is owed news.
    "WorkshopRescheduled": [],
    "FirstContactRecorded": [when_first_contact_made_cancel_overdue_reminder,
                             when_offender_declined_to_engage_tell_police],
    "WorkshopBookingCancelled": [when_booking_cancelled_tell_provider_to_book_again],
    "WorkshopMissed": [when_workshop_missed_ask_police_for_excuse_decision],
    "WorkshopAAttended": [when_workshop_a_attended_ask_for_victim_contact],
    "WorkshopBAttended": [when_workshop_b_attended_cancel_window_reminder],
    "ExcuseDecided": [when_excuse_accepted_restart_workshop_reminders],
    "VictimContacted": [],
    "ConditionsVaried": [when_conditions_varied_move_reminders],
    "Completed": [when_completed_tell_victim_contact_and_police],
    "Breached": [when_breached_tell_police_and_victim_contact],
    "ComplianceDeadlinePassed": [when_deadline_passed_tell_police_and_victim_contact],
    "Withdrawn": [when_withdrawn_cancel_reminders],
    "EntryCorrected": [],
    # This service holds no personal data (the feed carries none), so a person's data changing concerns no one here.
    "PersonalDataErased": [],
    "ProcessingRestricted": [],
    "RestrictionLifted": [],
    "PersonalDataRectified": [],
    "SafeguardingConcernRaised": [when_safeguarding_concern_raised_tell_police_at_once],
    "SafeguardingConcernAcknowledged": [when_safeguarding_concern_acknowledged_stop_its_escalation],
    "RiskReassessed": [when_risk_rises_to_high_ask_police_to_review],
    # The decision closes the review notice (inbox_state.py); a variation or withdrawal it leads to is recorded,
    # and notified, by its own event.
    "RiskReviewDecided": [],
    # The panel's own record: its members were there, and each action it sets is taken through its own event.
    "CaseReviewedByPanel": [],
}


def undecided(names: set[str]) -> set[str]:
    """Catalogued events with no line in RULES: the service refuses to start while there are any."""
    return names - set(RULES)


def require_decided() -> None:
    """Start-up check: every catalogued event has a line in RULES, and RULES names no uncatalogued event."""
    require_catalogued(set(RULES))
    missing = undecided(set(CATALOGUE))
    if missing:
        raise UnknownEvent(
            f"no notification decision (notification_service/rules.py RULES) for {', '.join(sorted(missing))}")


def react(event_name: str, data: dict[str, Any], facts: CautionFacts, policy: ReminderPolicy) -> Reaction:
    combined = Reaction()
    for rule in RULES[event_name]:
        reaction = rule(data, facts, policy)
        combined.notices += reaction.notices
        combined.schedule += reaction.schedule
        combined.move += reaction.move
        combined.cancel += reaction.cancel
        combined.concerns += reaction.concerns
        combined.acknowledged += reaction.acknowledged
    return combined


REMINDER_TEXT = {
    PERIOD_ENDING: ("police", "Caution period ending: {ref}",
                    "The caution period ends on {end} and the caution is not complete."),
    WORKSHOP_B_WINDOW: ("provider", "Workshop B window closing: {ref}",
                        "Workshop B must be attended by {end}; it has not been attended yet."),
    FIRST_CONTACT_OVERDUE: ("provider", "First contact overdue: {ref}",
                            "No first contact with the offender has been recorded and it is now overdue. "
                            "The caution period ends on {end}."),
}
