"""Group commit: one writer per process saves every command waiting at that moment in one transaction.

Each commit costs a disk flush (SQLite) or a table lock and round trips (PostgreSQL), and the
event store serialises them anyway. So requests hand their command to this writer and wait; while
one batch commits, the next one gathers. A batch costs one freshness query, one insert of events,
one insert of Idempotency-Key records and one commit, however many commands it carries.

The writer keeps the cautions it last saved. They cannot be trusted blindly, because other
processes (API replicas, the deadline monitor) may write too, so before each batch one query
compares their versions with the store and reloads any that moved. Whatever still races past that
check is caught by the store's unique (caution, version) key: the batch rolls back and every
command in it is run again on its own through `CautionApplication`, exactly as without batching.
A batch holds at most one new caution per police reference and per offender in a force: a second
would fail the batch in the database (references.py), so it waits for the next one, whose check
before the write refuses it there without a transaction.

Batches run on a thread of their own (`GroupCommitWriter`, for PostgreSQL) or on the event loop
(`EventLoopWriter`, for SQLite); `build_writer` chooses. When other clients are writing too, a
batch waits up to 2 ms for their commands before it starts (active_clients.py explains why).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from sqlalchemy import Connection

from shared.database_faults import is_database_unavailable

from .active_clients import ActiveClients
from .application import CautionApplication, StaleVersion
from .domain.caution import Caution
from .driver_sql import InListSelect
from .event_store import events_table
from .idempotency import IdempotencyRecord, IdempotencyStore, KeyReused, Receipt, StoredResponse, replay

log = logging.getLogger("cara.caution.writer")

MAX_BATCH = 64
MAX_WAITING = 10_000
COALESCE_SECONDS = 0.002  # the longest a batch waits for other active clients' commands (active_clients.py)


@dataclass(frozen=True)
class Outcome:
    response: StoredResponse
    replayed: bool = False


@dataclass
class Job:
    """One command request: issue a new caution (`make`) or change one (`command`)."""

    render: Callable[[Caution, int | None], StoredResponse]  # the position is None until the events are stored
    receipt: Receipt | None = None
    make: Callable[[], Caution] | None = None
    caution_id: UUID | None = None
    command: Callable[[Caution], None] | None = None
    expected_version: int | None = None
    future: Future[Outcome] = field(default_factory=Future)
    # An async caller's waiter: woken together with the rest of its batch (one loop wake-up per batch).
    waiter: asyncio.Future[None] | None = None

    @property
    def idempotency_slot(self) -> tuple[str, str] | None:
        return (self.receipt.principal_id, self.receipt.key) if self.receipt else None


class WriterBusy(Exception):
    """More commands are waiting than the writer takes: the caller should come back shortly."""


def answered_before(store: IdempotencyStore, previous: IdempotencyRecord, receipt: Receipt) -> Outcome:
    """The stored answer to a retried request; a key reused for a different request is refused."""
    if not store.same_request(previous, receipt):
        raise KeyReused()
    return Outcome(replay(previous), replayed=True)


class GroupCommitWriter:
    """Batches run on a thread of its own, started on first use."""

    def __init__(self, app: CautionApplication, cache_size: int = 10_000, max_batch: int = MAX_BATCH,
                 clients: ActiveClients | None = None, coalesce_seconds: float = COALESCE_SECONDS) -> None:
        self.app = app
        self.max_batch = max_batch
        self.clients = clients or ActiveClients()
        self.coalesce_seconds = coalesce_seconds
        self._cache_size = cache_size
        self._engine = app.engine
        table = events_table(app)
        self._latest_versions = InListSelect(
            self._engine.dialect, [table.c.originator_id, table.c.originator_version], [table.c.originator_id],
            tail="GROUP BY originator_id", select_list="originator_id, max(originator_version)")
        self._cautions: OrderedDict[UUID, Caution] = OrderedDict()  # touched only where batches run
        self._waiting: queue.Queue[Job | None] = queue.Queue(MAX_WAITING)
        self._carried: list[Job] = []  # jobs that could not share the last batch
        self._finished: list[Job] = []  # answered jobs whose async waiters are still to be woken
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0
        self.commands = 0
        self.fallbacks = 0

    # -- used by request handlers -----------------------------------------------------------

    def submit(self, job: Job) -> Future[Outcome]:
        self._ensure_started()
        try:
            self._waiting.put_nowait(job)
        except queue.Full:
            raise WriterBusy() from None
        return job.future

    def stop(self, timeout: float = 10.0) -> None:
        """Finishes what is waiting, then ends the thread."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._waiting.put(None)
            thread.join(timeout)

    def _ensure_started(self) -> None:
        # Started on first use rather than in a lifespan hook, so an app driven without one still writes.
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="cara-writer", daemon=True)
                    self._thread.start()

    # -- the writer thread --------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False  # kept across passes: carried jobs may need more batches after the stop mark
        while True:
            jobs, saw_stop = self._next_batch()
            stopping = stopping or saw_stop
            if jobs:
                self._process_safely(jobs)
                self._wake_waiters()
            if stopping and not self._carried:
                return

    def _next_batch(self) -> tuple[list[Job], bool]:
        jobs, self._carried = self._carried, []
        stopping = False
        if not jobs:
            first = self._waiting.get()
            if first is None:
                return [], True
            jobs.append(first)
        deadline = None
        while len(jobs) < self.max_batch:
            try:
                job = self._waiting.get_nowait()
            except queue.Empty:
                if not self.coalesce_seconds or len(jobs) >= self.clients.count():
                    break
                # Other clients are writing: wait a moment for their commands, once per batch.
                deadline = deadline or time.monotonic() + self.coalesce_seconds
                try:
                    job = self._waiting.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if job is None:
                stopping = True
                break
            jobs.append(job)
        return jobs, stopping

    def _process_safely(self, jobs: list[Job]) -> None:
        try:
            self._process(jobs)
        except Exception as e:  # never leave a caller waiting forever
            if not is_database_unavailable(e):  # a database fault is logged once, by the 503 each caller gets
                log.exception("batch of %d commands failed", len(jobs))
            for job in jobs:
                if not job.future.done() and job not in self._carried:
                    self._finish(job, error=e)

    def _process(self, jobs: list[Job]) -> None:
        with self._read_connection() as connection:
            jobs = self._answer_replays(jobs, connection)
            self._refresh_cached([j.caution_id for j in jobs if j.caution_id is not None], connection)
        batch: dict[UUID, tuple[Job, Caution]] = {}
        slots: set[tuple[str, str]] = set()
        claimed: set[tuple[str, str, str]] = set()
        for job in jobs:
            # One command per caution and per key in a batch: each response must show the state
            # its own command left, and a repeated key must see the first one's answer.
            if job.caution_id in batch or (job.idempotency_slot and job.idempotency_slot in slots):
                self._carried.append(job)
                continue
            caution = self._apply(job)
            if caution is not None:
                # One new caution per police reference and per offender in a batch: a second would fail the
                # whole batch in the database (references.py); in the next one, its own check refuses it.
                claims = _claims(caution) if job.make is not None else ()
                if claimed.intersection(claims):
                    self.app.keyring.discard_prepared([caution.offender_key, caution.victim_key])
                    self._carried.append(job)
                    continue
                claimed.update(claims)
                batch[caution.id] = (job, caution)
                if job.idempotency_slot:
                    slots.add(job.idempotency_slot)
        if batch:
            self._save(list(batch.values()))

    def _read_connection(self) -> Connection:
        """For the batch's two reads, which need no shared snapshot (the store's unique key backs them up).

        On PostgreSQL, autocommit saves a BEGIN and a ROLLBACK round trip. SQLite's driver starts no
        transaction for a SELECT anyway, and switching its isolation level costs more than the reads
        (about 0.2 ms a batch, measured)."""
        connection = self._engine.connect()
        if self._engine.dialect.name != "sqlite":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection

    def _answer_replays(self, jobs: list[Job], connection: Connection) -> list[Job]:
        slots = [job.idempotency_slot for job in jobs if job.idempotency_slot]
        if not slots:
            return jobs
        found = self.app.idempotency.find_many(slots, connection)
        remaining = []
        for job in jobs:
            previous = found.get(job.idempotency_slot) if job.idempotency_slot else None
            if previous is None or job.receipt is None:
                remaining.append(job)
                continue
            try:
                self._finish(job, answered_before(self.app.idempotency, previous, job.receipt))
            except KeyReused as e:
                self._finish(job, error=e)
        return remaining

    def _refresh_cached(self, caution_ids: list[UUID], connection: Connection) -> None:
        """Forgets cached cautions that someone else has written since the writer saved them."""
        cached = [cid for cid in caution_ids if cid in self._cautions]
        if not cached:
            return
        # UUIDs: the column's own type on SQLite, psycopg's
        latest = dict(self._latest_versions.rows(connection, cached))
        for cid in cached:
            if latest.get(cid) != self._cautions[cid].version:
                del self._cautions[cid]

    def _load(self, caution_id: UUID) -> Caution:
        caution = self._cautions.get(caution_id)
        if caution is None:
            caution = self.app.get_caution(caution_id)
        return caution

    def _apply(self, job: Job) -> Caution | None:
        """Runs the job's command; returns the caution with its new event, or None when refused."""
        try:
            if job.make is not None:
                return job.make()
            assert job.caution_id is not None and job.command is not None
            caution = self._load(job.caution_id)
            if job.expected_version is not None and caution.version != job.expected_version:
                raise StaleVersion(job.expected_version, caution.version)
            before = caution.version
            try:
                job.command(caution)
            except BaseException:
                if caution.version != before:  # half-applied: never reuse it
                    self._cautions.pop(caution.id, None)
                raise
            return caution
        except Exception as e:  # domain refusals become problem responses in the handler
            self._finish(job, error=e)
        return None

    def _save(self, entries: list[tuple[Job, Caution]]) -> None:
        app = self.app
        # Answers are rendered (by each job's route) and sealed before the transaction, with the store
        # position filled in after: on SQLite the first insert takes the database's write lock, and whatever
        # runs after it keeps the other API workers and the projector waiting (it was a third of the time
        # the lock was held, measured).
        try:
            now = app.clock()
            unplaced = [job.render(caution, None) for job, caution in entries]
            batch = [(caution, app.idempotency.row(job.receipt, response, now) if job.receipt is not None else None)
                     for (job, caution), response in zip(entries, unplaced, strict=True)]
            positions = app.record(batch)
        except IntegrityError:
            # Someone else wrote one of these cautions, or used one of these keys, in the meantime.
            self.fallbacks += 1
            for job, caution in entries:
                self._cautions.pop(caution.id, None)
                self._run_alone(job)
            return
        except BaseException:
            for _, caution in entries:
                self._cautions.pop(caution.id, None)
            raise
        for (job, caution), response in zip(entries, unplaced, strict=True):
            self._remember(caution)
            self._finish(job, Outcome(response.at_position(positions[caution.id])))
        self.batches += 1
        self.commands += len(entries)

    def _remember(self, caution: Caution) -> None:
        self._cautions[caution.id] = caution
        self._cautions.move_to_end(caution.id)
        while len(self._cautions) > self._cache_size:
            self._cautions.popitem(last=False)

    def _run_alone(self, job: Job) -> None:
        """The unbatched path: the application's own retries and conflict checks decide."""
        try:
            self._finish(job, run_alone(self.app, job))
        except Exception as e:
            self._finish(job, error=e)

    def _finish(self, job: Job, outcome: Outcome | None = None, error: BaseException | None = None) -> None:
        if error is not None:
            job.future.set_exception(error)
        else:
            assert outcome is not None  # every caller gives an outcome or an error
            job.future.set_result(outcome)
        if job.waiter is not None:
            self._finished.append(job)

    def _wake_waiters(self) -> None:
        """One call into each event loop per batch, instead of one per command."""
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for job in self._finished:
            assert job.waiter is not None
            by_loop.setdefault(job.waiter.get_loop(), []).append(job.waiter)
        self._finished = []
        for loop, waiters in by_loop.items():
            try:
                loop.call_soon_threadsafe(_wake, waiters)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass


