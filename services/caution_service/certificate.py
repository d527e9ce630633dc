"""The court certificate: the compliance history as a PDF a court can file. Victim by reference only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from .pdf import build, grid, labelled, para
from .projections.compliance import Verification

LEGAL_BASIS = {
    "conditional_caution": "Conditional caution, Criminal Justice Act 2003 ss.22-27",
    "diversionary_caution": "Diversionary caution, Police, Crime, Sentencing and Courts Act 2022 Part 6",
}
OUTCOMES = {
    "complied": "COMPLIED with the conditions",
    "not_complied": "DID NOT COMPLY with the conditions",
    "withdrawn": "WITHDRAWN (the caution was set aside)",
    "in_progress": "IN PROGRESS (the caution period has not concluded)",
}


def render_certificate(
    history: dict[str, Any], caution: dict[str, Any], generated_at: datetime, base_url: str, check: Verification
) -> bytes:
    story: list[Flowable] = [
        para("CARA compliance certificate", "Title"),
        para(f"Generated {generated_at.isoformat(timespec='seconds')}"
           + (f"; the record as it stood at {history['as_of']}" if history.get("as_of")
              else "; the record as it stands now"),
           "BodyText"),
        Spacer(1, 4 * mm),
        _facts_table(caution),
        Spacer(1, 5 * mm),
        para(f"Verdict: {OUTCOMES[history['verdict']['outcome']]}", "Heading2"),
    ]
    story += [para(f"- {reason}", "BodyText") for reason in history["verdict"]["reasons"]]
    story += [Spacer(1, 4 * mm), para("Timeline", "Heading2"), _timeline(history["entries"])]
    story += [
        Spacer(1, 5 * mm),
        para("Integrity", "Heading2"),
        para(f"Digest (SHA-256 chain over {len(history['entries'])} entries):", "BodyText"),
        para(history["digest"], "url"),
        para("Each entry's hash covers its content and the previous entry's hash, so any later change to any "
           "entry changes this digest. To verify, request the address below: it recomputes the chain from the "
           "event store and must report intact with the same digest.", "BodyText"),
        para(f"{base_url}/v1/cautions/{caution['id']}/compliance-history/verification", "url"),
        para(_check_line(check), "Heading4"),
    ]
    return build(story, f"CARA compliance certificate {caution['police_reference']}")


def _check_line(check: Verification) -> str:
    if check.intact:
        return f"Checked against the event store when generated: intact ({check.entries_checked} entries)."
    return ("WARNING: checked against the event store when generated: "
            f"NOT INTACT at entry {check.first_broken_entry}. {check.problem}")


def _facts_table(c: dict[str, Any]) -> Table:
    o, off, officer, cond = c["offender"], c["offence"], c["issuing_officer"], c["conditions"]
    rows = [
        ("Caution", f"{c['police_reference']} (system id {c['id']})"),
        ("Force", c["force"]),
        ("Legal basis", LEGAL_BASIS.get(c["legal_basis"], c["legal_basis"])),
        ("Offender", _offender(o, c["personal_data"]["offender"])),
        ("Offence", f"{off['category'].replace('_', ' ')} on {off['committed_on']}"),
        ("Victim", f"reference {c['victim']['reference']} (details withheld)"),
        ("Issued", f"{c['issued_at']} by {officer['name']} ({officer['rank'].replace('_', ' ')}, {officer['id']})"),
        ("Conditions", f"attend workshop A, then workshop B at least {cond['min_days_between_workshops']} days later, "
                       "both within the caution period; "
                       f"first provider contact within {cond['first_contact_days']} days"),
        ("Caution period ends", c["period_ends_on"]),
    ]
    return labelled(rows)


def _offender(offender: dict[str, Any], data: dict[str, Any]) -> str:
    """By the force's reference alone: a certificate leaves the system, so it carries no name or date of birth
    (the court reads those from the API), and says when the person's data was erased or restricted."""
    line = f"reference {offender['reference']}"
    if data["state"] != "held":
        line += f"; personal data {data['state']} on {data['on']} under {data['legal_basis']}: {data['reason']}"
    return line


def human_time(iso: str) -> str:
    """`2026-03-02T10:00:00+00:00` as `02 Mar 2026 10:00 (UTC+00:00)`: readable, and it wraps cleanly."""
    moment = datetime.fromisoformat(iso)
    offset = moment.isoformat()[-6:] if moment.utcoffset() is not None else ""
    return f"{moment:%d %b %Y %H:%M} (UTC{offset})"


def _timeline(entries: list[dict[str, Any]]) -> Table:
    header = [para(h) for h in ("No.", "Happened", "Recorded", "Recorded by", "What happened")]
    rows = [header]
    for e in entries:
        by = e["recorded_by"]
        corrected_by = ", ".join(map(str, e["corrected_by"]))
        what = e["summary"] + (f" (corrected by entry {corrected_by})" if e["corrected_by"] else "")
        rows.append([para(e["entry"]), para(human_time(e["occurred_at"])), para(human_time(e["recorded_at"])),
                     para(f"{by['role']} {by['id']} ({by['force']})"), para(what)])
    return grid(rows, [10 * mm, 32 * mm, 32 * mm, 34 * mm, 70 * mm], header_row=True)
