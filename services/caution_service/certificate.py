"""The court certificate: the compliance history as a PDF a court can file. Victim and offender by reference only.

Every sentence on it is the record's, in one date style (UK time, the zone named: shared/uk_time.py), with people
named as the record names them and the force by its name. The PDF is signed afterwards (signing.py): the
attestation says by whom and what the signature covers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from shared.forces import force_name
from shared.uk_time import uk_day_text, uk_moment_text, uk_time_text

from .pdf import CELL_PADDING, build, fitted, fitted_grid, labelled, para
from .projections.compliance import Verification

LEGAL_BASIS = {
    "conditional_caution": "Conditional caution, Criminal Justice Act 2003 ss.22-27",
    "diversionary_caution": "Diversionary caution, Police, Crime, Sentencing and Courts Act 2022 Part 6",
}
OUTCOMES = {
    "complied": "COMPLIED with the conditions",
    "not_complied": "DID NOT COMPLY with the conditions",
    "withdrawn": "WITHDRAWN (the caution was set aside)",
    "in_progress": "IN PROGRESS (the caution period has not ended)",
}
DECISIONS = {  # the verdict's `decision` when it is not complied
    "breach_decision_pending": "the caution period ended with the conditions unmet; the police have not yet decided "
                               "on the breach",
    "prosecute": "the police decided the conditions were broken and to prosecute the original offence",
    "no_further_action": "the police decided the conditions were broken and to take no further action",
}
ROLES = {"police": "police", "provider": "workshop provider", "victim_contact": "victim contact service",
         "court": "court liaison", "admin": "administrator", "subscriber": "subscribing service"}
SYSTEM = "CARA system"
TIMELINE_WIDTHS = [9 * mm, 27 * mm, 27 * mm, 38 * mm, 77 * mm]  # the frame's 178 mm; dates wrap at their spaces

_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")
_ISO_DAY = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")


def render_certificate(
    history: dict[str, Any], caution: dict[str, Any], generated_at: datetime, verification_url: str,
    check: Verification, *, force_name: str, system_version: str, signed_by: str | None = None,
) -> bytes:
    """The certificate as an unsigned PDF. `signed_by` names the signing certificate's subject when the caller
    signs it (signing.sign_pdf); the attestation then says what that signature covers."""
    reference = caution["police_reference"]
    story: list[Flowable] = [
        para("CARA compliance certificate", "Title"),
        para(f"{force_name}: the compliance history of caution {reference}", "Heading4"),
        para(f"Generated {uk_time_text(generated_at)}; {_which_record(history)}.", "BodyText"),
        Spacer(1, 4 * mm),
        _facts_table(caution, history, force_name),
        Spacer(1, 5 * mm),
        *_verdict(history),
        Spacer(1, 4 * mm),
        para("Timeline", "Heading2"),
        _timeline(history["entries"], caution["force"]),
        Spacer(1, 5 * mm),
        KeepTogether(_integrity(history, verification_url, check)),
        Spacer(1, 5 * mm),
        KeepTogether(_attestation(history, caution, generated_at, force_name, system_version, signed_by)),
    ]
    return build(story, f"CARA compliance certificate {reference}",
                 footer=f"CARA compliance certificate {reference}, {force_name}")


def _which_record(history: dict[str, Any]) -> str:
    as_of = f"the record as it stood at {_on_text(history['as_of'])}" if history.get("as_of") else None
    if history.get("on"):
        return (f"what had happened by {_on_text(history['on'])}, as {as_of or 'the record knows it now'} "
                "(including entries recorded after that day)")
    return as_of or "the record as it stands now"


def _on_text(on: str) -> str:
    """`on` as the axes give it: a day (the end of that UK day) or a moment."""
    if _ISO_DAY.fullmatch(on):
        return f"the end of {uk_day_text(date.fromisoformat(on))}"
    return uk_moment_text(datetime.fromisoformat(on))


def _verdict(history: dict[str, Any]) -> list[Flowable]:
    v = history["verdict"]
    when = f" on {_on_text(history['on']).removeprefix('the end of ')}" if history.get("on") else ""
    lines: list[Flowable] = [para(f"Verdict{when}: {OUTCOMES[v['outcome']]}", "Heading2")]
    if v["outcome"] == "not_complied" and v.get("decision") in DECISIONS:
        lines.append(para(f"Decision: {DECISIONS[v['decision']]}.", "BodyText"))
    lines += [para(f"- {court_text(reason)}", "BodyText") for reason in v["reasons"]]
    return lines


URL_SMALLEST_FONT = 4.0  # the verification address stays on one line, to be copied whole, for any caution id and axes


def _integrity(history: dict[str, Any], verification_url: str, check: Verification) -> list[Flowable]:
    page_width = 178 * mm - 12  # the frame inside the margins keeps 6 pt of padding each side
    return [
        para("Integrity", "Heading2"),
        para(f"Digest (SHA-256 chain over {_covered(history)} entries):", "BodyText"),
        fitted(history["digest"], page_width, "url"),
        para("Each entry's hash covers its content and the previous entry's hash, so any later change to any "
             "entry changes this digest. To verify it, request the address below: it recomputes the chain from the "
             "event store and must report intact with the same digest. Without the service, anyone can check the "
             "history's JSON export (compliance-history/export with the same as_of) with python -m "
             "shared.history_verifier, which needs no token and no network.", "BodyText"),
        fitted(verification_url, page_width, "url", smallest=URL_SMALLEST_FONT),
        para(_check_line(check), "Heading4"),
    ]


def _covered(history: dict[str, Any]) -> int:
    """The entries the digest covers: with `on`, every entry recorded by then, also those not shown."""
    return int(history.get("digest_covers") or len(history["entries"]))


def _shown(history: dict[str, Any]) -> str:
    shown, covered = len(history["entries"]), _covered(history)
    return f"{shown} entries" if shown == covered else f"{shown} of the {covered} entries the digest covers"


def _attestation(history: dict[str, Any], caution: dict[str, Any], generated_at: datetime, force_name: str,
                 system_version: str, signed_by: str | None) -> list[Flowable]:
    lines: list[Flowable] = [
        para("Attestation", "Heading2"),
        para(f"Issued for {force_name} (force code {caution['force']}) by the CARA compliance tracker, caution "
             f"service version {system_version}, on {uk_time_text(generated_at)}. It states "
             f"{_which_record(history)}: {_shown(history)}, the digest above.", "BodyText"),
    ]
    if signed_by is None:
        lines.append(para("This copy is not signed electronically: it cannot show whether it has been altered.",
                          "BodyText"))
        return lines
    lines.append(para(
        f"This document is signed electronically (PAdES) with the certificate of {signed_by}. The signature covers "
        "the whole document as issued: every page, the facts, the verdict, the timeline, the digest and this "
        "attestation. A PDF reader shows the signature, and shows it as invalid if anything in the document has "
        "changed since it was signed. The signature vouches that this is the document the system issued; the facts "
        "are the entries of the compliance history, whose own integrity the digest shows.", "BodyText"))
    if "NOT FOR COURT USE" in signed_by.upper():
        lines.append(para("Signed with a development certificate: NOT FOR COURT USE.", "Heading4"))
    return lines


def _check_line(check: Verification) -> str:
    if check.intact:
        # the whole record, which an "as of" or "on" certificate states only part of: say which was checked
        return (f"Checked against the event store when generated: the whole record, {check.entries_checked} entries, "
                "is intact.")
    return ("WARNING: checked against the event store when generated: "
            f"NOT INTACT at entry {check.first_broken_entry}. {check.problem}")


def _facts_table(c: dict[str, Any], history: dict[str, Any], force_name: str) -> Table:
    o, off, officer, cond = c["offender"], c["offence"], c["issuing_officer"], c["conditions"]
    rows = [
        ("Caution", f"{c['police_reference']} (system id {c['id']})"),
        ("Issuing force", f"{force_name} (force code {c['force']})"),
        ("Legal basis", LEGAL_BASIS.get(c["legal_basis"], c["legal_basis"])),
        ("Offender", _offender(o, c["personal_data"]["offender"])),
        ("Offence", f"{off['category'].replace('_', ' ')} on {uk_day_text(date.fromisoformat(off['committed_on']))}"),
        ("Victim", f"reference {c['victim']['reference']} (details withheld)"),
        ("Issued", f"{uk_time_text(datetime.fromisoformat(c['issued_at']))} by {officer['name']} "
                   f"({officer['rank'].replace('_', ' ')}, {officer['id']})"),
        ("Conditions", f"attend workshop A, then workshop B at least {cond['min_days_between_workshops']} days later, "
                       "both within the caution period; "
                       f"first provider contact within {cond['first_contact_days']} days"),
        ("Caution period ends", uk_day_text(date.fromisoformat(c["period_ends_on"]))),
    ]
    spent = _spent(history)
    if spent is not None:
        rows.append(("Spent", spent))
    return labelled(rows)


def _spent(history: dict[str, Any]) -> str | None:
    """The spent date (Rehabilitation of Offenders Act 1974 Sch 2 para 1(1)(a)) when the history gives one; None
    (no row) when the history does not carry the field at all."""
    if "spent_on" not in history:
        return None
    law = "Rehabilitation of Offenders Act 1974, Sch 2 para 1(1)(a)"
    if history["spent_on"]:
        return f"{uk_day_text(date.fromisoformat(history['spent_on']))} ({law})"
    if history["verdict"].get("decision") == "prosecute":
        return ("not applicable: proceedings were instituted for the original offence, so the caution ceased to "
                "have effect (Criminal Justice Act 2003 s.24(3))")
    return f"not yet known: it depends on how the caution ends ({law})"


def _offender(offender: dict[str, Any], data: dict[str, Any]) -> str:
    """By the force's reference alone: a certificate leaves the system, so it carries no name or date of birth
    (the court reads those from the API), and says when the person's data was erased or restricted."""
    line = f"reference {offender['reference']}"
    if data["state"] != "held":
        line += f"; personal data {data['state']} on {court_text(str(data['on']))} under {data['legal_basis']}: " \
                f"{data['reason']}"
    return line