class EventLoopWriter(GroupCommitWriter):
    """The same batches, run on the event loop itself: for SQLite, whose calls are short local ones.

    A writer thread hands the GIL back and forth with the event loop at every SQL call, and each
    hand-back can wait out Python's 5 ms switch interval while the loop is busy parsing requests.
    With SQLite a batch's SQL takes well under a millisecond, so doing it on the loop costs less
    than the hand-offs did (about 30% more commands per second here). Commands that arrive while
    one batch runs form the next: the loop answers everything ready before it drains again.
    PostgreSQL waits on network round trips, which would stall the loop, so it keeps the thread.
    """

    def __init__(self, app: CautionApplication, cache_size: int = 10_000, max_batch: int = MAX_BATCH,
                 clients: ActiveClients | None = None, coalesce_seconds: float = COALESCE_SECONDS) -> None:
        super().__init__(app, cache_size, max_batch, clients, coalesce_seconds)
        self._pending: list[Job] = []
        self._scheduled: asyncio.Handle | None = None  # the scheduled batch: soon, or after a short wait

    def submit(self, job: Job) -> Future[Outcome]:
        if job.waiter is None:
            raise TypeError("EventLoopWriter takes commands from coroutines on its event loop (set job.waiter)")
        if len(self._pending) >= MAX_WAITING:
            raise WriterBusy()
        self._pending.append(job)
        loop = job.waiter.get_loop()
        others_coming = self.coalesce_seconds > 0 and len(self._pending) < self.clients.count()
        if self._scheduled is None:
            self._scheduled = (loop.call_later(self.coalesce_seconds, self._run_batches) if others_coming
                           else loop.call_soon(self._run_batches))
        elif not others_coming and isinstance(self._scheduled, asyncio.TimerHandle):
            self._scheduled.cancel()  # every active client has a command waiting: no need to wait on
            self._scheduled = loop.call_soon(self._run_batches)
        return job.future

    def stop(self, timeout: float = 10.0) -> None:
        """Nothing runs in the background: what was submitted is answered by the loop that took it."""

    def _run_batches(self) -> None:
        self._scheduled = None
        waiting, self._pending = self._pending, []
        while waiting or self._carried:
            jobs, self._carried = self._carried, []
            room = self.max_batch - len(jobs)
            jobs, waiting = jobs + waiting[:room], waiting[room:]
            self._process_safely(jobs)
        finished, self._finished = self._finished, []
        _wake([job.waiter for job in finished if job.waiter is not None])


