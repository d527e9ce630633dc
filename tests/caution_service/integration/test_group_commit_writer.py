"""The group-commit writer on a real database (SQLite file and PostgreSQL): batching, carrying, replays,
refusals, stale caches, the fallback, stop(), and whole lifecycles sent concurrently over HTTP.

How a batch is made deterministic: `hold_writer` submits a job whose `make` blocks the writer thread
inside a batch of its own (the job is then refused, so it records nothing and moves no counter). Jobs
submitted meanwhile wait on the queue; once released, the writer drains every one of them into its
next batch. So each test knows exactly which jobs shared a batch, and the writer runs exactly as in
production (its own thread, its own carrying), without the test calling its private methods.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from bench.workload import STEPS, issue_time, new_caution
from services.caution_service.active_clients import ActiveClients, TrackWritingClients
from services.caution_service.api.execution import etag
from services.caution_service.application import CautionApplication, CautionNotFound, StaleVersion
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, NotEligible
from services.caution_service.domain.values import ContactStage, RecordedBy, Workshop
from services.caution_service.event_store import engine_of
from services.caution_service.idempotency import IdempotencyRecord, KeyReused, Receipt, StoredResponse
from services.caution_service.main import create_app
from services.caution_service.vault import VaultKeyMismatch
from services.caution_service.writer import EventLoopWriter, GroupCommitWriter, Job, Outcome, build_writer
from tests.caution_service.unit.builders import A_DAY, attend_a, book, contact, issue_kwargs, miss, offender, vary
from tests.support import T0, FakeClock, app_state, auth, caution_payload

CALLER = "CAMBS/provider/prov-7"
WAIT = 10.0  # seconds any single wait may take before the test fails instead of hanging

# ----- jobs ---------------------------------------------------------------------------------------


def render(caution: Caution, position: int | None) -> StoredResponse:
    """What the routes render, reduced to what these tests check: id, version, position and ETag."""
    return StoredResponse(200, {"id": str(caution.id), "version": caution.version, "position": position},
                          {"ETag": etag(caution.version)})


def _receipt(key: str | None, fingerprint: str) -> Receipt | None:
    return Receipt(CALLER, key, fingerprint, render) if key else None


def change(caution_id: UUID, command: Callable[[Caution], None], *, key: str | None = None,
           fingerprint: str = "fp", expected_version: int | None = None) -> Job:
    return Job(render, _receipt(key, fingerprint), caution_id=caution_id, command=command,
               expected_version=expected_version)


def issuing(key: str | None = None, fingerprint: str = "fp", **overrides: Any) -> Job:
    return Job(render, _receipt(key, fingerprint), make=lambda: Caution.issue(**issue_kwargs(**overrides)))


def schedule_a(c: Caution) -> None:
    book(c, Workshop.A, A_DAY, on=1)


def reschedule_a(c: Caution) -> None:
    book(c, Workshop.A, A_DAY + 2, on=2, reason="offender's shift changed")


def attend(c: Caution) -> None:
    attend_a(c, A_DAY)


def miss_a(c: Caution) -> None:
    miss(c, Workshop.A, A_DAY)


def contact_after_a(c: Caution) -> None:
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 2)


def extend_period(c: Caution) -> None:
    vary(c, T0.date() + timedelta(days=130), 3)


def in_force(force: str, command: Callable[[Caution], None]) -> Callable[[Caution], None]:
    """As the routes wrap every command: another force's caution is reported as not found."""
    def run(c: Caution) -> None:
        if c.force != force:
            raise CautionNotFound(c.id)
        command(c)
    return run


# ----- batching -----------------------------------------------------------------------------------


class Held(Exception):
    """How the holding job ends: refused, so it saves nothing and moves no counter."""


def hold_writer(writer: GroupCommitWriter) -> threading.Event:
    """Blocks the writer thread inside a batch of its own until the returned event is set."""
    entered, release = threading.Event(), threading.Event()

    def hold() -> Caution:
        entered.set()
        release.wait(WAIT)
        raise Held()

    writer.submit(Job(render, make=hold))
    assert entered.wait(WAIT), "the writer thread never picked up the holding job"
    return release


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def one_batch(writer: GroupCommitWriter, jobs: list[Job]) -> list[Future[Outcome]]:
    """Submits `jobs` so that the writer takes them all into one batch; waits until every one is answered."""
    release = hold_writer(writer)
    futures = [writer.submit(job) for job in jobs]
    assert writer._waiting.qsize() == len(jobs)  # all queued behind the held batch
    release.set()
    for future in futures:
        future.exception(timeout=WAIT)  # waits; the test looks at the outcome itself
    return futures


