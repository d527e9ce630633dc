"""The event catalogue: everything the system says about each kind of caution event, in one entry.

An entry gives the event's public name and CloudEvents type, the fields its feed payload carries
(and, with the reason, what it withholds), the sentence the court reads in the compliance history,
and what the event tells subscribers about the caution (the facts the notification service keeps).

The caution service's aggregate declares its events; this catalogue describes them to everyone
else. The feed, the compliance history and the notification service read only this, and a test
fails when an aggregate event has no entry here or an entry no event (tests/caution_service/unit/test_catalogue.py).
It lives in `shared/` because it is the contract: the notification service must never import the
caution service's domain classes.

Sentences are part of the integrity chain of every compliance history already recorded (the
summary is hashed), so a change to an existing sentence breaks verification of old records:
add a new sentence only for a new event, or a new major version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from .keyring import SEAL_PREFIX

TYPE_PREFIX = "uk.cara.caution."

# Fields every payload carries (shared/events.py `EventData`), so no entry lists them.
COMMON_FIELDS = ("caution_id", "version", "force", "occurred_at", "recorded_at", "recorded_by")

Details = Mapping[str, Any]
Sentence = Callable[[Details], str]
FieldKind = type | tuple[str, ...]  # a JSON kind, or an object's sub-fields shown on the feed (the rest withheld)


class UnknownEvent(LookupError):
    """An event the catalogue does not describe: a programming error, never silently passed on."""


def type_for(name: str, major: int = 1) -> str:
    kebab = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()
    return f"{TYPE_PREFIX}{kebab}.v{major}"


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class EventSpec:
    """One kind of event, as every reader outside the aggregate knows it."""

    name: str
    description: str
    sentence: Sentence
    fields: Mapping[str, FieldKind] = field(default_factory=_frozen)
    withheld: Mapping[str, str] = field(default_factory=_frozen)  # field (or "field.sub") -> why it stays home
    facts: Mapping[str, str] = field(default_factory=_frozen)  # subscriber fact -> the payload field that sets it
    opens_facts: bool = False  # the first thing subscribers learn of a caution: its facts start here
    major: int = 1

    @property
    def type(self) -> str:
        return type_for(self.name, self.major)


def _when(iso: str | None) -> str:
    if not iso:
        return "?"
    return datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")


def _words(value: str) -> str:
    return value.replace("_", " ")


def _issued(d: Details) -> str:
    officer, offence = d["issuing_officer"], d["offence"]
    return (
        f"{_words(d['legal_basis']).capitalize()} issued by {officer['name']} ({_words(officer['rank'])}) for "
        f"{_words(offence['category'])} committed on {offence['committed_on']}; "
        f"caution period {d['conditions']['caution_period_days']} days."
    )


_MISS_REASONS = {"did_not_attend": "did not attend", "arrived_late": "arrived late (late entry is refused)",
                 "left_early": "left early", "sent_home": "sent home by the facilitator",
                 "failed_to_engage": "attended but did not take part"}

# AbsenceReason values (services/caution_service/domain/values.py) in the court's words.
_ABSENCE_REASONS = {"medical": "medical", "employment": "employment", "childcare": "childcare",
                    "court": "attending court", "other": "other"}


def _absence(reason: str | None, detail: Any = None) -> str:
    """Issue 18's coded absence reason, said only when recorded: an entry recorded without one reads as before."""
    if not reason:
        return ""
    if reason == "none_given":
        return " No reason was given for the absence."
    kept = " (the detail is kept with the offender's personal data)" if is_sealed(detail) else ""
    return f" Reason given for the absence: {_ABSENCE_REASONS[reason]}{kept}."


def _and(said: str, more: str) -> str:
    """A sentence with words added after it: ended with a full stop first when there are (free text may lack one)."""
    return f"{said.rstrip('.')}.{more}" if more else said


def _missed(d: Details) -> str:
    said = f"Workshop {d['workshop']} missed: {_MISS_REASONS[d['reason']]}."
    absence = _absence(d.get("absence_reason"), d.get("absence_detail"))
    if is_sealed(d["note"]):  # the provider's note about the offender, shown beside the entry to those who may
        return _and(f"{said} The provider's note is kept with the offender's personal data.", absence)
    return _and(f"{said} {d['note']}", absence)


