"""The outcomes report's read models (issue 19 item 5): what the Police and Crime Commissioner's report counts.

One row per caution in `outcome_cautions`, named by a keyed blind index of the caution id (`CautionKeys`), not by
the id: the table links to no caution without the master key, and holds no name, reference or date of birth. Its
figures are the caution's cohort (the UK month it was issued), legal basis, the offender's gender, outcome, the UK
days from issue to first contact, to the first workshop A attended (in any round) and to completion, its victim
contacts (stage and outcome) and its safeguarding concerns (with the minutes each took to acknowledge).

The report itself reads only sums: `outcome_cells` (counts per force, cohort month, legal basis, gender and outcome)
and `outcome_durations` (how many cautions took each number of days, how many concerns each number of minutes), kept
up to date here by subtracting a caution's old row from its cell and adding its new one. Sessions are summed the same
way, per force and UK month the session was on (`outcome_sessions`, `outcome_session_cells`).

Gender is read from the offender's sealed identity (with the application's keyring) when the caution is issued,
when the offender's data is rectified and when a restriction is lifted; while the offender's data is erased or
restricted it is "not_recorded": the report counts no one by a characteristic it may no longer process (DPA 2018
s.47). A rebuild after an erasure cannot open the seal and also counts "not_recorded".

Outcome: completed, breached_prosecute, breached_nfa, withdrawn; out_of_time for an open caution whose period has
ended unmet (ComplianceDeadlinePassed recorded) with no decision yet; open otherwise.

Master key rotation: rows are keyed under the current master key when first written; a later batch finds a row
under any configured master key (as the offender search does), and a rebuild keys every row under the current one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.keyring import BadSeal, Erased, KeyRing, MasterKeys
from shared.uk_time import uk_date

from ..domain.caution import Caution, event_name
from ..domain.session import WorkshopSession
from ..domain.values import BreachOutcome, Person, SessionStatus, Status
from .bulk import WriteStep, insert_rows
from .tables import outcome_cautions, outcome_cells, outcome_durations, outcome_session_cells, outcome_sessions

log = logging.getLogger("cara.outcomes")

PURPOSE = b"CARA outcomes report caution key"
NOT_RECORDED = "not_recorded"
GENDERS = ("female", "male", "other", NOT_RECORDED)
OUTCOMES = ("open", "completed", "breached_prosecute", "breached_nfa", "withdrawn", "out_of_time")
DAY_MEASURES = ("first_contact", "workshop_a", "completion")
ACKNOWLEDGEMENT = "acknowledgement"  # the duration measure of concerns, in minutes
# Victim contact (stage, outcome) as the event holds them -> the cell's column.
CONTACT_COLUMNS = {
    ("after_workshop_a", "contacted"): "contact_a_contacted",
    ("after_workshop_a", "unable_to_contact"): "contact_a_unable",
    ("after_workshop_a", "declined"): "contact_a_declined",
    ("on_completion", "contacted"): "contact_completion_contacted",
    ("on_completion", "unable_to_contact"): "contact_completion_unable",
    ("on_completion", "declined"): "contact_completion_declined",
}
SUMMED = ("cautions", *CONTACT_COLUMNS.values(), "concerns", "concerns_acknowledged")

_GENDER_EVENTS = frozenset({"PersonalDataRectified", "PersonalDataErased", "ProcessingRestricted",
                            "RestrictionLifted"})
# J1's events (issue 19 item 1), matched by their catalogue names.
_CONCERN_RAISED, _CONCERN_ACKNOWLEDGED = "SafeguardingConcernRaised", "SafeguardingConcernAcknowledged"
_CELL_KEY = ("force", "cohort_month", "legal_basis", "gender", "outcome")
_DURATION_KEY = ("force", "cohort_month", "measure", "value")


class CautionKeys:
    """The blind index of caution ids: HMAC-SHA256 under a key derived, per master key, for this purpose alone."""

    def __init__(self, masters: MasterKeys) -> None:
        self._masters = masters
        self._keys: dict[str, bytes] = {}

    @property
    def current(self) -> str:
        return self._masters.current

    def key(self, caution_id: UUID | str, key_id: str | None = None) -> str:
        chosen = key_id or self._masters.current
        derived = self._keys.get(chosen)
        if derived is None:
            derived = self._keys[chosen] = self._masters.derive(chosen, PURPOSE)
        return hmac.new(derived, str(caution_id).encode(), hashlib.sha256).hexdigest()

    def every_key(self, caution_id: UUID | str) -> list[str]:
        """The caution's key under each configured master key (a row made before a rotation is still found)."""
        return [self.key(caution_id, key_id) for key_id in self._masters.keys]


