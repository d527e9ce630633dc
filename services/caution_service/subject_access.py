"""A subject access export (Data Protection Act 2018 Part 3, s.45): everything held about one person, offender or
victim, across the force's cautions and both services, as JSON or as a PDF.

For each caution it gives what the record holds about THAT person only, opened (restricted data included: the
subject is entitled to it), never the other person's:

- an offender: their reference, identity, the offence, their offending history, and every compliance-history
  entry (the court's sentence, when, who recorded it) except the entries about the victim's data (victim
  contacts, and erasures, restrictions and corrections of the victim's data), which are counted as withheld;
- a victim: their reference, DASH risk, whether they were consulted and agree, their contact details, each
  victim contact with its notes, and the entries about their data (erasures, restrictions, corrections).

Erased data cannot be opened (its key is destroyed): the export says "erased on <date> under <basis>" in its
place. It lists the consultation log's entries about each caution (who was shown or given the record, when and
why: the recipients s.45(2)(e) names), leaving out the consultations of the victim's contact details from an
offender's export, and earlier subject access requests (they may be the other person's). The notification
service holds no personal data (see NOTIFICATION_SERVICE), so it is stated, not asked.

Entries are built from the event store, not the read model, so a subject sees every entry recorded so far.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from .certificate import LEGAL_BASIS, human_time
from .disclosure import PersonalData, data_state, entry_note
from .domain.caution import Caution
from .domain.values import Person
from .pdf import build, grid, labelled, para
from .projections.entries import entry_content

# services/notification_service/tables.py, read for this: known_cautions (caution id, force, police reference,
# end of the period), notifications (texts naming the caution by police reference only, for the police, the
# provider and the victim contact service), their deliveries, reminders (caution id, kind, due time) and
# subscriptions (subscribers' webhooks). No name, reference of a person, contact detail or free text about one.
NOTIFICATION_SERVICE = {
    "holds_personal_data": False,
    "statement": ("notification service: holds caution ids and dates only (with each caution's police reference "
                  "and notifications naming the caution by that reference); no name, person reference, contact "
                  "details or notes of the offender or the victim"),
}
# Personal data events name whose data they are in `person`; a victim contact is the victim's.
_PERSONAL_DATA_EVENTS = {"PersonalDataErased", "ProcessingRestricted", "RestrictionLifted", "PersonalDataRectified"}
_VICTIMS = "VictimContacted"
_NOT_FOR_OFFENDER = {"victim_details", "subject_access"}
_NOT_FOR_VICTIM = {"subject_access"}


def erased_text(notice: dict[str, Any]) -> str:
    return f"erased on {notice['on']} under {notice['legal_basis']}"


def whose(content: dict[str, Any], types: dict[int, str], details: dict[int, dict[str, Any]]) -> Person:
    """Whose data an entry is: the victim's for a victim contact or a step on the victim's data (or a correction of
    one of those), the offender's otherwise (the caution is a record of their compliance)."""
    kind, d = content["event_type"], content["details"]
    if kind == "EntryCorrected":
        corrected = d["corrects_version"]
        return whose({"event_type": types[corrected], "details": details[corrected]}, types, details)
    if kind == _VICTIMS or (kind in _PERSONAL_DATA_EVENTS and d.get("person") == Person.VICTIM.value):
        return Person.VICTIM
    return Person.OFFENDER


# Who recorded an entry, as a subject access answer gives it: the account and its role and force. The staff's names,
# ranks and collar numbers (the token's display claims, issue 17) are their own personal data, a third party's to the
# person asking (DPA 2018 s.45(4)); the court's history names them, this answer does not.
_RECORDER_FIELDS = ("id", "role", "force")


def _entry(content: dict[str, Any]) -> dict[str, Any]:
    by = content["recorded_by"]
    return {"entry": content["entry"], "event_type": content["event_type"], "sentence": content["summary"],
            "occurred_at": content["occurred_at"], "recorded_at": content["recorded_at"],
            "recorded_by": {name: by[name] for name in _RECORDER_FIELDS}}