def is_sealed(value: Any) -> bool:
    """A person's data sealed under their key (shared/keyring.py): opaque here, opened only for those who may."""
    return isinstance(value, str) and value.startswith(SEAL_PREFIX)


def _excuse(d: Details) -> str:
    """Issue 18 added `absence_reason`: said only when recorded, so older decisions read as they did."""
    absence = _absence(d.get("absence_reason"))
    if d["accepted"]:
        return _and(f"Reasonable excuse for missing workshop {d['workshop']} accepted: {d['reason']}. "
                    "Both workshops to be attended again.", absence)
    return _and(f"Excuse for missing workshop {d['workshop']} rejected: {d['reason']}. Referred for a breach decision.",
                absence)


# RescheduleReason values (services/caution_service/domain/values.py) in the court's words.
_RESCHEDULE_REASONS = {"medical": "medical", "employment": "employment", "childcare": "childcare",
                       "court": "attending court", "session_cancelled": "the session was cancelled",
                       "provider_arrangements": "the provider's arrangements", "other": "other"}


def _rescheduled(d: Details) -> str:
    """Issue 18 added `requested_by` and `reason_code`: said only when recorded, so older moves read as they did."""
    who, code = d.get("requested_by"), d.get("reason_code")
    said = (f"Workshop {d['workshop']} moved from {_when(d['previous']['session_at'])} to "
            f"{_when(d['booking']['session_at'])} at {d['booking']['venue']}: {d['reason']}")
    return _and(said, (f" Asked for by the {who}." if who else "")
                + (f" Coded reason: {_RESCHEDULE_REASONS[code]}." if code else ""))


# SessionCancellation values (services/caution_service/domain/values.py) in the court's words.
_CANCELLATIONS = {"venue_unavailable": "the venue was unavailable",
                  "facilitator_unavailable": "no facilitator was available", "too_few_booked": "too few were booked",
                  "other": "another reason"}


def _booking_cancelled(d: Details) -> str:
    return (f"Workshop {d['workshop']} booking cancelled: the session was cancelled ({_CANCELLATIONS[d['reason']]}). "
            f"Workshop {d['workshop']} is to be booked again; nothing counts against the offender.")


# FirstContactMethod values (services/caution_service/domain/values.py) in the court's words.
_CONTACT_METHODS = {"phone": "by phone", "in_person": "in person", "video": "by video call", "letter": "by letter",
                    "email": "by email"}


def _first_contact(d: Details) -> str:
    how = _CONTACT_METHODS[d["method"]]
    if d["outcome"] == "no_response":
        return f"The provider tried to make first contact with the offender {how}: no response."
    declined = "; the offender declined to engage" if d["outcome"] == "declined_to_engage" else ""
    return f"The provider made first contact with the offender {how}{declined}."


def _victim_contacted(d: Details) -> str:
    stage = "after workshop A" if d["stage"] == "after_workshop_a" else "on completion"
    return f"Victim contact {stage} recorded (outcome: {_words(d['outcome'])})."


def _varied(d: Details) -> str:
    return (f"Caution period end changed from {d['previous_period_ends_on']} to {d['period_ends_on']}, "
            f"authorised by {d['authorised_by']}: {d['reason']}")


def _corrected(d: Details) -> str:
    """Issue 17 added `recorded_in_error`: said only when true, so every correction recorded before reads as it did."""
    when = d.get("corrected_occurred_at")
    return (f"Correction to entry {d['corrects_version']} ({d['corrected_type']}): {d['reason'].rstrip('.')}."
            + (f" Corrected time: {_when(when)}." if when else "")
            + (f" Entry {d['corrects_version']} was recorded in error and is struck out." if d.get("recorded_in_error")
               else ""))