def recorded_by_text(by: dict[str, Any], caution_force: str) -> str:
    """Who recorded an entry as a court reads it: by name and rank or collar number where the entry has them, the
    system's own entries as the system, and only older entries (no name recorded) by role and account id."""
    if by.get("role") == "system":
        who = SYSTEM
    elif by.get("name"):
        rank = str(by.get("rank") or "").replace("_", " ")
        who = f"{rank[:1].upper()}{rank[1:]} {by['name']}".strip()
        if by.get("collar_number"):
            who += f", collar number {by['collar_number']}"
        who += f" ({ROLES.get(by['role'], by['role'])})"
    else:
        who = f"{ROLES.get(by['role'], by['role'])} account {by['id']}"
    if by.get("force") and by["force"] != caution_force:  # the caution's own force is named once, above
        who += f", {force_name(by['force'])}"
    return who


def court_text(text: str, details: Any = None) -> str:
    """A recorded sentence in the certificate's one date style: ISO days and times, and the short times the
    catalogue's sentences print (from the moments in `details`, the entry's own content), as UK dates and times.

    The words are the record's; only how its dates are written changes (the JSON history keeps the sentence as
    hashed)."""
    for moment in set(_moments(details)):
        parsed = datetime.fromisoformat(moment)
        text = text.replace(parsed.strftime("%d %b %Y %H:%M"), uk_time_text(parsed))
    text = _ISO_MOMENT.sub(lambda m: uk_time_text(datetime.fromisoformat(m.group(0))), text)
    return _ISO_DAY.sub(lambda m: uk_day_text(date.fromisoformat(m.group(0))), text)