def build_writer(app: CautionApplication, mode: str, cache_size: int, clients: ActiveClients | None = None,
                 coalesce_seconds: float = COALESCE_SECONDS) -> GroupCommitWriter:
    """`auto`: on the event loop for SQLite, a thread of its own for anything reached over a network."""
    dialect = app.engine.dialect.name
    kind = EventLoopWriter if mode == "event-loop" or (mode == "auto" and dialect == "sqlite") else GroupCommitWriter
    return kind(app, cache_size, clients=clients, coalesce_seconds=coalesce_seconds)


def _claims(caution: Caution) -> tuple[tuple[str, str, str], ...]:
    """What a new caution takes in its force, of which the batch may hold one (references.py)."""
    return (("police reference", caution.force, caution.police_reference),
            ("offender", caution.force, caution.offender.reference))


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():  # a caller that went away has cancelled its waiter
            waiter.set_result(None)


def run_alone(app: CautionApplication, job: Job) -> Outcome:
    receipt = job.receipt
    if receipt is not None:
        previous = app.idempotency.find(receipt.principal_id, receipt.key)
        if previous is not None:
            return answered_before(app.idempotency, previous, receipt)
    if job.make is not None:
        saved = app.issue(job.make, receipt)
    else:
        assert job.caution_id is not None and job.command is not None
        saved = app.change(job.caution_id, job.command, expected_version=job.expected_version, receipt=receipt)
    return Outcome(saved.response or job.render(saved.caution, saved.position))