def _attended(workshop: str) -> Sentence:
    """Issue 17 added `reason_not_on_booked_day`: said only when given, so older attendances read as they did."""
    def sentence(d: Details) -> str:
        other_day = d.get("reason_not_on_booked_day")
        if not other_day:
            return f"Attended workshop {workshop} in full."
        return f"Attended workshop {workshop} in full, on another day than the booked session's: {other_day}"
    return sentence


# BreachFailure values (services/caution_service/domain/values.py) in the court's words.
_FAILURES = {
    "excuse_rejected": "a rejected excuse",
    "period_ended_without_completion": "the caution period's end without completion",
}


def _breached(d: Details) -> str:
    """Issue 17 added `failure`: said only when recorded, so older breaches read as they did."""
    failure = d.get("failure")
    resting = f", resting on {_FAILURES[failure]}" if failure else ""
    return f"Breach decided ({_words(d['outcome'])}){resting}: {d['reason']}"


_VICTIM_DETAILS = "the victim's contact details: sealed, for the victim contact role alone"
_OFFENDER_IDENTITY = "subscribers act on the offender's reference, not on who they are (sealed under their key)"
_KEY_ID = "which data key seals a person's fields: of no use outside the caution service"
_REASON = "free text that may name the person"
_ABSENCE = "the reason given for the offender's absence says something of their health or circumstances"

# DataProtectionBasis values (services/caution_service/domain/values.py) in the court's words.
_BASES = {
    "dpa_2018_s46": "Data Protection Act 2018 s.46, rectification",
    "dpa_2018_s47_1": "Data Protection Act 2018 s.47(1), erasure",
    "dpa_2018_s47_2": "Data Protection Act 2018 s.47(2), erasure to comply with a legal obligation",
    "dpa_2018_s47_4": "Data Protection Act 2018 s.47(4), accuracy contested",
    "dpa_2018_s47_2_evidence": "Data Protection Act 2018 s.47(2), kept as evidence",
    "dpa_2018_s39": "Data Protection Act 2018 s.39, the force's retention period",
    "court_order": "a court order",
}


def _erased(d: Details) -> str:
    return f"The {d['person']}'s personal data was erased under {_BASES[d['legal_basis']]}: {d['reason']}"


def _restricted(d: Details) -> str:
    return f"Processing of the {d['person']}'s personal data restricted under {_BASES[d['legal_basis']]}: {d['reason']}"


def _rectified(d: Details) -> str:
    fields = ", ".join(_words(f) for f in d["corrected"])
    return f"The {d['person']}'s personal data corrected ({fields}): {d['reason']}"

# Issue 19. What the victim said stays with the victim contact service: the court reads that there is a concern,
# what kind, and who holds the details, never the details; nor the police's action taken or a re-assessment's reason.
_CONCERN_SOURCES = {"victim_contact": "by the victim contact service",
                    "victim_contact_on_contact": "by the victim contact service on a contact with the victim",
                    "workshop_session": "by the provider from a workshop session"}
# SafeguardingCategory values (services/caution_service/domain/values.py) in the court's words.
_CONCERN_CATEGORIES = {"risk_to_victim": "risk to the victim", "risk_to_children": "risk to children",
                       "threat_by_offender": "a threat by the offender",
                       "offender_self_harm": "the offender's self-harm", "other": "another concern"}
# PanelCaseKind values in the court's words.
_PANEL_KINDS = {"breach_referral": "a breach referral", "accepted_excuse": "an accepted excuse",
                "safeguarding_concern": "a safeguarding concern", "out_of_time": "out of time"}
_RISK_DECISIONS = {"continue": "the caution continues", "vary": "the conditions are to be varied",
                   "withdraw": "the caution is to be withdrawn"}
_WHAT_WAS_SAID = ("what was said about the victim's safety: sealed under the victim's key, for the victim contact "
                  "role alone")
_POLICE_ACTION = "free text about what the police did for the victim's safety"


def _concern_raised(d: Details) -> str:
    said = (f"Safeguarding concern raised {_CONCERN_SOURCES[d['source']]} ({d['urgency']}: "
            f"{_CONCERN_CATEGORIES[d['category']]}).")
    if d.get("details_sealed"):
        said += " Details are held by the victim contact service."
    return said


