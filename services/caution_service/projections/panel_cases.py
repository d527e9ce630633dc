"""The scrutiny panel's cases (issue 19): per caution, each entry a panel of police and provider reviews together.

A case is an entry of the caution's record: a rejected excuse (the breach referral), an accepted excuse, a
safeguarding concern raised, or the period ending unmet (ComplianceDeadlinePassed). Events are read by their
catalogue names, so this projection needs no more of the domain than the names and fields the catalogue gives.

A CaseReviewedByPanel marks the cases of its kind on its caution, recorded before it, that no panel has reviewed
yet (a panel sitting each quarter reviews what came since the last one; a caution's earlier case keeps the panel
that reviewed it). A case struck out as recorded in error is no case: its row goes, as does an excuse decision
whose miss is struck out (the decision itself cannot be); a review struck out leaves its cases unreviewed again. A
correction of a case's time moves its day.

Rows are written at the end of each batch, in the batch's order of events: every case's insert first (a review
only marks cases recorded before it, so inserting a later case first changes nothing it marks), then each mark,
move and removal in turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from shared.uk_time import uk_date

from ..domain.caution import Caution, event_name
from .bulk import WriteStep, insert_rows, nothing_to_write
from .tables import panel_cases

BREACH_REFERRAL, ACCEPTED_EXCUSE = "breach_referral", "accepted_excuse"
SAFEGUARDING_CONCERN, OUT_OF_TIME = "safeguarding_concern", "out_of_time"
KINDS = (BREACH_REFERRAL, ACCEPTED_EXCUSE, SAFEGUARDING_CONCERN, OUT_OF_TIME)  # PanelCaseKind's values
REVIEWED = "CaseReviewedByPanel"
CORRECTED = "EntryCorrected"
MISSED = "WorkshopMissed"
_TIMED_CASES = ("ExcuseDecided", "SafeguardingConcernRaised")  # a deadline's day is the period's, not a time's

_c = panel_cases.c
_MARK = (update(panel_cases)
         .where(_c.caution_id == bindparam("b_caution_id"), _c.kind == bindparam("b_kind"),
                _c.entry < bindparam("b_entry"), _c.reviewed_panel_id.is_(None))
         .values(reviewed_panel_id=bindparam("panel_id"), reviewed_entry=bindparam("b_entry"),
                 reviewed_on=bindparam("held_on"), reviewed_members=bindparam("members")))
_UNMARK = (update(panel_cases)
           .where(_c.caution_id == bindparam("b_caution_id"), _c.reviewed_entry == bindparam("b_entry"))
           .values(reviewed_panel_id=None, reviewed_entry=None, reviewed_on=None, reviewed_members=None))
_REMOVE = delete(panel_cases).where(and_(_c.caution_id == bindparam("b_caution_id"), _c.entry == bindparam("b_entry")))
# The excuse decision on a miss struck out falls with it (domain/caution.py `correct`: a decision itself is never
# struck out): the first decision after the miss, and before the strike (a later one in the same batch decides a
# later miss).
_DECISION = (select(func.min(_c.entry)).where(
    _c.caution_id == bindparam("b_caution_id"), _c.kind.in_((BREACH_REFERRAL, ACCEPTED_EXCUSE)),
    _c.entry > bindparam("b_entry"), _c.entry < bindparam("b_strike")).scalar_subquery())
_REMOVE_DECISION = delete(panel_cases).where(_c.caution_id == bindparam("b_caution_id"), _c.entry == _DECISION)
_MOVE = (update(panel_cases).where(_c.caution_id == bindparam("b_caution_id"), _c.entry == bindparam("b_entry"))
         .values(happened_on=bindparam("day")))


def case_kind(name: str, fields: Mapping[str, Any]) -> str | None:
    """The kind of panel case an event (by catalogue name and fields) makes its caution, or None."""
    if name == "ExcuseDecided":
        return ACCEPTED_EXCUSE if fields["accepted"] else BREACH_REFERRAL
    if name == "SafeguardingConcernRaised":
        return SAFEGUARDING_CONCERN
    if name == "ComplianceDeadlinePassed":
        return OUT_OF_TIME
    return None


def case_day(name: str, fields: Mapping[str, Any]) -> date:
    """The UK day the case happened: a deadline's is the period's last day (its event is timed as that day ends,
    which is the next day's first moment), any other case's the day of its `occurred_at`."""
    if name == "ComplianceDeadlinePassed":
        ended: date = fields["period_ended_on"]
        return ended
    occurred: datetime = fields["occurred_at"]
    return uk_date(occurred)


def _value(value: Any) -> Any:
    """An enum's value (J1's PanelCaseKind, a date kept as such), anything else as it is."""
    return getattr(value, "value", value)


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class PanelCaseProjection:
    name = "panel_cases"
    tables = (panel_cases,)

    def __init__(self) -> None:
        self._new: list[dict[str, Any]] = []
        self._changes: list[tuple[Any, dict[str, Any]]] = []  # (statement, parameters), in the batch's order

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        name = event_name(event)
        fields = vars(event)
        caution_id, entry = str(event.originator_id), event.originator_version
        kind = case_kind(name, fields)
        if kind is not None:
            self._new.append({"caution_id": caution_id, "entry": entry, "force": caution.force, "kind": kind,
                              "happened_on": case_day(name, fields), "police_reference": caution.police_reference,
                              "reviewed_panel_id": None, "reviewed_entry": None, "reviewed_on": None,
                              "reviewed_members": None, "position": position})
        elif name == REVIEWED:
            self._changes.append((_MARK, {"b_caution_id": caution_id, "b_kind": _value(fields["kind"]),
                                          "b_entry": entry, "panel_id": str(fields["panel_id"]),
                                          "held_on": _day(fields["held_on"]), "members": len(fields["members"])}))
        elif name == CORRECTED:
            corrected = {"b_caution_id": caution_id, "b_entry": fields["corrects_version"]}
            if fields.get("recorded_in_error"):
                self._changes.append((_REMOVE, corrected))
                self._changes.append((_UNMARK, corrected))
                if fields["corrected_type"] == MISSED:
                    self._changes.append((_REMOVE_DECISION, {**corrected, "b_strike": entry}))
            elif fields.get("corrected_occurred_at") is not None and fields["corrected_type"] in _TIMED_CASES:
                self._changes.append((_MOVE, {**corrected, "day": uk_date(fields["corrected_occurred_at"])}))

    def prepare(self, session: Session) -> WriteStep:
        new, self._new = self._new, []
        changes, self._changes = self._changes, []
        if not new and not changes:
            return nothing_to_write

        def write(connection: Connection) -> None:
            insert_rows(connection, panel_cases, new)
            for statement, parameters in changes:
                connection.execute(statement, parameters)

        return write

    def discard(self) -> None:
        self._new.clear()
        self._changes.clear()

    def clear(self, session: Session) -> None:
        session.execute(delete(panel_cases))
