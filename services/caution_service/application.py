"""The caution service's eventsourcing Application: get the caution, call the domain, save.

Saving happens in one database transaction together with the Idempotency-Key
record, so a retried request can never record its events twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, Recording
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.keyring import DEV_MASTER_KEYS, KeyRing, MasterKeys, person_keys

from .disclosure import PersonalData
from .domain.caution import Caution, event_name
from .domain.eligibility import with_previous_cautions
from .domain.errors import CautionNotFound, NotEligible, SessionNotFound
from .domain.session import WorkshopSession
from .domain.values import Conditions
from .driver_sql import InsertMany
from .event_store import engine_of, recorder_of
from .fingerprint_keys import FingerprintKeys
from .idempotency import IdempotencyStore, Receipt
from .references import CautionReferences, DuplicatePoliceReference, PreviousCautionRecorded
from .search_index import BlindIndex
from .transcodings import register_caution_transcodings
from .vault import VictimVault

MAX_ATTEMPTS = 5


class StaleVersion(Exception):
    """The caller's If-Match no longer names the caution's current version."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, current version is {actual}")
        self.expected, self.actual = expected, actual


class ConcurrentChange(Exception):
    """Other writers kept changing the caution while this command was retried."""


class DuplicateInFlight(Exception):
    """Another request with the same Idempotency-Key was saved first."""


@dataclass(frozen=True)
class Saved:
    caution: Caution
    position: int
    response: Any = None