def human_time(iso: str) -> str:
    """`2026-03-02T10:00:00+00:00` as `02 Mar 2026 10:00 (UTC+00:00)`: the subject access export's style."""
    moment = datetime.fromisoformat(iso)
    offset = moment.isoformat()[-6:] if moment.utcoffset() is not None else ""
    return f"{moment:%d %b %Y %H:%M} (UTC{offset})"


def _moments(value: Any) -> Iterator[str]:
    if isinstance(value, str) and _ISO_MOMENT.fullmatch(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _moments(item)
    elif isinstance(value, list):
        for item in value:
            yield from _moments(item)


def _timeline(entries: list[dict[str, Any]], caution_force: str) -> Table:
    rows: list[list[Any]] = [["No.", "Happened", "Recorded", "Recorded by", "What happened"]]
    for e in entries:
        corrected_by = ", ".join(map(str, e["corrected_by"]))
        what = court_text(e["summary"], e.get("details"))
        what += f" (corrected by entry {corrected_by})" if e["corrected_by"] else ""
        if e.get("recorded_after"):
            what += " (recorded after the date asked about)"
        rows.append([e["entry"], _moment_cell(e["occurred_at"], TIMELINE_WIDTHS[1]),
                     _moment_cell(e["recorded_at"], TIMELINE_WIDTHS[2]),
                     recorded_by_text(e["recorded_by"], caution_force), what])
    return fitted_grid(rows, TIMELINE_WIDTHS, header_row=True)


def _moment_cell(iso: str, width: float) -> Paragraph:
    """The time on a line of its own ("3 March 2026," then "10:00 GMT"), whatever the length of the day's name."""
    return fitted(uk_time_text(datetime.fromisoformat(iso)), width - CELL_PADDING, break_after=", ")