@dataclass
class _Touched:
    caution: Caution
    position: int
    gender_changed: bool = False
    # entry -> "stage outcome" added, and entries struck out
    contacts: dict[str, str] = field(default_factory=dict)
    concerns: dict[str, str] = field(default_factory=dict)  # entry -> recorded at (ISO), raised in this batch
    acknowledged: dict[str, datetime] = field(default_factory=dict)  # concern entry -> acknowledged at
    struck: set[str] = field(default_factory=set)
    workshop_a_struck: bool = False


def outcome_of(c: Caution) -> str:
    if c.final_status is Status.COMPLETED:
        return "completed"
    if c.final_status is Status.BREACHED:
        return "breached_prosecute" if c.breach_outcome is BreachOutcome.PROSECUTE else "breached_nfa"
    if c.final_status is Status.WITHDRAWN:
        return "withdrawn"
    return "out_of_time" if c.deadline_passed else "open"


def _days(issued_on: date, moment: datetime | None) -> int | None:
    return None if moment is None else (uk_date(moment) - issued_on).days


def _minutes(raised: str, acknowledged: datetime) -> int:
    return max(0, int((acknowledged - datetime.fromisoformat(raised)).total_seconds() // 60))


class OutcomesProjection:
    name = "outcomes"
    tables = (outcome_cautions, outcome_cells, outcome_durations, outcome_sessions, outcome_session_cells)
    aggregates = (Caution, WorkshopSession)

    def __init__(self, keyring: KeyRing, keys: CautionKeys) -> None:
        self.keyring, self.keys = keyring, keys
        self._cautions: dict[UUID, _Touched] = {}
        self._sessions: dict[UUID, tuple[WorkshopSession, int]] = {}

    # ----- buffering -------------------------------------------------------------------

    def apply(self, session: Session, event: Any, aggregate: Any, position: int) -> None:
        if isinstance(aggregate, WorkshopSession):
            self._sessions[event.originator_id] = (aggregate, position)
            return
        touched = self._cautions.get(event.originator_id)
        if touched is None:
            touched = self._cautions[event.originator_id] = _Touched(aggregate, position)
        touched.caution, touched.position = aggregate, position
        kind, entry = event_name(event), str(event.originator_version)
        if kind == "CautionIssued":
            touched.gender_changed = True
        elif kind in _GENDER_EVENTS and event.person is Person.OFFENDER:
            touched.gender_changed = True
        elif kind == "VictimContacted":
            touched.contacts[entry] = f"{_value(event.stage)} {_value(event.outcome)}"
        elif kind == _CONCERN_RAISED:
            touched.concerns[entry] = event.recorded_at.astimezone(UTC).isoformat()
        elif kind == _CONCERN_ACKNOWLEDGED:
            touched.acknowledged[str(event.concern)] = event.occurred_at
        elif kind == "EntryCorrected" and getattr(event, "recorded_in_error", False):
            struck = str(event.corrects_version)
            touched.struck.add(struck)
            touched.contacts.pop(struck, None)
            touched.workshop_a_struck |= event.corrected_type == "WorkshopAAttended"

    def discard(self) -> None:
        self._cautions.clear()
        self._sessions.clear()

    def clear(self, session: Session) -> None:
        for table in self.tables:
            session.execute(delete(table))

    # ----- the batch's rows and sums ------------------------------------------------------

    def prepare(self, session: Session) -> WriteStep:
        cautions, self._cautions = self._cautions, {}
        sessions, self._sessions = self._sessions, {}
        cells: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMMED, 0))
        durations: dict[tuple[Any, ...], int] = defaultdict(int)
        connection = session.connection()
        old_rows = self._old_caution_rows(connection, cautions)
        caution_rows: list[dict[str, Any]] = []
        gone: list[str] = []
        for caution_id, touched in cautions.items():
            old = old_rows.get(caution_id)
            if old is not None:
                _count(cells, durations, old, -1)
                gone.append(old["caution_key"])
            new = self._row(touched, old)
            _count(cells, durations, new, +1)
            caution_rows.append(new)
        old_sessions = _old_session_rows(connection, sessions)
        session_rows: list[dict[str, Any]] = []
        session_sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for session_id, (workshop_session, _) in sessions.items():
            old = old_sessions.get(str(session_id))
            for row, sign in ((old, -1), (_session_row(workshop_session), +1)):
                if row is None:
                    continue
                if row["held"]:
                    sums = session_sums[(row["force"], row["month"])]
                    sums[0] += sign
                    sums[1] += sign * row["capacity"]
                    sums[2] += sign * row["filled"]
                if sign > 0:
                    session_rows.append(row)
        cell_rows = [{**dict(zip(_CELL_KEY, key, strict=True)), **sums} for key, sums in cells.items()
                     if any(sums.values())]
        duration_rows = [{**dict(zip(_DURATION_KEY, key, strict=True)), "count": n}
                         for key, n in durations.items() if n]
        session_cell_rows = [{"force": force, "month": month, "sessions_held": s[0], "places": s[1], "filled": s[2]}
                             for (force, month), s in session_sums.items() if any(s)]
        session_ids = [str(session_id) for session_id in sessions]

        def write(connection: Connection) -> None:
            if gone:
                connection.execute(_DELETE_CAUTIONS, {"keys": gone})
            insert_rows(connection, outcome_cautions, caution_rows)
            _add(connection, outcome_cells, _CELL_KEY, cell_rows, "cautions")
            _add(connection, outcome_durations, _DURATION_KEY, duration_rows, "count")
            if session_ids:
                connection.execute(_DELETE_SESSIONS, {"ids": session_ids})
            insert_rows(connection, outcome_sessions, session_rows)
            _add(connection, outcome_session_cells, ("force", "month"), session_cell_rows, "sessions_held")

        return write

    def _old_caution_rows(self, connection: Connection, cautions: dict[UUID, _Touched]) -> dict[UUID, dict[str, Any]]:
        if not cautions:
            return {}
        by_key = {key: caution_id for caution_id in cautions for key in self.keys.every_key(caution_id)}
        found: dict[UUID, dict[str, Any]] = {}
        for part in _chunks(list(by_key), 900):  # SQLite's limit on parameters is 999 in older builds
            for row in connection.execute(_SELECT_CAUTIONS, {"keys": part}).mappings():
                found[by_key[row["caution_key"]]] = dict(row)
        return found

    def _row(self, touched: _Touched, old: dict[str, Any] | None) -> dict[str, Any]:
        c = touched.caution
        issued_on = uk_date(c.issued_at)
        contacts: dict[str, str] = json.loads(old["contacts"]) if old else {}
        concerns: dict[str, list[Any]] = json.loads(old["concerns"]) if old else {}
        for entry in touched.struck:
            contacts.pop(entry, None)
            concerns.pop(entry, None)
        contacts.update(touched.contacts)
        for entry, raised in touched.concerns.items():
            concerns[entry] = [raised, None]
        for entry, acknowledged in touched.acknowledged.items():
            if entry in concerns and concerns[entry][1] is None:
                concerns[entry][1] = _minutes(concerns[entry][0], acknowledged)
        first_a = _days(issued_on, c.first_attended_a_at)
        if old is not None and old["days_to_workshop_a"] is not None and not touched.workshop_a_struck:
            # the first A of any round: a repeated round's A (after an accepted excuse) does not replace it
            first_a = old["days_to_workshop_a"] if first_a is None else min(first_a, old["days_to_workshop_a"])
        outcome = outcome_of(c)
        return {
            "caution_key": old["caution_key"] if old else self.keys.key(c.id),
            "key_id": old["key_id"] if old else self.keys.current,
            "force": c.force,
            "cohort_month": issued_on.strftime("%Y-%m"),
            "legal_basis": c.legal_basis.value,
            "gender": self._gender(c) if touched.gender_changed or old is None else old["gender"],
            "outcome": outcome,
            "days_to_first_contact": _days(issued_on, c.first_contact_at),
            "days_to_workshop_a": first_a,
            "days_to_completion": _days(issued_on, c.final_at) if outcome == "completed" else None,
            "contacts": json.dumps(contacts, sort_keys=True),
            "concerns": json.dumps(concerns, sort_keys=True),
            "position": touched.position,
        }

    def _gender(self, c: Caution) -> str:
        if c.is_erased(Person.OFFENDER) or c.is_restricted(Person.OFFENDER):
            return NOT_RECORDED
        try:
            identity = self.keyring.open(c.offender.identity_sealed)
        except Erased:
            return NOT_RECORDED  # destroyed after this state was recorded: a rebuild after an erasure
        except BadSeal:
            log.error("caution %s: the offender's identity seal does not open; gender not recorded", c.id)
            return NOT_RECORDED
        gender = identity.get("gender") if isinstance(identity, dict) else None
        return gender if gender in GENDERS else NOT_RECORDED