def through_writer(writer: GroupCommitWriter, job: Job) -> Outcome:
    return writer.submit(job).result(timeout=WAIT)


def body_of(outcome: Outcome) -> dict[str, Any]:
    return outcome.response.body


def refused_with(future: Future[Outcome], error: type[BaseException]) -> Any:
    exc = future.exception(timeout=WAIT)
    assert isinstance(exc, error), f"expected {error.__name__}, got {exc!r}"
    return exc


def body(future: Future[Outcome]) -> dict[str, Any]:
    outcome = future.result(timeout=WAIT)
    assert outcome.response.headers["ETag"] == etag(outcome.response.body["version"])
    return outcome.response.body


# ----- the store ----------------------------------------------------------------------------------


def stored(app: CautionApplication, caution_id: UUID | str | None = None) -> list[Any]:
    notifications = list(app.recorder.select_notifications(start=1, limit=100_000))
    if caution_id is not None:
        notifications = [n for n in notifications if str(n.originator_id) == str(caution_id)]
    return notifications


def names(app: CautionApplication, caution_id: UUID | str) -> list[str]:
    return [n.topic.rsplit(".", 1)[-1] for n in stored(app, caution_id)]


def versions(app: CautionApplication, caution_id: UUID | str) -> list[int]:
    return [n.originator_version for n in stored(app, caution_id)]


def last_position(app: CautionApplication) -> int:
    return app.recorder.max_notification_id() or 0


def assert_position_is_the_event(app: CautionApplication, answer: dict[str, Any]) -> None:
    """The position answered is the notification id of exactly the event that produced this version."""
    at_position = [n for n in stored(app) if n.id == answer["position"]]
    assert len(at_position) == 1, answer
    assert (str(at_position[0].originator_id), at_position[0].originator_version) == (answer["id"], answer["version"])


def idempotency_keys(app: CautionApplication) -> list[tuple[str, str]]:
    with Session(engine_of(app)) as session:
        return sorted(session.execute(select(IdempotencyRecord.principal_id, IdempotencyRecord.key)).tuples())


class Commits:
    """Counts transactions committed on the application's engine while in use."""

    def __init__(self, app: CautionApplication) -> None:
        self.engine, self.count = engine_of(app), 0

    def _committed(self, connection: Any) -> None:
        self.count += 1

    def __enter__(self) -> Commits:
        event.listen(self.engine, "commit", self._committed)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "commit", self._committed)


def issue(app: CautionApplication) -> UUID:
    """A caution saved without the writer (so the writer has not cached it)."""
    return app.issue(lambda: Caution.issue(**issue_kwargs())).caution.id


@pytest.fixture
def writer(app: CautionApplication) -> Iterator[GroupCommitWriter]:
    w = GroupCommitWriter(app)
    yield w
    w.stop(timeout=2)


# ----- 1. one batch, one transaction ----------------------------------------------------------------


