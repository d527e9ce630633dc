"""Issuing a caution: one page, in the order an officer has the facts (the offence and when the caution was given,
the offender, the offence's details, their history, the victim, the issuing officer, the legal basis).

The service checks every eligibility rule and names each one that fails; each is shown in the error summary and
against the field it is about, so the officer sees every reason at once and nothing is recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..backend import ApiProblem, backend_of
from ..forms import REFUSALS, FieldErrors, checked_form, idempotency_key, text
from .dates import parsed_date, parsed_time, uk_moment_of
from .police_common import Police, recorded

router = APIRouter()

# The page's fields in the order they are shown, which is the order the error summary lists them in.
PAGE_ORDER = ("committed-day", "given-day", "given-time", "pnc", "offender-name", "dob-day", "gender", "category",
              "description", "relationship", "admitted", "evidence", "charge-decision-by", "last-disposal-day",
              "community-sentence", "victim-reference", "dash-risk", "consulted", "agrees", "victim-name",
              "victim-phone", "victim-email", "officer-id", "officer-name", "rank", "authorised", "legal-basis",
              "police-reference")
DATE_FIELDS = ("given", "committed", "dob", "last-disposal")
TEXT_FIELDS = tuple(f for f in PAGE_ORDER if not f.endswith("-day"))

# Each eligibility rule (services/caution_service/domain/eligibility.py) and time rule, and each request field the
# service may refuse, to the field it is about.
FIELDS = {
    "offender_must_be_adult": "dob-day",
    "relationship_must_be_intimate_partner": "relationship",
    "offence_must_be_eligible_category": "category",
    "offender_must_have_admitted_offence": "admitted",
    "evidence_must_be_sufficient_to_charge": "evidence",
    "no_recent_domestic_abuse_disposal": "last-disposal-day",
    "not_serving_community_sentence": "community-sentence",
    "victim_risk_must_be_standard_or_medium": "dash-risk",
    "victim_must_be_consulted_and_agree": "consulted",
    "issuer_must_be_sergeant_or_authorised": "rank",
    "offence_must_precede_caution": "committed-day",
    "not_in_future": "given-day",
    "time_needs_offset": "given-day",
    "police_reference": "police-reference",
    "legal_basis": "legal-basis",
    "occurred_at": "given-day",
    "offence.category": "category",
    "offence.committed_on": "committed-day",
    "offence.description": "description",
    "offence.relationship": "relationship",
    "offence.admitted": "admitted",
    "offence.evidence_sufficient_to_charge": "evidence",
    "offence.charge_decision_by": "charge-decision-by",
    "offender.reference": "pnc",
    "offender.name": "offender-name",
    "offender.date_of_birth": "dob-day",
    "offender.gender": "gender",
    "history.last_domestic_abuse_disposal_on": "last-disposal-day",
    "history.serving_community_sentence": "community-sentence",
    "victim.reference": "victim-reference",
    "victim.dash_risk": "dash-risk",
    "victim.consulted": "consulted",
    "victim.agrees": "agrees",
    "victim.contact_details.phone": "victim-phone",
    "victim.contact_details.email": "victim-email",
    "victim.contact_details": "victim-name",
    "issuing_officer.id": "officer-id",
    "issuing_officer.name": "officer-name",
    "issuing_officer.rank": "rank",
    "issuing_officer.authorised_person": "authorised",
}
REQUIRED_TEXT = {
    "police-reference": "Enter the police reference", "charge-decision-by": "Enter who agreed the charge decision",
    "description": "Enter a description of the offence", "pnc": "Enter the offender's PNC reference",
    "offender-name": "Enter the offender's full name", "victim-reference": "Enter the victim's reference",
    "officer-id": "Enter the issuing officer's ID or collar number", "officer-name": "Enter the issuing officer's name",
}
REQUIRED_CHOICE = {
    "legal-basis": "Select the legal basis", "category": "Select the offence category",
    "relationship": "Select the offender's relationship to the victim",
    "admitted": "Select yes if the offender admitted the offence",
    "evidence": "Select yes if there is sufficient evidence to charge", "gender": "Select the offender's gender",
    "community-sentence": "Select yes if the offender is serving a community sentence or order",
    "dash-risk": "Select the DASH risk level", "consulted": "Select yes if the victim was consulted",
    "agrees": "Select yes if the victim agrees to the caution", "rank": "Select the issuing officer's rank",
    "authorised": "Select yes if the issuing officer is an authorised person",
}


@router.get("/cautions/new")
async def issue_page(request: Request, who: Police) -> Response:
    return _form(request, {"officer-name": who.name or ""})


def _form(request: Request, values: dict[str, str], errors: FieldErrors | None = None, status: int = 200) -> Response:
    return request.app.state.pages.render(request, "police/issue.html", {
        "values": values, "errors": _in_page_order(errors or FieldErrors())}, status=status)


def _in_page_order(errors: FieldErrors) -> FieldErrors:
    """The summary lists the problems in the order the fields are on the page (those about no field last)."""
    def place(field_id: str) -> int:
        return PAGE_ORDER.index(field_id) if field_id in PAGE_ORDER else len(PAGE_ORDER)
    return FieldErrors(dict(sorted(errors.messages.items(), key=lambda item: place(item[0]))))


@router.post("/cautions/new")
async def issue(request: Request, who: Police) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in TEXT_FIELDS}
    values.update({f"{prefix}-{part}": text(form, f"{prefix}-{part}")
                   for prefix in DATE_FIELDS for part in ("day", "month", "year")})
    errors = FieldErrors()
    body = _body(values, errors)
    if errors or body is None:
        return _form(request, values, errors, 400)
    try:
        answer = await backend_of(request).caution("POST", "/v1/cautions", who.token, json=body,
                                                idempotency_key=idempotency_key(form))
    except ApiProblem as problem:
        if problem.status not in REFUSALS:
            raise
        return _form(request, values, _refused(problem), 400)
    written: dict[str, Any] = answer.json()
    return recorded(request, str(written["id"]), written, f"Caution {written['police_reference']} issued")


def _refused(problem: ApiProblem) -> FieldErrors:
    if problem.problem.get("type", "").endswith("duplicate-police-reference"):
        errors = FieldErrors()
        existing = problem.problem.get("existing_caution") or {}
        errors.add("police-reference", "This police reference already has a caution in your force"
                   + (f", given on {_day_text(existing.get('issued_on'))}" if existing.get("issued_on") else ""))
        return errors
    return FieldErrors.from_problem(problem, FIELDS)


def _day_text(value: Any) -> str:
    day = date.fromisoformat(str(value))
    return f"{day.day} {day:%B %Y}"


def _body(values: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    """The CautionCreate body, or None with a friendly message against each field that is missing or not real."""
    for field_id, message in REQUIRED_TEXT.items():
        if not values[field_id]:
            errors.add(field_id, message)
    for field_id, message in REQUIRED_CHOICE.items():
        if not values[field_id]:
            errors.add(field_id, message)
    today = date.today()
    given_on = parsed_date(values, "given", "date the caution was given", errors)
    given_at = parsed_time(values["given-time"], "given-time", "time the caution was given", errors)
    committed = parsed_date(values, "committed", "date of the offence", errors)
    if committed is not None and committed > today:
        errors.add("committed-day", "The date of the offence must be today or in the past")
    born = parsed_date(values, "dob", "date of birth", errors, past=True)
    last = None
    if any(values[f"last-disposal-{part}"] for part in ("day", "month", "year")):
        last = parsed_date(values, "last-disposal", "date of the last domestic abuse disposal", errors)
    if given_on is not None and given_at is not None and uk_moment_of(given_on, given_at) > datetime.now().astimezone():
        errors.add("given-day", "The time the caution was given must be in the past")
    contact = {key: values[f"victim-{key}"] for key in ("name", "phone", "email") if values[f"victim-{key}"]}
    if contact and "name" not in contact:
        errors.add("victim-name", "Enter the victim's name, or leave all their contact details empty")
    if errors or given_on is None or given_at is None or committed is None or born is None:
        return None
    return {
        "police_reference": values["police-reference"], "legal_basis": values["legal-basis"],
        "occurred_at": uk_moment_of(given_on, given_at).isoformat(),
        "offender": {"reference": values["pnc"], "name": values["offender-name"], "date_of_birth": born.isoformat(),
                     "gender": values["gender"]},
        "offence": {"category": values["category"], "committed_on": committed.isoformat(),
                    "description": values["description"], "relationship": values["relationship"],
                    "admitted": values["admitted"] == "yes",
                    "evidence_sufficient_to_charge": values["evidence"] == "yes",
                    "charge_decision_by": values["charge-decision-by"]},
        "history": {"last_domestic_abuse_disposal_on": last.isoformat() if last else None,
                    "serving_community_sentence": values["community-sentence"] == "yes"},
        "victim": {"reference": values["victim-reference"], "dash_risk": values["dash-risk"],
                   "consulted": values["consulted"] == "yes", "agrees": values["agrees"] == "yes",
                   "contact_details": contact or None},
        "issuing_officer": {"id": values["officer-id"], "name": values["officer-name"], "rank": values["rank"],
                            "authorised_person": values["authorised"] == "yes"},
    }