def caution_section(caution: Caution, events: Iterable[Any], person: Person, personal: PersonalData,
                    consultations: list[dict[str, Any]]) -> dict[str, Any]:
    """What this caution holds about the person, and who was shown or given it."""
    contents = [(entry_content(event), event) for event in events]
    types = {c["entry"]: c["event_type"] for c, _ in contents}
    details = {c["entry"]: c["details"] for c, _ in contents}
    state = data_state(caution, person)
    erased = state["state"] == "erased"
    gone = erased_text(state) if erased else None
    mine = [(c, e) for c, e in contents if whose(c, types, details) is person]
    section: dict[str, Any] = {
        "caution_id": str(caution.id),
        "police_reference": caution.police_reference,
        "legal_basis": caution.legal_basis.value,
        "status": caution.status.value,
        "issued_at": caution.issued_at.isoformat(),
        "period_ends_on": caution.period_ends_on.isoformat(),
        "data_state": {**state, "statement": gone},
    }
    if person is Person.OFFENDER:
        identity = None if erased else personal.offender_identity(caution)
        offence = caution.offence
        section["held"] = {
            "reference": caution.offender.reference,
            "name": gone or (identity or {}).get("name"),
            "date_of_birth": gone or (identity or {}).get("date_of_birth"),
            "gender": gone or (identity or {}).get("gender"),
            "offence": {
                "category": offence.category.value, "committed_on": offence.committed_on.isoformat(),
                "description": gone or personal.offence_description(caution),
                "relationship": offence.relationship.value, "admitted": offence.admitted,
                "evidence_sufficient_to_charge": offence.evidence_sufficient_to_charge,
                "charge_decision_by": offence.charge_decision_by,
            },
            "offending_history": {
                "last_domestic_abuse_disposal_on": (caution.history.last_domestic_abuse_disposal_on.isoformat()
                                                    if caution.history.last_domestic_abuse_disposal_on else None),
                "serving_community_sentence": caution.history.serving_community_sentence,
            },
        }
        section["compliance_history"] = [{**_entry(c), "note": gone or entry_note(c, caution, None, personal)}
                                         for c, _ in mine]
    else:
        victim = caution.victim
        details_sealed = caution.victim_details_sealed
        section["held"] = {
            "reference": victim.reference,
            "dash_risk": victim.dash_risk.value,
            "consulted": victim.consulted,
            "agrees": victim.agrees,
            "contact_details": gone or (personal.victim_details(caution) if details_sealed else None),
        }
        section["victim_contacts"] = [
            {**_entry(c), "stage": c["details"]["stage"], "outcome": c["details"]["outcome"],
             "safeguarding_concern": c["details"]["safeguarding_concern"],
             "notes": gone or _notes(personal, e.details_sealed)}
            for c, e in mine if c["event_type"] == _VICTIMS]
        section["compliance_history"] = [_entry(c) for c, _ in mine if c["event_type"] != _VICTIMS]
    shown = {c["entry"] for c, _ in mine}
    section["entries_withheld"] = [c["entry"] for c, _ in contents if c["entry"] not in shown]
    left_out = _NOT_FOR_OFFENDER if person is Person.OFFENDER else _NOT_FOR_VICTIM
    section["consultations"] = [entry for entry in consultations if entry["what"] not in left_out]
    return section


def _notes(personal: PersonalData, sealed: str | None) -> str | None:
    opened = personal.open_sealed(sealed) if sealed else None
    return opened.get("notes") if isinstance(opened, dict) else None


def export(person: Person, reference: str, force: str, generated_at: datetime, purpose: str,
           sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "subject": {"person": person.value, "reference": reference},
        "force": force,
        "generated_at": generated_at.isoformat(),
        "purpose": purpose,
        "legal_basis": "Data Protection Act 2018 s.45, the data subject's right of access",
        "cautions": sections,
        "notification_service": NOTIFICATION_SERVICE,
        "notes": [
            "Data about another person (the other party to each caution) is withheld: its entries are counted in "
            "entries_withheld, by number.",
            "Restricted data is included: the subject is entitled to it. Erased data can no longer be read: "
            "its place says when and under what law it was erased.",
            "consultations: who in the force or its partners was shown or given the record, when, and why.",
        ],
    }


