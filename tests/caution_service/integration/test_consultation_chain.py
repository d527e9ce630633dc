"""The consultation log is tamper-evident: each force's entries are hash-chained, and the verification route
finds an entry altered, removed or forged behind the service's back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.engine import Engine

from services.caution_service.consultations import ConsultationLog, Seen, consultations
from services.caution_service.migrations import MIGRATIONS, migrate
from shared.auth import Principal, Role
from tests.caution_fixtures import Steps
from tests.shared.legacy_schemas import CAUTIONS_AT_LAST_CREATE_ALL, create_legacy
from tests.support import FakeClock, app_state, auth

VC = Principal(id="vc-1", role=Role.VICTIM_CONTACT, force="CAMBS")
KENT = Principal(id="vc-9", role=Role.VICTIM_CONTACT, force="KENT")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _logged(log: ConsultationLog, count: int, who: Principal = VC) -> list[int]:
    for n in range(count):
        log.record(who, f"00000000-0000-0000-0000-00000000000{n % 10}", Seen.VICTIM_DETAILS, f"call {n}", f"r{n}")
    with log.engine.connect() as connection:
        return list(connection.execute(select(consultations.c.id).where(consultations.c.force == who.force)
                                       .order_by(consultations.c.id)).scalars())


def test_an_untouched_log_verifies_and_each_force_has_its_own_chain(engine: Engine) -> None:
    log = ConsultationLog(engine, FakeClock())
    _logged(log, 4)
    _logged(log, 2, KENT)
    cambs, kent = log.verify("CAMBS"), log.verify("KENT")
    assert (cambs.intact, cambs.entries_checked, kent.intact, kent.entries_checked) == (True, 4, True, 2)
    assert cambs.digest != kent.digest
    assert log.verify("ESSEX").intact and log.verify("ESSEX").entries_checked == 0


def test_an_altered_entry_is_found(engine: Engine) -> None:
    log = ConsultationLog(engine, FakeClock())
    ids = _logged(log, 4)
    with engine.begin() as connection:
        connection.execute(update(consultations).where(consultations.c.id == ids[1]).values(purpose="nothing to see"))
    check = log.verify("CAMBS")
    assert (check.intact, check.first_broken_id, check.entries_checked) == (False, ids[1], 1)
    assert check.problem and "altered" in check.problem


def test_a_removed_entry_is_found_in_the_middle_or_at_the_end(engine: Engine) -> None:
    log = ConsultationLog(engine, FakeClock())
    ids = _logged(log, 4)
    with engine.begin() as connection:
        connection.execute(delete(consultations).where(consultations.c.id == ids[3]))
    assert not log.verify("CAMBS").intact and "newest" in (log.verify("CAMBS").problem or "")
    with engine.begin() as connection:
        connection.execute(delete(consultations).where(consultations.c.id == ids[1]))
    assert log.verify("CAMBS").first_broken_id == ids[2]


def test_a_forged_entry_is_found(engine: Engine) -> None:
    log = ConsultationLog(engine, FakeClock())
    _logged(log, 2)
    with engine.begin() as connection:
        connection.execute(insert(consultations).values(
            at=datetime(2026, 3, 1, tzinfo=UTC), force="CAMBS", caution_id="x", what="victim_details",
            principal_id="someone", role="police", previous_hash="0" * 64, entry_hash="1" * 64))
    assert not log.verify("CAMBS").intact


def test_entries_logged_at_once_from_many_threads_form_one_chain(engine: Engine) -> None:
    log = ConsultationLog(engine, FakeClock())
    threads = [threading.Thread(target=_logged, args=(log, 5)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check = log.verify("CAMBS")
    assert check.intact and check.entries_checked == 30


def test_entries_logged_before_the_chain_are_chained_by_the_migration(database_url: str) -> None:
    engine = create_engine(database_url)
    create_legacy(engine, CAUTIONS_AT_LAST_CREATE_ALL)
    with engine.begin() as connection:
        for force in ("CAMBS", "KENT", "CAMBS"):
            connection.execute(text("INSERT INTO consultations (at, force, caution_id, what, principal_id, role) "
                                    "VALUES (:at, :force, 'c-1', 'certificate', 'court-1', 'court')"),
                               {"at": datetime(2026, 2, 1, tzinfo=UTC), "force": force})
    MIGRATIONS.upgrade(engine)
    log = ConsultationLog(engine, FakeClock())
    assert (log.verify("CAMBS").entries_checked, log.verify("KENT").entries_checked) == (2, 1)
    assert log.verify("CAMBS").intact and log.verify("KENT").intact
    log.record(VC, "c-2", Seen.VICTIM_DETAILS, None, "r")  # and new entries continue the chain
    assert log.verify("CAMBS").intact and log.verify("CAMBS").entries_checked == 3
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(consultations)).scalar_one() == 4
    engine.dispose()


def test_the_force_admin_verifies_over_http(steps: Steps) -> None:
    cid = steps.issue()["id"]
    refused = steps.client.get(f"/v1/cautions/{cid}", headers=auth("victim_contact"))  # no X-Purpose: nothing shown
    assert refused.status_code == 400 and refused.json()["type"] == "/problems/purpose-required"
    assert steps.client.get(f"/v1/cautions/{cid}", headers=steps.victim_contact).status_code == 200
    admin = auth("admin", "CAMBS", subject="dpo-1")
    answer = steps.client.get("/v1/consultations/verification", headers=admin)
    assert answer.status_code == 200  # one read: two entries (details, and the rest)
    assert answer.json() | {"digest": None} == {"force": "CAMBS", "intact": True, "entries_checked": 2,
                                                "digest": None, "first_broken_id": None, "problem": None}
    with app_state(steps.client).cautions.engine.begin() as connection:
        connection.execute(update(consultations).values(role="police"))
    broken = steps.client.get("/v1/consultations/verification", headers=admin).json()
    assert broken["intact"] is False and broken["first_broken_id"] is not None
    assert steps.client.get("/v1/consultations/verification", headers=steps.police).status_code == 403
