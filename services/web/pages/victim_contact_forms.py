"""The victim contact service's forms: what each one asks, read into the body its API call takes.

Each reader returns (body, errors): the body is sent only when there are no errors. The words a form offers for an
API code are here, so the form and the caution page name things alike.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from shared.uk_time import UK

from ..forms import FieldErrors
from .dates import parsed_date, parsed_time, uk_moment_of

STAGES = {"after_workshop_a": "After workshop A", "on_completion": "On completion"}
OUTCOMES = {"contacted": "Contacted", "unable_to_contact": "Unable to contact", "declined": "Declined contact"}
CATEGORIES = {"risk_to_victim": "A risk to the victim", "risk_to_children": "A risk to children",
              "threat_by_offender": "A threat made by the offender",
              "offender_self_harm": "The offender may harm themselves", "other": "Something else"}
URGENCIES = {"urgent": "Urgent: the police should act today", "routine": "Routine"}
SOURCES = {"victim_contact": "Victim contact service",
           "victim_contact_on_contact": "Victim contact service, on a contact",
           "workshop_session": "Workshop provider, in a session"}
DETAILS = ("name", "phone", "email", "address", "preferred_contact")
NOTES_LIMIT = 2000

# What the API names (a rule, or a request field's path) -> the field the page shows its message against.
CONTACT_FIELDS = {"occurred_at": "when-day", "not_before_caution": "when-day", "not_in_future": "when-day",
                  "victim_contact_after_workshop_a": "when-day", "completion_contact_after_completion": "when-day",
                  "completion_contact_needs_completion": "stage", "stage": "stage", "outcome": "outcome",
                  "notes": "notes", "concern_fields_need_concern": "concern", "safeguarding_concern": "concern",
                  "concern_category": "concern-category", "concern_urgency": "concern-urgency"}
CONCERN_FIELDS = {"occurred_at": "when-day", "not_before_caution": "when-day", "not_in_future": "when-day",
                  "category": "category", "urgency": "urgency", "details": "details"}
DETAILS_FIELDS = {"contact_details.name": "name", "contact_details.phone": "phone", "contact_details.email": "email",
                  "contact_details.address": "address", "contact_details.preferred_contact": "preferred_contact",
                  "contact_details": "name", "reason": "reason"}


def parsed_moment(values: dict[str, str], prefix: str, what: str, errors: FieldErrors,
                  now: datetime) -> datetime | None:
    """The day fields and the time field as a UK moment, not in the future. No time means now (for today) or
    midday (for an earlier day): the service needs a moment, but a person often knows only the day."""
    day = parsed_date(values, prefix, f"date of the {what}", errors)
    clock_text = values.get(f"{prefix}-time", "")
    at = parsed_time(clock_text, f"{prefix}-time", "time", errors) if clock_text else None
    if day is None or (clock_text and at is None):
        return None
    if at is None:
        moment = now if day == now.astimezone(UK).date() else uk_moment_of(day, time(12))
    else:
        moment = uk_moment_of(day, at)
    if moment > now:
        errors.add(f"{prefix}-day", f"The {what} must be in the past")
        return None
    return moment


def contact_body(values: dict[str, str], now: datetime) -> tuple[dict[str, Any], FieldErrors]:
    """POST .../victim-contacts: stage, outcome, when, the concern flag (with its kind and urgency, sent only with
    it: the service refuses them alone) and notes."""
    errors = FieldErrors()
    if values["stage"] not in STAGES:
        errors.add("stage", "Select when this contact was: after workshop A or on completion")
    if values["outcome"] not in OUTCOMES:
        errors.add("outcome", "Select the outcome of the contact")
    moment = parsed_moment(values, "when", "contact", errors, now)
    _limited(values, "notes", "Notes", errors)
    body: dict[str, Any] = {"stage": values["stage"], "outcome": values["outcome"],
                            "occurred_at": moment.isoformat() if moment else None,
                            "safeguarding_concern": values["concern"] == "yes", "notes": values["notes"] or None}
    if body["safeguarding_concern"]:
        if values["concern-category"] in CATEGORIES:
            body["concern_category"] = values["concern-category"]
        if values["concern-urgency"] in URGENCIES:
            body["concern_urgency"] = values["concern-urgency"]
    return body, errors


def concern_body(values: dict[str, str], now: datetime) -> tuple[dict[str, Any], FieldErrors]:
    """POST .../safeguarding-concerns: what it is about, how urgent, when, and what was said (sealed, for this
    role alone). Who raised it the service takes from the token."""
    errors = FieldErrors()
    if values["category"] not in CATEGORIES:
        errors.add("category", "Select what the concern is about")
    if values["urgency"] not in URGENCIES:
        errors.add("urgency", "Select how urgent the concern is")
    moment = parsed_moment(values, "when", "concern", errors, now)
    _limited(values, "details", "What was said", errors)
    return {"category": values["category"], "urgency": values["urgency"],
            "occurred_at": moment.isoformat() if moment else None, "details": values["details"] or None}, errors


def details_body(values: dict[str, str]) -> tuple[dict[str, Any], FieldErrors]:
    """POST .../personal-data/victim/rectification: the details as they should be (they replace all that was held,
    so a field left empty is removed) and why."""
    errors = FieldErrors()
    if not values["name"]:
        errors.add("name", "Enter the victim's name")
    if values["email"] and "@" not in values["email"]:
        errors.add("email", "Enter an email address in the correct format, like name@example.com")
    if not values["reason"]:
        errors.add("reason", "Enter why the details are being corrected")
    for name, limit in (("phone", 100), ("email", 100)):
        if len(values[name]) > limit:
            errors.add(name, f"The {name} must be {limit} characters or fewer")
    details = {name: values[name] for name in DETAILS if values[name]}
    return {"contact_details": details, "reason": values["reason"]}, errors


def _limited(values: dict[str, str], name: str, what: str, errors: FieldErrors) -> None:
    if len(values[name]) > NOTES_LIMIT:
        errors.add(name, f"{what} must be {NOTES_LIMIT} characters or fewer")