def test_commands_on_different_cautions_are_saved_in_one_transaction(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    ids = [issue(app) for _ in range(4)]
    before = last_position(app)

    with Commits(app) as commits:
        futures = one_batch(writer, [change(cid, schedule_a) for cid in ids] + [issuing()])

    answers = [body(f) for f in futures]
    assert commits.count == 1
    # saved together, in submission order, at consecutive positions
    assert [a["position"] for a in answers] == list(range(before + 1, before + 6))
    assert [a["id"] for a in answers[:4]] == [str(cid) for cid in ids]
    assert [a["version"] for a in answers] == [2, 2, 2, 2, 1]
    assert not any(f.result().replayed for f in futures)
    for answer in answers:
        assert_position_is_the_event(app, answer)
    for cid in ids:
        assert names(app, cid) == ["Issued", "WorkshopScheduled"]
    assert names(app, answers[4]["id"]) == ["Issued"]
    assert (writer.batches, writer.commands, writer.fallbacks) == (1, 5, 0)


# ----- 2. a second command on the same caution waits for the next batch --------------------------------


def test_a_second_command_on_a_caution_is_carried_and_sees_the_first(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    x, y = issue(app), issue(app)
    before = last_position(app)

    scheduled, attended, other = one_batch(writer, [change(x, schedule_a), change(x, attend), change(y, schedule_a)])

    # attending needs the booking: the carried command ran on the state the first one left
    assert body(scheduled)["version"] == 2
    assert body(attended)["version"] == 3
    assert body(other)["version"] == 2
    # the carried one was saved after the rest of its batch, in a batch of its own
    assert [body(f)["position"] for f in (scheduled, other, attended)] == [before + 1, before + 2, before + 3]
    assert names(app, x) == ["Issued", "WorkshopScheduled", "WorkshopAAttended"]
    assert (writer.batches, writer.commands) == (2, 3)


def test_two_commands_with_the_same_if_match_the_second_is_stale(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    x = issue(app)

    first, second = one_batch(writer, [change(x, schedule_a, expected_version=1),
                                       change(x, reschedule_a, expected_version=1)])

    assert body(first)["version"] == 2
    stale = refused_with(second, StaleVersion)
    assert (stale.expected, stale.actual) == (1, 2)
    assert names(app, x) == ["Issued", "WorkshopScheduled"]
    assert (writer.batches, writer.commands) == (1, 1)


# ----- 3. the same Idempotency-Key twice in one batch -------------------------------------------------


def test_the_same_key_twice_in_a_batch_records_once_and_replays(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    x = issue(app)
    issued_before = names(app, x).count("Issued")

    first, retry, reused, issued, issued_retry = one_batch(writer, [
        change(x, schedule_a, key="schedule-a"),
        change(x, schedule_a, key="schedule-a"),
        change(x, reschedule_a, key="schedule-a", fingerprint="a different request"),
        issuing(key="issue-1"),
        issuing(key="issue-1"),
    ])

    assert not first.result().replayed
    assert retry.result().replayed and retry.result().response == first.result().response
    refused_with(reused, KeyReused)  # the route answers it as 422 idempotency-key-reused (test_http_idempotency)
    assert not issued.result().replayed
    assert issued_retry.result().replayed and body(issued_retry) == body(issued)
    # one event for each key, and one record for each key
    assert names(app, x) == ["Issued", "WorkshopScheduled"]
    assert sum(1 for n in stored(app) if n.originator_version == 1) == issued_before + 1
    assert idempotency_keys(app) == [(CALLER, "issue-1"), (CALLER, "schedule-a")]
    assert (writer.batches, writer.commands) == (1, 2)


# ----- 4. refusals do not stop the rest of the batch --------------------------------------------------


def test_refused_commands_leave_no_event_and_do_not_stop_the_batch(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    a, b, c, d, e = (issue(app) for _ in range(5))
    before = last_position(app)

    futures = one_batch(writer, [
        change(a, schedule_a, key="ok-a"),
        change(b, attend, key="refused-b"),               # not booked: a domain refusal
        change(b, schedule_a, key="ok-b"),                # the refused one left b untouched, so b goes in this batch
        change(c, in_force("ESSEX", schedule_a), key="refused-c"),  # another force's caution
        change(d, schedule_a, key="refused-d", expected_version=7),  # stale If-Match
        change(uuid4(), schedule_a, key="refused-missing"),
        issuing(key="refused-issue", identity=offender(date_of_birth=date(2015, 1, 1))),  # not eligible
        change(e, schedule_a, key="ok-e"),
    ])
    ok_a, refused_b, ok_b, refused_c, refused_d, missing, refused_issue, ok_e = futures

    assert refused_with(refused_b, ConflictsWithState).rule == "workshop_not_booked"
    refused_with(refused_c, CautionNotFound)
    assert refused_with(refused_d, StaleVersion).actual == 1
    refused_with(missing, CautionNotFound)
    refused_with(refused_issue, NotEligible)
    assert [body(f)["position"] for f in (ok_a, ok_b, ok_e)] == [before + 1, before + 2, before + 3]
    assert last_position(app) == before + 3
    for cid in (a, b, e):
        assert names(app, cid) == ["Issued", "WorkshopScheduled"]
    for cid in (c, d):
        assert names(app, cid) == ["Issued"]
    assert idempotency_keys(app) == [(CALLER, "ok-a"), (CALLER, "ok-b"), (CALLER, "ok-e")]
    assert (writer.batches, writer.commands) == (1, 3)


# ----- 5. the cache is checked against the store before each batch -------------------------------------


def test_a_caution_written_elsewhere_is_reloaded_before_the_batch(
    app: CautionApplication, writer: GroupCommitWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = UUID(body_of(through_writer(writer, issuing()))["id"])  # the writer now holds x and y
    y = UUID(body_of(through_writer(writer, issuing()))["id"])
    app.change(x, schedule_a)  # as the deadline monitor (or another replica) would: not through the writer
    loaded: list[UUID] = []
    get_caution = app.get_caution

    def loading(cid: UUID) -> Caution:
        loaded.append(cid)
        return get_caution(cid)

    monkeypatch.setattr(app, "get_caution", loading)

    attended, other = one_batch(writer, [change(x, attend), change(y, schedule_a)])

    # with the stale cached x (not booked) attending would have been refused
    assert body(attended)["version"] == 3
    assert body(other)["version"] == 2
    assert loaded == [x]  # only the caution that moved was read again; y came from the cache
    assert names(app, x) == ["Issued", "WorkshopScheduled", "WorkshopAAttended"]
    assert versions(app, x) == [1, 2, 3]
    assert writer.fallbacks == 0


# ----- 6. a write that races past the freshness check ----------------------------------------------------


def test_writes_racing_past_the_refresh_make_the_batch_fall_back(
    app: CautionApplication, writer: GroupCommitWriter, open_app: Callable[[], CautionApplication],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another replica writes two cautions between the writer's freshness check and its save: x in a way
    that still lets the writer's command on x succeed; z by recording workshop A as missed, while the
    writer records it as attended. The store's unique key stops the batch; every job then runs alone."""
    x, z = (UUID(body_of(through_writer(writer, issuing()))["id"]) for _ in range(2))
    for cid in (x, z):
        through_writer(writer, change(cid, schedule_a))  # both cached at version 2
    y = UUID(body_of(through_writer(writer, issuing()))["id"])
    replica = open_app()
    raced: list[int] = []
    refresh = writer._refresh_cached

    def refresh_then_race(caution_ids: list[UUID], session: Connection) -> None:
        refresh(caution_ids, session)
        if x in caution_ids and not raced:  # only the first batch that carries x races

            def other_replica() -> None:  # its own thread, as its own process would be: no shared transaction
                raced.append(replica.change(x, extend_period).caution.version)
                raced.append(replica.change(z, miss_a).caution.version)

            racer = threading.Thread(target=other_replica)
            racer.start()
            racer.join()

    monkeypatch.setattr(writer, "_refresh_cached", refresh_then_race)
    batches, commands = writer.batches, writer.commands

    attended_x, attended_z, other, issued, contacted_x, contacted_z = one_batch(writer, [
        change(x, attend, key="attend-x"),
        change(z, attend, key="attend-z"),
        change(y, schedule_a, key="schedule-y"),
        issuing(key="issue"),
        change(x, contact_after_a, key="contact-x"),  # carried: run after the fallback, batched again
        change(z, contact_after_a, key="contact-z"),  # carried too
    ])

    assert raced == [3, 3]
    # z was missed meanwhile: both commands on z are refused, as they would be without batching
    assert refused_with(attended_z, ConflictsWithState).rule == "excuse_decision_pending"
    assert refused_with(contacted_z, ConflictsWithState).rule == "victim_contact_after_workshop_a"
    answered = (attended_x, other, issued, contacted_x)
    assert [body(f)["version"] for f in answered] == [4, 2, 1, 5]
    for future in answered:
        assert not future.result().replayed
        assert_position_is_the_event(app, body(future))
    assert names(app, x) == ["Issued", "WorkshopScheduled", "ConditionsVaried", "WorkshopAAttended", "VictimContacted"]
    assert names(app, z) == ["Issued", "WorkshopScheduled", "WorkshopMissed"]
    assert versions(app, x) == [1, 2, 3, 4, 5] and versions(app, z) == [1, 2, 3]
    assert names(app, y) == ["Issued", "WorkshopScheduled"]
    assert names(app, body(issued)["id"]) == ["Issued"]
    assert idempotency_keys(app) == [(CALLER, k) for k in ("attend-x", "contact-x", "issue", "schedule-y")]
    # z's cached copy, attended by the writer but never saved, has the same version (3) as the store's
    # missed z, so the freshness check cannot tell them apart: the fallback itself must have dropped it
    assert writer.fallbacks == 1
    # the fallen-back batch is not counted; the carried commands went through a normal batch
    assert (writer.batches, writer.commands) == (batches + 1, commands + 1)
    # and the record kept for a key answers a retry with the fallback's result
    retry = through_writer(writer, change(x, attend, key="attend-x"))
    assert retry.replayed and retry.response == attended_x.result().response


# ----- 7. a command that fails half-way does not poison the cache ------------------------------------


@pytest.mark.parametrize("same_batch", [True, False], ids=["same-batch", "next-batch"])
def test_a_command_that_raises_after_changing_the_caution_leaves_the_stored_state(
    app: CautionApplication, writer: GroupCommitWriter, same_batch: bool
) -> None:
    x = UUID(body_of(through_writer(writer, issuing()))["id"])
    through_writer(writer, change(x, schedule_a))  # cached at version 2

    def attend_then_fail(c: Caution) -> None:
        attend(c)  # a real event is now pending on the cached caution
        raise RuntimeError("the register went away")

    if same_batch:  # the failed job is not in the batch, so the next one on x runs in the same batch
        failed, attended = one_batch(writer, [change(x, attend_then_fail), change(x, attend)])
    else:
        failed, = one_batch(writer, [change(x, attend_then_fail)])
        attended, = one_batch(writer, [change(x, attend)])
    contacted = writer.submit(change(x, contact_after_a))

    refused_with(failed, RuntimeError)
    # with the half-changed caution reused, attending again would be refused (already attended) or saved twice
    assert body(attended)["version"] == 3
    assert body(contacted)["version"] == 4
    assert names(app, x) == ["Issued", "WorkshopScheduled", "WorkshopAAttended", "VictimContacted"]
    assert versions(app, x) == [1, 2, 3, 4]
    assert writer.fallbacks == 0


def test_an_answer_that_cannot_be_rendered_saves_nothing_and_leaves_no_pending_event_behind(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    """Answers are rendered before the batch's transaction; one that fails (say the vault key no longer
    opens a caution's victim details) must fail its whole batch as a failed save would, and the cautions
    the batch changed in memory must not carry their unsaved events into the next batch."""
    x = UUID(body_of(through_writer(writer, issuing()))["id"])
    y = UUID(body_of(through_writer(writer, issuing()))["id"])  # both cached at version 1

    def unrenderable(caution: Caution, position: int | None) -> StoredResponse:
        raise VaultKeyMismatch("Victim details cannot be opened with the configured key.")

    broken = Job(unrenderable, _receipt("broken", "fp"), caution_id=x, command=schedule_a)
    failed, other = one_batch(writer, [broken, change(y, schedule_a, key="other")])

    refused_with(failed, VaultKeyMismatch)
    refused_with(other, VaultKeyMismatch)
    assert names(app, x) == names(app, y) == ["Issued"]
    again_x, again_y = one_batch(writer, [change(x, schedule_a, key="again-x"), change(y, schedule_a, key="again-y")])
    assert body(again_x)["version"] == body(again_y)["version"] == 2
    assert names(app, x) == names(app, y) == ["Issued", "WorkshopScheduled"]
    assert idempotency_keys(app) == [(CALLER, "again-x"), (CALLER, "again-y")]


# ----- an unexpected failure of a whole batch ---------------------------------------------------------


def test_a_batch_that_fails_unexpectedly_answers_each_job_as_the_store_shows_it(
    app: CautionApplication, writer: GroupCommitWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database connection drops in the middle of a batch. Each caller's answer must agree with the
    store: an error and no event, or its result and its event. In particular a command carried out of the
    failed batch must not be told it failed and then be run anyway."""
    x, y = issue(app), issue(app)
    save = app.save
    failures = iter([OperationalError("connection lost")])

    def save_once_failing(*cautions: Any) -> Any:
        for failure in failures:
            raise failure
        return save(*cautions)

    monkeypatch.setattr(app, "save", save_once_failing)

    futures = one_batch(writer, [change(y, schedule_a), change(x, schedule_a), change(x, extend_period)])
    assert not through_writer(writer, issuing()).replayed  # and the writer still works afterwards

    expected = ("WorkshopScheduled", "WorkshopScheduled", "ConditionsVaried")
    for future, cid, event_name in zip(futures, (y, x, x), expected, strict=True):
        failed = future.exception(timeout=WAIT) is not None
        assert failed == (event_name not in names(app, cid)), (future.exception(), names(app, cid))


# ----- 8. stop -------------------------------------------------------------------------------------------


def _stop_while_jobs_wait(writer: GroupCommitWriter, jobs: list[Job]) -> tuple[list[Future[Outcome]], threading.Thread]:
    """Queues `jobs` behind a held batch, asks the writer to stop, then lets it go; returns when stop() returns."""
    release = hold_writer(writer)
    thread = writer._thread
    assert thread is not None
    futures = [writer.submit(job) for job in jobs]
    stopping = threading.Thread(target=writer.stop, kwargs={"timeout": 3})
    stopping.start()
    wait_until(lambda: writer._waiting.qsize() == len(jobs) + 1, "stop() queued its end marker behind the jobs")
    release.set()
    stopping.join(WAIT)
    return futures, thread


def test_stop_finishes_the_waiting_jobs_then_ends_the_thread(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    ids = [issue(app) for _ in range(3)]

    futures, thread = _stop_while_jobs_wait(writer, [change(cid, schedule_a) for cid in ids])

    assert all(f.done() for f in futures)
    assert [body(f)["version"] for f in futures] == [2, 2, 2]
    assert not thread.is_alive()
    for cid in ids:
        assert names(app, cid) == ["Issued", "WorkshopScheduled"]


def test_stop_also_finishes_a_job_carried_to_a_later_batch_then_ends_the_thread(
    app: CautionApplication, writer: GroupCommitWriter
) -> None:
    x, y = issue(app), issue(app)

    futures, thread = _stop_while_jobs_wait(writer, [change(x, schedule_a), change(y, schedule_a), change(x, attend)])

    assert all(f.done() for f in futures)
    assert [body(f)["version"] for f in futures] == [2, 2, 3]
    assert names(app, x) == ["Issued", "WorkshopScheduled", "WorkshopAAttended"]
    assert not thread.is_alive(), "the writer thread outlived stop(): it waits on the queue for ever"


# ----- 9. whole lifecycles over HTTP, sent concurrently --------------------------------------------------

THREADS = 16


@pytest.fixture
def http_client(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """The writer thread (the default for PostgreSQL), chosen on both databases: this test holds it."""
    settings = Settings(environment="test", database_url=database_url, writer="thread")
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def expected_lifecycle_events(issued: Any, now: Any) -> list[str]:
    """The events the bench's steps produce, worked out by the domain alone (no service, no writer)."""
    caution = new_caution(issued, now, 0)
    stamp = {"recorded_at": now, "recorded_by": RecordedBy("oracle", "provider", "CAMBS")}
    for step in STEPS:
        step.apply(caution, issued, stamp)
    return [type(e).__name__ for e in caution.pending_events]


def test_concurrent_lifecycles_over_http_record_exactly_their_events_in_shared_batches(
    http_client: TestClient, clock: FakeClock
) -> None:
    client, app = http_client, app_state(http_client).cautions
    writer: GroupCommitWriter = app_state(http_client).writer
    issued = issue_time(clock.now)
    expected = expected_lifecycle_events(issued, clock.now)
    assert len(expected) == len(STEPS) + 1
    headers = {role: auth(role, subject=f"{role}-1") for role in ("police", "provider", "victim_contact")}

    # Batching must not depend on timing: the writer is held until every thread's POST /v1/cautions is
    # waiting, so those 16 are certainly saved in one batch; the later steps batch as they happen to meet.
    release = hold_writer(writer)
    all_waiting = threading.Event()

    def release_when_all_waiting() -> None:
        deadline = time.monotonic() + WAIT
        while writer._waiting.qsize() < THREADS and time.monotonic() < deadline:
            time.sleep(0.002)
        if writer._waiting.qsize() >= THREADS:
            all_waiting.set()
        release.set()

    releaser = threading.Thread(target=release_when_all_waiting)
    releaser.start()

    def lifecycle(i: int) -> tuple[str, list[dict[str, Any]]]:
        created = client.post("/v1/cautions", json=caution_payload(occurred_at=issued),
                              headers={**headers["police"], "Idempotency-Key": f"issue-{i}"})
        assert created.status_code == 201, created.text
        answers = [created.json()]
        cid = answers[0]["id"]
        for step in STEPS:
            response = client.post(f"/v1/cautions/{cid}/{step.path}", json=step.body(issued),
                                   headers={**headers[step.role], "Idempotency-Key": f"{i}-{step.name}"})
            assert response.status_code == 200, (step.name, response.text)
            assert response.headers["etag"] == etag(response.json()["version"])
            answers.append(response.json())
        return cid, answers

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lifecycle, range(THREADS)))
    releaser.join()

    assert all_waiting.is_set(), "the 16 issue commands never all waited for the writer"
    assert len({cid for cid, _ in results}) == THREADS
    for cid, answers in results:
        assert names(app, cid) == expected
        assert versions(app, cid) == list(range(1, len(expected) + 1))
        assert [a["version"] for a in answers] == list(range(1, len(expected) + 1))
        for answer in answers:
            assert_position_is_the_event(app, answer)
    assert len(stored(app)) == THREADS * len(expected)
    assert writer.commands == THREADS * len(expected)
    assert writer.fallbacks == 0
    assert writer.batches <= writer.commands - (THREADS - 1)  # at least the 16 issues shared one batch
    # a retry of any step replays its recorded answer
    cid, answers = results[0]
    step = STEPS[3]
    retry = client.post(f"/v1/cautions/{cid}/{step.path}", json=step.body(issued),
                        headers={**headers[step.role], "Idempotency-Key": f"0-{step.name}"})
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.json() == answers[4]


# ----- the event-loop writer (the default for SQLite): the same batches, run by the loop itself ----


def test_sqlite_gets_the_event_loop_writer_and_postgresql_the_thread(
    app: CautionApplication, database_url: str
) -> None:
    writer = build_writer(app, "auto", 100)
    expected = EventLoopWriter if database_url.startswith("sqlite") else GroupCommitWriter
    assert type(writer) is expected
    assert type(build_writer(app, "thread", 100)) is GroupCommitWriter
    assert type(build_writer(app, "event-loop", 100)) is EventLoopWriter


def test_the_event_loop_writer_saves_what_one_loop_turn_submitted_as_one_batch(app: CautionApplication) -> None:
    x, y = issue(app), issue(app)
    writer = EventLoopWriter(app)

    async def submit_together(jobs: list[Job]) -> list[Outcome | BaseException]:
        loop = asyncio.get_running_loop()
        for job in jobs:  # no await in between: all are waiting before the loop drains
            job.waiter = loop.create_future()
            writer.submit(job)
        await asyncio.gather(*(job.waiter for job in jobs if job.waiter is not None))
        return [job.future.exception() or job.future.result() for job in jobs]

    jobs = [issuing(key="new"), change(x, schedule_a, key="x-1"), change(y, schedule_a),
            change(x, attend, key="x-2"),  # x again: carried into a second batch of the same drain
            change(y, attend, expected_version=1)]  # stale once y's schedule is saved
    answers = asyncio.run(submit_together(jobs))

    issued, scheduled_x, scheduled_y, attended_x, stale = answers
    assert isinstance(issued, Outcome) and body_of(issued)["version"] == 1
    changed = [a for a in (scheduled_x, scheduled_y, attended_x) if isinstance(a, Outcome)]
    assert [body_of(a)["version"] for a in changed] == [2, 2, 3]
    assert isinstance(stale, StaleVersion) and (stale.expected, stale.actual) == (1, 2)
    assert (writer.batches, writer.commands, writer.fallbacks) == (2, 4, 0)
    assert versions(app, x) == [1, 2, 3] and versions(app, y) == [1, 2]


def test_the_event_loop_writer_takes_commands_only_from_its_loop(app: CautionApplication) -> None:
    with pytest.raises(TypeError, match="waiter"):
        EventLoopWriter(app).submit(change(issue(app), schedule_a))


def test_concurrent_lifecycles_over_http_with_the_event_loop_writer(database_url: str, clock: FakeClock) -> None:
    settings = Settings(environment="test", database_url=database_url, writer="event-loop")
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        app, writer = app_state(client).cautions, app_state(client).writer
        assert type(writer) is EventLoopWriter
        issued = issue_time(clock.now)
        expected = expected_lifecycle_events(issued, clock.now)
        headers = {role: auth(role, subject=f"{role}-1") for role in ("police", "provider", "victim_contact")}

        def lifecycle(i: int) -> str:
            created = client.post("/v1/cautions", json=caution_payload(occurred_at=issued),
                                  headers={**headers["police"], "Idempotency-Key": f"issue-{i}"})
            assert created.status_code == 201, created.text
            cid, etag_ = created.json()["id"], created.headers["etag"]
            for step in STEPS:
                response = client.post(f"/v1/cautions/{cid}/{step.path}", json=step.body(issued),
                                       headers={**headers[step.role], "Idempotency-Key": f"{i}-{step.name}",
                                                "If-Match": etag_})
                assert response.status_code == 200, (step.name, response.text)
                assert_position_is_the_event(app, response.json())
                etag_ = response.headers["etag"]
            return cid

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            cautions = list(pool.map(lifecycle, range(THREADS)))
        for cid in cautions:
            assert names(app, cid) == expected
            assert versions(app, cid) == list(range(1, len(expected) + 1))
        assert writer.commands == THREADS * len(expected) and writer.fallbacks == 0


# ----- 8. waiting for other writing clients (active_clients.py) ---------------------------------------


def _clients(n: int) -> ActiveClients:
    clients = ActiveClients(window=60)
    for port in range(n):
        clients.saw(("10.0.0.1", 40000 + port))
    return clients


async def _submit_spaced(writer: GroupCommitWriter, jobs: list[Job], gap: float) -> list[Outcome]:
    """One job every `gap` seconds, as clients whose requests arrive a little apart."""
    loop = asyncio.get_running_loop()
    for i, job in enumerate(jobs):
        if i:
            await asyncio.sleep(gap)
        job.waiter = loop.create_future()
        writer.submit(job)
    await asyncio.gather(*(job.waiter for job in jobs if job.waiter is not None))
    return [job.future.result() for job in jobs]


@pytest.mark.alone
@pytest.mark.parametrize("kind", [EventLoopWriter, GroupCommitWriter], ids=["event-loop", "thread"])
def test_with_other_clients_writing_the_batch_waits_for_their_commands(app: CautionApplication, kind: type) -> None:
    cautions = [issue(app) for _ in range(3)]
    writer = kind(app, clients=_clients(3), coalesce_seconds=0.5)
    try:
        started = time.monotonic()
        asyncio.run(_submit_spaced(writer, [change(cid, schedule_a) for cid in cautions], gap=0.02))
        # Three commands 20 ms apart, one batch; and it did not wait out the 500 ms once all three were in.
        assert (writer.batches, writer.commands) == (1, 3)
        assert time.monotonic() - started < 0.4
    finally:
        writer.stop(timeout=2)
    assert all(versions(app, cid) == [1, 2] for cid in cautions)


@pytest.mark.alone
@pytest.mark.parametrize("kind", [EventLoopWriter, GroupCommitWriter], ids=["event-loop", "thread"])
def test_a_lone_client_never_waits_and_without_a_delay_nobody_does(app: CautionApplication, kind: type) -> None:
    for clients, coalesce in ((_clients(1), 0.5), (_clients(3), 0.0)):
        cautions = [issue(app) for _ in range(3)]
        writer = kind(app, clients=clients, coalesce_seconds=coalesce)
        try:
            started = time.monotonic()
            asyncio.run(_submit_spaced(writer, [change(cid, schedule_a) for cid in cautions], gap=0.02))
            assert (writer.batches, writer.commands) == (3, 3)  # each committed as it came
            assert time.monotonic() - started < 0.4
        finally:
            writer.stop(timeout=2)


@pytest.mark.alone
@pytest.mark.parametrize("kind", [EventLoopWriter, GroupCommitWriter], ids=["event-loop", "thread"])
def test_the_wait_is_bounded_when_an_active_client_sends_nothing(app: CautionApplication, kind: type) -> None:
    cid = issue(app)
    writer = kind(app, clients=_clients(2), coalesce_seconds=0.05)
    try:
        started = time.monotonic()
        [outcome] = asyncio.run(_submit_spaced(writer, [change(cid, schedule_a)], gap=0))
        waited = time.monotonic() - started
        assert body_of(outcome)["version"] == 2
        assert 0.04 <= waited < 1.0  # it waited for the other client, but only up to the limit
    finally:
        writer.stop(timeout=2)


def test_active_clients_are_those_seen_within_the_window() -> None:
    clients = ActiveClients(window=0.05)
    clients.saw(("10.0.0.1", 1))
    clients.saw(("10.0.0.1", 2))
    clients.saw(("10.0.0.1", 1))  # the same connection again
    assert clients.count() == 2
    time.sleep(0.08)
    clients.saw(("10.0.0.1", 3))
    assert clients.count() == 1


@pytest.mark.alone  # the window is 100 ms: a write slowed past it by another worker's load is no longer counted
def test_the_service_notes_writing_clients_but_not_readers(http_client: TestClient) -> None:
    clients: ActiveClients = app_state(http_client).writer.clients
    http_client.get("/v1/cautions", headers=auth("police"))
    assert clients.count() == 0
    http_client.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
    assert clients.count() == 1


def test_a_client_address_given_as_a_list_counts_as_that_connection() -> None:
    clients = ActiveClients(window=60)
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    middleware = TrackWritingClients(app, clients)
    for client in (["10.0.0.2", 5000], ("10.0.0.2", 5000), None):
        scope = {"type": "http", "method": "POST", "path": "/v1/cautions", "client": client}
        asyncio.run(middleware(scope, None, None))
    assert clients.count() == 2 and len(seen) == 3  # the list and the tuple are one connection