# ----- PDF ---------------------------------------------------------------------------------


def render_export(body: dict[str, Any]) -> bytes:
    subject = body["subject"]
    story: list[Flowable] = [
        para("CARA subject access export", "Title"),
        para(f"The {subject['person']} with reference {subject['reference']}, force {body['force']}. "
             f"Generated {body['generated_at']} under {body['legal_basis']}.", "BodyText"),
        para(f"Purpose: {body['purpose']}", "BodyText"),
        para(f"{len(body['cautions'])} caution(s) found.", "BodyText"),
    ]
    for note in body["notes"]:
        story.append(para(f"- {note}", "BodyText"))
    for section in body["cautions"]:
        story += [Spacer(1, 5 * mm), para(f"Caution {section['police_reference']}", "Heading2"),
                  labelled(_facts(section)), Spacer(1, 3 * mm)]
        if section.get("victim_contacts"):
            story += [para("Victim contacts", "Heading4"), _contacts(section["victim_contacts"])]
        story += [para("Compliance history entries", "Heading4"), _entries(section["compliance_history"])]
        if section["entries_withheld"]:
            story.append(para("Entries withheld (about the other person): "
                              + ", ".join(map(str, section["entries_withheld"]))))
        story += [para("Who was shown or given this record", "Heading4"), _consulted(section["consultations"])]
    story += [Spacer(1, 5 * mm), para("Notification service", "Heading2"),
              para(body["notification_service"]["statement"], "BodyText")]
    return build(story, f"CARA subject access export {subject['reference']}")


def _facts(section: dict[str, Any]) -> list[tuple[str, Any]]:
    held, state = section["held"], section["data_state"]
    rows: list[tuple[str, Any]] = [
        ("Caution", f"{section['police_reference']} (system id {section['caution_id']})"),
        ("Legal basis", LEGAL_BASIS.get(section["legal_basis"], section["legal_basis"])),
        ("Status", section["status"].replace("_", " ")),
        ("Issued", section["issued_at"]),
        ("Personal data", state["statement"] or (
            state["state"] if state["state"] == "held"
            else f"restricted on {state['on']} under {state['legal_basis']}: {state['reason']}")),
    ]
    for key, value in held.items():
        rows.append((key.replace("_", " ").capitalize(), _text(value)))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_text(v)}" for k, v in value.items())
    return "-" if value is None else str(value)


def _entries(entries: list[dict[str, Any]]) -> Flowable:
    rows = [[para(h) for h in ("No.", "Happened", "Recorded by", "What happened")]]
    for e in entries:
        by = e["recorded_by"]
        rows.append([para(e["entry"]), para(human_time(e["occurred_at"])),
                     para(f"{by['role']} {by['id']} ({by['force']})"), para(e["sentence"])])
    return grid(rows, [10 * mm, 34 * mm, 40 * mm, 94 * mm], header_row=True)


def _contacts(contacts: list[dict[str, Any]]) -> Flowable:
    rows = [[para(h) for h in ("No.", "Happened", "Stage, outcome", "Notes")]]
    for c in contacts:
        rows.append([para(c["entry"]), para(human_time(c["occurred_at"])),
                     para(f"{c['stage'].replace('_', ' ')}, {c['outcome'].replace('_', ' ')}"),
                     para(_text(c["notes"]))])
    return grid(rows, [10 * mm, 34 * mm, 40 * mm, 94 * mm], header_row=True)


def _consulted(entries: list[dict[str, Any]]) -> Flowable:
    if not entries:
        return para("No one.")
    rows = [[para(h) for h in ("When", "Who", "What", "Why")]]
    for e in entries:
        rows.append([para(human_time(e["at"])), para(f"{e['role']} {e['principal_id']}"),
                     para(e["what"].replace("_", " ")), para(_text(e["purpose"]))])
    return grid(rows, [34 * mm, 44 * mm, 30 * mm, 70 * mm], header_row=True)
