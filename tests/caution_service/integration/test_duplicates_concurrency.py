"""Duplicates refused when the requests race (issue 17 item 4), on SQLite and PostgreSQL: many requests at once
over HTTP, several application instances (as API processes) writing at once, a group-commit batch holding the
conflict, and the order in the write's transaction that makes the offender check exact (references.py)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import NotEligible
from services.caution_service.main import create_app
from services.caution_service.references import DuplicatePoliceReference, PreviousCautionRecorded
from services.caution_service.writer import GroupCommitWriter
from tests.caution_fixtures import assert_problem, recorded_events
from tests.caution_service.integration.test_group_commit_writer import (
    WAIT,
    body,
    issuing,
    one_batch,
    refused_with,
    stored,
)
from tests.caution_service.integration.test_http_concurrency import race
from tests.caution_service.unit.builders import issue_kwargs, recorded_offender
from tests.support import FakeClock, auth, caution_payload

THREADS = 20
PREVIOUS_DISPOSAL = "no_recent_domestic_abuse_disposal"


@pytest.fixture
def backend_client(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(environment="test", database_url=database_url), clock),
                    raise_server_exceptions=False) as client:
        yield client


def _issued(client: TestClient) -> list[str]:
    return [str(n.originator_id) for n in recorded_events(client) if n.topic.endswith("Caution.Issued")]


def _statuses(responses: list[Any]) -> Counter[int]:
    counts = Counter(r.status_code for r in responses)
    assert not any(status >= 500 for status in counts), [r.text for r in responses if r.status_code >= 500]
    return counts


# ----- over HTTP: one app, its group-commit writer --------------------------------------------------------


def test_many_requests_with_one_police_reference_at_once_give_exactly_one_caution(backend_client: TestClient) -> None:
    police = [auth("police", subject=f"officer-{i}") for i in range(THREADS)]
    bodies = [caution_payload(police_reference="CC-RACE-1") for _ in range(THREADS)]  # each its own offender

    responses = race(lambda i: backend_client.post("/v1/cautions", json=bodies[i], headers=police[i]))

    counts = _statuses(responses)
    assert counts == {201: 1, 409: THREADS - 1}, counts
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    for loser in (r for r in responses if r.status_code == 409):
        problem = assert_problem(loser, 409)
        assert problem["type"] == "/problems/duplicate-police-reference"
        assert problem["existing_caution_id"] == winner
    assert _issued(backend_client) == [winner]


def test_many_requests_for_one_offender_at_once_give_exactly_one_caution(backend_client: TestClient) -> None:
    police = [auth("police", subject=f"officer-{i}") for i in range(THREADS)]
    bodies = [caution_payload(offender={"reference": "PNC-RACE-1"}) for _ in range(THREADS)]  # each its own reference

    responses = race(lambda i: backend_client.post("/v1/cautions", json=bodies[i], headers=police[i]))

    counts = _statuses(responses)
    assert counts == {201: 1, 422: THREADS - 1}, counts
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    for loser in (r for r in responses if r.status_code == 422):
        problem = assert_problem(loser, 422)
        assert [e["rule"] for e in problem["errors"]] == [PREVIOUS_DISPOSAL]
        assert [c["id"] for c in problem["previous_cautions"]] == [winner]
    assert _issued(backend_client) == [winner]


# ----- several processes: application instances each with their own engine --------------------------------


def _at_once(apps: list[CautionApplication], make: Callable[[int], Caution]) -> list[Any]:
    """Each app issues one caution (`make(i)`), released together; returns each outcome or refusal."""
    barrier = threading.Barrier(len(apps))
    outcomes: list[Any] = [None] * len(apps)

    def one(i: int) -> None:
        barrier.wait(WAIT)
        try:
            outcomes[i] = apps[i].issue(lambda: make(i)).caution.id
        except Exception as e:  # the refusal is the outcome
            outcomes[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    return outcomes


def test_processes_racing_on_one_police_reference_record_one_caution(
        open_app: Callable[[], CautionApplication]) -> None:
    apps = [open_app() for _ in range(6)]

    outcomes = _at_once(apps, lambda i: Caution.issue(**issue_kwargs(police_reference="CC-PROC-1")))

    won = [o for o in outcomes if isinstance(o, UUID)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, DuplicatePoliceReference) and o.existing.caution_id == won[0]
               for o in outcomes if o is not won[0]), outcomes
    assert [n.originator_id for n in stored(apps[0]) if n.topic.endswith("Caution.Issued")] == won


def test_processes_racing_on_one_offender_record_one_caution(open_app: Callable[[], CautionApplication]) -> None:
    apps = [open_app() for _ in range(6)]
    offender = recorded_offender(reference="PNC-PROC-1")

    outcomes = _at_once(apps, lambda i: Caution.issue(**issue_kwargs(offender=offender)))

    won = [o for o in outcomes if isinstance(o, UUID)]
    assert len(won) == 1, outcomes
    for refused in (o for o in outcomes if o is not won[0]):
        assert isinstance(refused, NotEligible), outcomes
        assert [f.rule for f in refused.failures] == [PREVIOUS_DISPOSAL]
        assert str(won[0]) in refused.failures[0].message
    assert [n.originator_id for n in stored(apps[0]) if n.topic.endswith("Caution.Issued")] == won


def test_the_offender_check_runs_where_no_other_writer_can_slip_in(open_app: Callable[[], CautionApplication]) -> None:
    """The first writer holds its transaction open after writing; a second one for the same offender starts then.

    The second must see the first once it gets through: on SQLite because its check comes after its own first
    write, which waits for the database's write lock (a check made on arrival would have seen nothing and
    recorded a second caution); on PostgreSQL because it waits for the first's advisory lock on the offender."""
    first_app, second_app = open_app(), open_app()
    offender = recorded_offender(reference="PNC-HELD-1")
    holding, release = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def hold(session: Session) -> None:
        holding.set()
        release.wait(WAIT)

    def first() -> None:
        caution = Caution.issue(**issue_kwargs(offender=offender))
        outcomes["first"] = first_app.record([(caution, None)], also=hold)

    def second() -> None:
        try:
            outcomes["second"] = second_app.record([(Caution.issue(**issue_kwargs(offender=offender)), None)])
        except Exception as e:  # the refusal is the outcome
            outcomes["second"] = e

    threads = [threading.Thread(target=first)]
    threads[0].start()
    assert holding.wait(WAIT), "the first writer never reached its hold"
    threads.append(threading.Thread(target=second))
    threads[1].start()
    time.sleep(0.5)  # the second writer reaches its first write (and waits there) while the first holds
    assert "second" not in outcomes, outcomes  # it is waiting, not finished
    release.set()
    for thread in threads:
        thread.join(WAIT * 2)

    assert isinstance(outcomes["first"], dict), outcomes
    assert isinstance(outcomes["second"], PreviousCautionRecorded), outcomes
    assert len([n for n in stored(first_app) if n.topic.endswith("Caution.Issued")]) == 1