def _value(member: Any) -> str:
    return str(getattr(member, "value", member))


def _count(cells: dict[tuple[Any, ...], dict[str, int]], durations: dict[tuple[Any, ...], int],
           row: dict[str, Any], sign: int) -> None:
    """Add (sign +1) or take away (-1) one caution row's part in the sums."""
    sums = cells[tuple(row[name] for name in _CELL_KEY)]
    sums["cautions"] += sign
    for code in json.loads(row["contacts"]).values():
        stage, outcome = code.split(" ")
        column = CONTACT_COLUMNS.get((stage, outcome))
        if column is not None:
            sums[column] += sign
    force, month = row["force"], row["cohort_month"]
    for _raised_at, minutes in json.loads(row["concerns"]).values():
        sums["concerns"] += sign
        if minutes is not None:
            sums["concerns_acknowledged"] += sign
            durations[(force, month, ACKNOWLEDGEMENT, minutes)] += sign
    for measure in DAY_MEASURES:
        days = row[f"days_to_{measure}"]
        if days is not None:
            durations[(force, month, measure, days)] += sign


def _session_row(s: WorkshopSession) -> dict[str, Any]:
    return {"session_id": str(s.id), "force": s.force, "month": uk_date(s.starts_at).strftime("%Y-%m"),
            "held": s.status is SessionStatus.HELD, "capacity": s.capacity, "filled": len(s.register)}


