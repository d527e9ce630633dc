"""Retention of the consultation log, on SQLite and PostgreSQL: entries older than the force's period are pruned
once, the chain still verifies from the anchor pruning leaves, and an entry altered, removed or put back after
pruning is still found. Pruning stops at tampering rather than removing the evidence of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, delete, insert, select, update
from sqlalchemy.engine import Engine

from services.caution_service.consultation_pruning import ITEM, ConsultationRetention
from services.caution_service.consultations import ConsultationLog, Seen, consultations, heads
from services.caution_service.migrations import migrate
from services.caution_service.retention import TABLES
from shared.auth import Principal, Role
from shared.retention import RetentionConfig
from shared.retention_job import RetentionJob
from tests.support import FakeClock

VC = Principal(id="vc-1", role=Role.VICTIM_CONTACT, force="CAMBS")
KENT = Principal(id="vc-9", role=Role.VICTIM_CONTACT, force="KENT")
KENT_KEEPS_A_YEAR = RetentionConfig.parse('{"forces": {"KENT": {"consultation_log_years": 1}}}')


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def logged(log: ConsultationLog, clock: FakeClock, who: Principal, years_ago: float, count: int) -> list[int]:
    """`count` entries `years_ago` before the clock's present, which is left as it was."""
    now = clock.now
    clock.now = now - timedelta(days=365.25 * years_ago)
    for n in range(count):
        log.record(who, f"00000000-0000-0000-0000-00000000000{n % 10}", Seen.VICTIM_DETAILS, "call", f"r{n}")
        clock.advance(minutes=1)
    clock.now = now
    return ids(log.engine, who.force)[-count:]


def ids(engine: Engine, force: str) -> list[int]:
    c = consultations.c
    with engine.connect() as connection:
        return list(connection.execute(select(c.id).where(c.force == force).order_by(c.id)).scalars())


def prune(engine: Engine, clock: FakeClock, config: RetentionConfig = KENT_KEEPS_A_YEAR) -> int:
    """The consultation log's step alone: the others need a whole application, which this log does not."""
    job = RetentionJob(engine, TABLES, [ConsultationRetention(engine, config, batch=2)], clock)
    return job.run().get(ITEM, 0)


def test_old_entries_are_pruned_once_and_what_remains_still_verifies(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    logged(log, clock, VC, 7, 5)
    kept = logged(log, clock, VC, 2, 2)

    assert prune(engine, clock) == 5  # in batches of two: 2, 2, 1
    assert ids(engine, "CAMBS") == kept
    check = log.verify("CAMBS")
    assert (check.intact, check.entries_checked) == (True, 2)
    assert prune(engine, clock) == 0

    log.record(VC, "c-new", Seen.CERTIFICATE, None, "r-new")  # the chain goes on from its head
    assert log.verify("CAMBS").intact and log.verify("CAMBS").entries_checked == 3


def test_a_force_s_own_period_applies_to_its_entries_only(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    cambs = logged(log, clock, VC, 2, 2)
    logged(log, clock, KENT, 2, 3)
    kent_recent = logged(log, clock, KENT, 0.5, 1)

    assert prune(engine, clock) == 3
    assert (ids(engine, "CAMBS"), ids(engine, "KENT")) == (cambs, kent_recent)
    assert log.verify("KENT").intact and log.verify("CAMBS").intact


def test_a_log_pruned_to_nothing_verifies_and_goes_on(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    logged(log, clock, VC, 7, 3)
    assert prune(engine, clock) == 3 and ids(engine, "CAMBS") == []
    assert log.verify("CAMBS").intact
    log.record(VC, "c-new", Seen.CERTIFICATE, None, "r-new")
    assert log.verify("CAMBS").intact and log.verify("CAMBS").entries_checked == 1


def test_tampering_after_pruning_is_still_found(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    logged(log, clock, VC, 7, 3)
    kept = logged(log, clock, VC, 1, 3)
    prune(engine, clock)

    with engine.begin() as connection:
        connection.execute(update(consultations).where(consultations.c.id == kept[1]).values(purpose="nothing"))
    altered = log.verify("CAMBS")
    assert (altered.intact, altered.first_broken_id) == (False, kept[1]) and "altered" in (altered.problem or "")


def test_removing_the_first_entry_kept_is_found(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    logged(log, clock, VC, 7, 3)
    kept = logged(log, clock, VC, 1, 3)
    prune(engine, clock)

    with engine.begin() as connection:
        connection.execute(delete(consultations).where(consultations.c.id == kept[0]))
    check = log.verify("CAMBS")
    assert (check.intact, check.first_broken_id) == (False, kept[1])


def test_putting_a_pruned_entry_back_is_found(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    pruned = logged(log, clock, VC, 7, 2)
    logged(log, clock, VC, 1, 2)
    with engine.connect() as connection:
        copy = dict(connection.execute(select(consultations).where(consultations.c.id == pruned[1])).mappings().one())
    prune(engine, clock)

    with engine.begin() as connection:
        connection.execute(insert(consultations).values(**copy))
    check = log.verify("CAMBS")
    assert (check.intact, check.first_broken_id) == (False, pruned[1])


def test_pruning_stops_at_an_altered_entry_so_verification_still_reports_it(engine: Engine, clock: FakeClock) -> None:
    log = ConsultationLog(engine, clock)
    old = logged(log, clock, VC, 7, 4)
    with engine.begin() as connection:
        connection.execute(update(consultations).where(consultations.c.id == old[2]).values(purpose="rewritten"))

    assert prune(engine, clock) == 2
    assert ids(engine, "CAMBS") == old[2:]
    check = log.verify("CAMBS")
    assert (check.intact, check.first_broken_id) == (False, old[2])
    with engine.connect() as connection:
        anchor = connection.execute(select(heads.c.pruned_through_id).where(heads.c.force == "CAMBS")).scalar_one()
    assert anchor == old[1]