# ----- a group-commit batch that holds a conflict -----------------------------------------------------------


def test_a_batch_holding_duplicates_answers_each_command_as_if_alone(app: CautionApplication) -> None:
    writer = GroupCommitWriter(app, coalesce_seconds=0)
    twin = recorded_offender(reference="PNC-BATCH-1")
    try:
        futures = one_batch(writer, [
            issuing(police_reference="CC-BATCH-1"),
            issuing(police_reference="CC-BATCH-1"),  # the same reference, another offender
            issuing(offender=twin),
            issuing(offender=twin),  # the same offender, another reference
            issuing(),  # unrelated: recorded whatever the others do
        ])
    finally:
        writer.stop()

    first, same_offender, unrelated = body(futures[0]), body(futures[2]), body(futures[4])
    assert refused_with(futures[1], DuplicatePoliceReference).existing.caution_id == UUID(first["id"])
    refusal = refused_with(futures[3], NotEligible)
    assert same_offender["id"] in refusal.failures[0].message
    assert unrelated["id"]
    assert len([n for n in stored(app) if n.topic.endswith("Caution.Issued")]) == 3
    # The three were recorded in one batch: the conflicting two waited for the next, not failing this one
    assert (writer.batches, writer.commands) == (1, 3)


def test_a_caution_refused_in_the_transaction_leaves_no_prepared_key_behind(app: CautionApplication) -> None:
    """Its data keys were made for it alone: a retry makes the caution, and its keys, anew."""
    app.issue(lambda: Caution.issue(**issue_kwargs(police_reference="CC-KEYS-1")))

    def with_own_keys() -> Caution:
        return Caution.issue(**issue_kwargs(police_reference="CC-KEYS-1", offender_key=app.keyring.prepare_key(),
                                            victim_key=app.keyring.prepare_key()))

    with pytest.raises(DuplicatePoliceReference):
        app.issue(with_own_keys)
    assert app.keyring._prepared == {}