def _old_session_rows(connection: Connection,
                      sessions: dict[UUID, tuple[WorkshopSession, int]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for part in _chunks([str(session_id) for session_id in sessions], 900):
        for row in connection.execute(_SELECT_SESSIONS, {"ids": part}).mappings():
            found[row["session_id"]] = dict(row)
    return found


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _add(connection: Connection, table: Table, key: tuple[str, ...], rows: list[dict[str, Any]], count: str) -> None:
    """Add each row's numbers to the sums its key names (a row that is not there yet starts them); a sum whose
    `count` falls to 0 goes, so the tables hold what a rebuild would make."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    summed = [name for name in rows[0] if name not in key]
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: table.c[name] + statement.excluded[name] for name in summed})
    connection.execute(statement, rows)
    fallen = [{f"k_{name}": row[name] for name in key} for row in rows if row[count] < 0]
    if fallen:
        emptied = delete(table).where(table.c[count] == 0, *(table.c[name] == bindparam(f"k_{name}") for name in key))
        connection.execute(emptied, fallen)


_SELECT_CAUTIONS = select(outcome_cautions).where(outcome_cautions.c.caution_key.in_(bindparam("keys",
                                                                                                expanding=True)))
_DELETE_CAUTIONS = delete(outcome_cautions).where(outcome_cautions.c.caution_key.in_(bindparam("keys",
                                                                                                expanding=True)))
_SELECT_SESSIONS = select(outcome_sessions).where(outcome_sessions.c.session_id.in_(bindparam("ids", expanding=True)))
_DELETE_SESSIONS = delete(outcome_sessions).where(outcome_sessions.c.session_id.in_(bindparam("ids", expanding=True)))
