"""The offender-search projection: each caution's blind-index terms (search_index.py), for finding it by name.

A caution's terms follow its offender's data: written when it is issued, replaced when the offender's
identity is rectified, deleted when it is erased or restricted, written again when a restriction is
lifted. They are computed by opening the identity seal with the application's keyring, so once the
offender's data key is destroyed there is nothing to compute them from: a rebuild after an erasure
writes no terms for that caution, and the index forgets as the record does.

Like the summaries, a caution's terms are worked out once per batch, from its state after the batch's
last event, and written at the end of the batch (a rebuild opens each seal once).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy.orm import Session

from shared.keyring import BadSeal, Erased, KeyRing

from ..domain.caution import Caution, event_name
from ..domain.values import Person
from ..search_index import BlindIndex
from .bulk import WriteStep, insert_rows, nothing_to_write
from .tables import offender_search

log = logging.getLogger("cara.search")

# The events after which a caution's terms may differ (for the offender): the others leave them alone.
_ISSUED = "CautionIssued"
_OFFENDER_EVENTS = frozenset({"PersonalDataRectified", "PersonalDataErased", "ProcessingRestricted",
                              "RestrictionLifted"})
_DELETE = delete(offender_search).where(offender_search.c.caution_id.in_(bindparam("caution_ids", expanding=True)))


class SearchProjection:
    name = "offender_search"
    tables = (offender_search,)

    def __init__(self, keyring: KeyRing, index: BlindIndex) -> None:
        self.keyring, self.index = keyring, index
        # caution id -> (caution, rows may exist); the projector advances the same Caution object through the
        # caution's later events, so at `prepare` it holds the state after the batch's last event.
        self._pending: dict[UUID, tuple[Caution, bool]] = {}

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        kind = event_name(event)
        if kind == _ISSUED:
            self._pending[event.originator_id] = (caution, False)
        elif kind in _OFFENDER_EVENTS and event.person is Person.OFFENDER:
            known = self._pending.get(event.originator_id)
            self._pending[event.originator_id] = (caution, known[1] if known is not None else True)
        elif event.originator_id in self._pending:
            known = self._pending[event.originator_id]
            self._pending[event.originator_id] = (caution, known[1])

    def prepare(self, session: Session) -> WriteStep:
        pending, self._pending = self._pending, {}
        if not pending:
            return nothing_to_write
        replaced = [str(caution_id) for caution_id, (_, existing) in pending.items() if existing]
        rows = [row for caution, _ in pending.values() for row in self._rows(caution)]

        def write(connection: Connection) -> None:
            if replaced:
                connection.execute(_DELETE, {"caution_ids": replaced})
            insert_rows(connection, offender_search, rows)

        return write

    def _rows(self, caution: Caution) -> list[dict[str, Any]]:
        """The caution's terms now: none while its offender's data is erased or restricted, or once the key is gone."""
        if caution.is_erased(Person.OFFENDER) or caution.is_restricted(Person.OFFENDER):
            return []
        try:
            identity = self.keyring.open(caution.offender.identity_sealed)
        except Erased:
            return []  # destroyed after this state was recorded: a rebuild after an erasure
        except BadSeal:
            # Not a seal this service made (altered in the store): no terms, and the read models go on.
            log.error("caution %s: the offender's identity seal does not open; not searchable", caution.id)
            return []
        terms = self.index.terms(identity["name"], date.fromisoformat(identity["date_of_birth"]))
        caution_id = str(caution.id)
        return [{"caution_id": caution_id, "term": term.value, "force": caution.force, "key_id": term.key_id}
                for term in terms]

    def discard(self) -> None:
        self._pending.clear()

    def clear(self, session: Session) -> None:
        session.execute(delete(offender_search))