def _risk_reassessed(d: Details) -> str:
    said = f"The victim's DASH risk re-assessed: {d['previous']} to {d['dash_risk']}."
    if d["dash_risk"] == "high" and d["previous"] != "high":
        said += " The police are to review the caution."
    return said


def _panel_reviewed(d: Details) -> str:
    actions = "; ".join(d["actions"])
    return (f"Case reviewed by the scrutiny panel on {d['held_on']} ({_PANEL_KINDS[d['kind']]}): "
            f"{d['decision'].rstrip('.')}." + (f" Actions: {actions.rstrip('.')}." if actions else ""))


CATALOGUE: Mapping[str, EventSpec] = MappingProxyType({spec.name: spec for spec in (
    EventSpec(
        "CautionIssued", "A conditional or diversionary caution was issued with the CARA conditions.", _issued,
        fields={"police_reference": str, "legal_basis": str, "offender": ("reference",),
                "offence": ("category", "committed_on", "relationship", "admitted", "evidence_sufficient_to_charge",
                            "charge_decision_by"),
                "history": dict, "victim": dict, "issuing_officer": dict, "conditions": dict, "period_ends_on": date},
        withheld={"victim_details_sealed": _VICTIM_DETAILS,
                  "offender.identity_sealed": _OFFENDER_IDENTITY,
                  "offence.description": "free text about the offender and the victim: sealed under the offender's key",
                  "offender_key": _KEY_ID, "victim_key": _KEY_ID},
        facts={"police_reference": "police_reference", "period_ends_on": "period_ends_on"}, opens_facts=True,
    ),
    EventSpec(
        "WorkshopScheduled", "The provider booked workshop A or B.",
        lambda d: (f"Workshop {d['workshop']} booked for {_when(d['booking']['session_at'])} "
                   f"at {d['booking']['venue']}."),
        fields={"workshop": str, "booking": dict},
    ),
    EventSpec("WorkshopRescheduled", "The provider moved a booked workshop, with the reason.", _rescheduled,
              fields={"workshop": str, "booking": dict, "previous": dict, "reason": str, "requested_by": str},
              withheld={"reason_code": _ABSENCE}),
    EventSpec("WorkshopBookingCancelled", "The session a workshop was booked into was cancelled: the workshop is to "
              "be booked again, and nothing counts against the offender.", _booking_cancelled,
              fields={"workshop": str, "session_id": str, "reason": str}),
    EventSpec("FirstContactRecorded", "The provider made first contact with the offender, or tried to.",
              _first_contact, fields={"method": str, "outcome": str}),
    EventSpec("WorkshopAAttended", "The offender attended the whole of workshop A.", _attended("A"),
              withheld={"reason_not_on_booked_day": _REASON}),
    EventSpec("WorkshopMissed", "The offender missed a workshop: did not attend, arrived late, left early, was sent "
              "home or did not take part.", _missed,
              fields={"workshop": str, "reason": str},
              withheld={"note": "the provider's note about the offender's circumstances: sealed under their key",
                        "absence_reason": _ABSENCE,
                        "absence_detail": "what the absence reason was, about the offender: sealed under their key"}),
    EventSpec("ExcuseDecided", "The police accepted or rejected the excuse for a missed workshop.", _excuse,
              fields={"workshop": str, "accepted": bool, "reason": str}, withheld={"absence_reason": _ABSENCE}),
    EventSpec("VictimContacted", "The victim contact service recorded a contact with the victim.", _victim_contacted,
              fields={"stage": str, "outcome": str, "safeguarding_concern": bool},
              withheld={"details_sealed": _VICTIM_DETAILS}),
    EventSpec("WorkshopBAttended", "The offender attended the whole of workshop B.", _attended("B"),
              withheld={"reason_not_on_booked_day": _REASON}),
    EventSpec("ConditionsVaried", "The police moved the end of the caution period, with the reason.", _varied,
              fields={"previous_period_ends_on": date, "period_ends_on": date, "reason": str, "authorised_by": str},
              facts={"period_ends_on": "period_ends_on"}),
    EventSpec("ComplianceDeadlinePassed", "The caution period ended without the caution being completed.",
              lambda d: f"The caution period ended on {d['period_ended_on']} without completion.",
              fields={"period_ended_on": date}),
    EventSpec("Breached", "The police decided the conditions were broken without reasonable excuse.", _breached,
              fields={"outcome": str, "reason": str, "failure": str}),
    EventSpec("Completed", "Every condition was met and the caution is complete.",
              lambda d: "All conditions met; caution completed."),
    EventSpec("Withdrawn", "The police set the caution aside (issued in error, appeal).",
              lambda d: f"Caution withdrawn: {d['reason']}", fields={"reason": str}),
    EventSpec("EntryCorrected", "An earlier entry was corrected; the original stays in the record.", _corrected,
              fields={"corrects_version": int, "corrected_type": str, "reason": str,
                      "corrected_occurred_at": datetime, "recorded_in_error": bool}),
    EventSpec("PersonalDataErased", "A person's personal data was erased: their data key is destroyed.", _erased,
              fields={"person": str, "legal_basis": str}, withheld={"key_id": _KEY_ID, "reason": _REASON}),
    EventSpec("ProcessingRestricted", "Processing of a person's personal data was restricted.", _restricted,
              fields={"person": str, "legal_basis": str}, withheld={"reason": _REASON}),
    EventSpec("RestrictionLifted", "A restriction on a person's personal data was lifted.",
              lambda d: f"Restriction on the {d['person']}'s personal data lifted: {d['reason']}",
              fields={"person": str}, withheld={"reason": _REASON}),
    EventSpec("PersonalDataRectified", "A person's personal data was corrected.", _rectified,
              fields={"person": str, "corrected": list},
              withheld={"sealed": "the corrected data, sealed under the person's key", "reason": _REASON}),
    EventSpec("SafeguardingConcernRaised", "A safeguarding concern was raised, by the victim contact service or by "
              "the provider from a session: the police must acknowledge it.", _concern_raised,
              fields={"category": str, "urgency": str, "source": str, "session_id": str},
              withheld={"details_sealed": _WHAT_WAS_SAID}),
    EventSpec("SafeguardingConcernAcknowledged", "The police acknowledged a safeguarding concern, with the action "
              "taken.", lambda d: f"Safeguarding concern (entry {d['concern']}) acknowledged by the police, with the "
              "action taken.",
              fields={"concern": int}, withheld={"action_taken": _POLICE_ACTION}),
    EventSpec("RiskReassessed", "The victim's DASH risk was re-assessed during the caution.", _risk_reassessed,
              fields={"dash_risk": str, "previous": str}, withheld={"reason": _REASON}),
    EventSpec("RiskReviewDecided", "The police reviewed the caution after the victim's risk rose to high.",
              lambda d: f"Caution reviewed by the police after the victim's risk rose to high: "
              f"{_RISK_DECISIONS[d['decision']]}.",
              fields={"decision": str}, withheld={"reason": _REASON}),
    EventSpec("CaseReviewedByPanel", "The scrutiny panel reviewed the case.", _panel_reviewed,
              fields={"panel_id": str, "held_on": date, "kind": str},
              withheld={"members": "the panel members' staff references stay home, as staff names do",
                        "decision": _REASON, "actions": _REASON}),
)})

EVENT_TYPES: Mapping[str, str] = MappingProxyType({name: spec.type for name, spec in CATALOGUE.items()})
SPECS_BY_TYPE: Mapping[str, EventSpec] = MappingProxyType({spec.type: spec for spec in CATALOGUE.values()})


def spec(name: str) -> EventSpec:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownEvent(f"{name} has no entry in the event catalogue (shared/catalogue.py)") from None


def require_catalogued(names: set[str]) -> None:
    """Start-up check: a service that records or reacts to an event the catalogue lacks refuses to start."""
    missing = names - set(CATALOGUE)
    if missing:
        raise UnknownEvent(f"no entry in the event catalogue (shared/catalogue.py) for {', '.join(sorted(missing))}")