class CautionApplication(Application[UUID]):
    name = "cautions"
    snapshotting_intervals = {Caution: 20}

    def __init__(
        self,
        env: dict[str, str],
        vault: VictimVault,
        clock: Callable[[], datetime],
        conditions_for: Callable[[str], Conditions] = lambda force: Conditions(),
        masters: MasterKeys | None = None,
    ) -> None:
        super().__init__(env)
        self.vault = vault
        self.clock = clock
        self.conditions_for = conditions_for
        self.saved_listeners: list[Callable[[int], None]] = []
        # Looked up once: both are on every request's path.
        self._recorder, self._engine = recorder_of(self), engine_of(self)
        # Development's master keys when none are given (production refuses them: config.py)
        masters = masters or MasterKeys.parse(DEV_MASTER_KEYS)
        self.idempotency = IdempotencyStore(self.engine, vault, FingerprintKeys(masters))
        self.keyring = KeyRing(self.engine, masters)  # each person's data key (shared/keyring.py)
        self.personal = PersonalData(self.keyring)
        self._insert_keys = InsertMany(self.engine.dialect, list(person_keys.c))
        self.search_index = BlindIndex(masters)  # offender names' keyed terms (search_index.py)
        self.references = CautionReferences(self.engine)  # police references and offenders taken (references.py)

    @property
    def engine(self) -> Engine:
        """The database the event store, the read models and the service's own tables share."""
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: what `save` and the session's own writes do inside it commit together."""
        with self._recorder.transaction() as session:
            yield session

    def record(self, batch: Sequence[tuple[Caution, dict[str, Any] | None]],
               also: Callable[[Session], None] | None = None) -> dict[UUID, int]:
        """The one write path: saves these cautions' new events and each one's Idempotency-Key record (already
        rendered and sealed, or None) in one transaction; returns each caution's new store position.

        The records get their position here, once the events are inserted. Listeners hear of the last
        position after the commit, so a woken reader sees the events. A duplicate (caution, version) or
        key raises IntegrityError and nothing is recorded. `also` writes in
        the same transaction (the retention job's count of what it erased: counted if and only if recorded).

        A caution issued under a police reference its force already holds raises IntegrityError, and one whose
        offender already has a caution in the look-back period PreviousCautionRecorded (an IntegrityError):
        both are checked after the events are inserted, where the check is exact (references.py).
        """
        made, destroyed = key_changes(caution for caution, _ in batch)
        references = self.references.changes(caution for caution, _ in batch)
        try:
            with self.transaction() as session:
                key_rows = self.keyring.prepared_rows(made)
                if key_rows:  # through the driver, as the batch's other inserts: Core costs several times more
                    self._insert_keys.execute(session.connection(), key_rows)
                recordings = self.save(*(caution for caution, _ in batch))
                if references:
                    self.references.record_in(session.connection(), references)
                positions = {recording.domain_event.originator_id: recording.notification.id
                             for recording in recordings}
                rows = []
                for caution, row in batch:
                    if row is not None:
                        row["position"] = positions[caution.id]
                        rows.append(row)
                self.idempotency.insert(session, rows)
                if destroyed:
                    self.keyring.destroy_in(session.connection(), destroyed)
                if also is not None:
                    also(session)
        finally:  # stored with the events, or never to be: a refused or conflicting caution is made anew
            self.keyring.discard_prepared(made)
        last = max(positions.values())
        for listener in self.saved_listeners:
            listener(last)
        return positions

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `save`, collecting a caution's events with a plain class check.

        The library asks `isinstance(obj, <runtime Protocol>)` of each aggregate, which Python 3.11
        answers by walking the protocol's attributes every time: about 20 µs per caution, 2% of an API
        worker's CPU under load. Anything but a caution still goes through the library's own check.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if type(obj) is Caution:
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots a caution from the state in hand when it is the state the snapshot is due at.

        The library's `take_snapshot` reads the caution back from the store and replays it, inside
        the save's transaction: on SQLite that holds the only write lock for a read of up to 20
        events. The caution just saved already is that state, and a snapshot is its attributes as
        they are transcoded (a test checks the two give the same stored snapshot). A save whose due
        snapshot is not its last event goes the library's way.
        """
        interval = self.snapshotting_intervals.get(Caution)
        if self.snapshots is None or interval is None:
            return
        for event in processing_event.events:
            caution = processing_event.aggregates.get(event.originator_id)
            if event.originator_version % interval or type(caution) is not Caution:
                continue
            if caution.version == event.originator_version:
                self.snapshots.put([Caution.Snapshot.take(caution)])
            else:
                self.take_snapshot(caution.id, version=event.originator_version)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_caution_transcodings(transcoder)

    def get_caution(self, caution_id: UUID) -> Caution:
        try:
            found: Caution = self.repository.get(caution_id)
        except AggregateNotFoundError:
            raise CautionNotFound(caution_id) from None
        if type(found) is not Caution:  # the store holds workshop sessions too: to a caution route, no such caution
            raise CautionNotFound(caution_id)
        return found

    def get_session(self, session_id: UUID, force: str) -> WorkshopSession:
        """The force's workshop session; SessionNotFound for any other id (a caution's, another force's session)."""
        try:
            found: Any = self.repository.get(session_id)
        except AggregateNotFoundError:
            raise SessionNotFound(session_id) from None
        if not isinstance(found, WorkshopSession) or found.force != force:
            raise SessionNotFound(session_id)
        return found

    def record_together(self, aggregates: Sequence[WorkshopSession | Caution], row: dict[str, Any] | None) -> int:
        """Saves sessions' and cautions' new events and the Idempotency-Key record (or None) in one transaction;
        returns the store position of the last event, which the record keeps as the answer's position.

        A session command never issues, withdraws or erases, so none of `record`'s reference and key bookkeeping
        applies. Another writer's event at a version these take raises IntegrityError and nothing is recorded:
        the group-commit writer's cached cautions are checked against the store before each batch, so it sees
        what was written here (writer.py)."""
        with self.transaction() as session:
            recordings = self.save(*aggregates)
            position = max(recording.notification.id for recording in recordings)
            if row is not None:
                row["position"] = position
                self.idempotency.insert(session, [row])
        for listener in self.saved_listeners:
            listener(position)
        return position

    def issue(self, make: Callable[[], Caution], receipt: Receipt | None = None) -> Saved:
        """A conflict found in the transaction is answered as the check before it would have answered, had the
        other caution been recorded first: the previous-disposal rule fails, or the police reference is taken."""
        caution = make()
        try:
            return self._save(caution, receipt)
        except PreviousCautionRecorded as e:
            raise NotEligible(with_previous_cautions([], list(e.found))) from None
        except IntegrityError:
            if receipt is not None and self.idempotency.find(receipt.principal_id, receipt.key):
                raise DuplicateInFlight() from None
            holder = self.references.holder(caution.force, caution.police_reference)
            if holder is not None and holder.caution_id != caution.id:
                raise DuplicatePoliceReference(holder) from None
            raise DuplicateInFlight() from None

    def change(
        self,
        caution_id: UUID,
        command: Callable[[Caution], None],
        *,
        expected_version: int | None = None,
        receipt: Receipt | None = None,
        also: Callable[[Session], None] | None = None,
    ) -> Saved:
        for _ in range(MAX_ATTEMPTS):
            caution = self.get_caution(caution_id)
            if expected_version is not None and caution.version != expected_version:
                raise StaleVersion(expected_version, caution.version)
            command(caution)
            try:
                return self._save(caution, receipt, also)
            except IntegrityError:
                if receipt and self.idempotency.find(receipt.principal_id, receipt.key):
                    raise DuplicateInFlight() from None
                if expected_version is not None:
                    raise StaleVersion(expected_version, self.get_caution(caution_id).version) from None
        raise ConcurrentChange()

    def _save(self, caution: Caution, receipt: Receipt | None, also: Callable[[Session], None] | None = None) -> Saved:
        # The answer is rendered and sealed before the transaction: on SQLite its first insert takes
        # the database's write lock, and whatever runs after that keeps every other writer waiting.
        response = row = None
        if receipt is not None:
            response = receipt.render(caution, None)
            row = self.idempotency.row(receipt, response, self.clock())
        position = self.record([(caution, row)], also)[caution.id]
        return Saved(caution, position, response.at_position(position) if response is not None else None)


def key_changes(cautions: Iterable[Caution]) -> tuple[list[str], list[str]]:
    """The data keys these cautions' new events first seal under, and those their erasures destroy.

    Both are written in the transaction that records the events: a key exists exactly while a recorded
    event may need it, and an erasure is recorded if and only if the key is gone."""
    made, destroyed = [], []
    for caution in cautions:
        for pending in caution.pending_events:
            name = event_name(pending)
            if name == "CautionIssued":
                made += [caution.offender_key, caution.victim_key]
            elif name == "PersonalDataErased":
                destroyed.append(vars(pending)["key_id"])  # a field of the event its @event mutator declares
    return made, destroyed
