"""The consultation log is tamper-evident: each force's entries are hash-chained, and the verification route
finds an entry altered, removed or forged behind the service's back."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.engine import Engine

from services.caution_service.consultations import ConsultationLog, Seen, consultations, entry_hash
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


def test_entries_arriving_together_share_a_transaction_and_each_caller_returns_once_its_entry_is_in(
    engine: Engine,
) -> None:
    log = ConsultationLog(engine, FakeClock())
    gate = threading.Barrier(40)
    committed: list[bool] = []

    def one(n: int) -> None:
        gate.wait()
        log.record(VC if n % 2 else KENT, "*", Seen.EVENT_FEED, None, f"r{n}")
        with engine.connect() as connection:  # on return, the caller's own entry is committed
            committed.append(connection.execute(select(func.count()).select_from(consultations)
                                                .where(consultations.c.request_id == f"r{n}")).scalar_one() == 1)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert committed == [True] * 40
    assert log.verify("CAMBS").entries_checked == 20 and log.verify("KENT").entries_checked == 20
    assert log.verify("CAMBS").intact and log.verify("KENT").intact
    assert log.transactions < 40, "entries that arrived together should have been written together"


def test_a_database_failure_reaches_every_caller_whose_entry_it_took(engine: Engine) -> None:
    log = ConsultationLog(engine, FakeClock())
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE consultation_heads"))
    failures: list[str] = []

    def one() -> None:
        try:
            log.record(VC, "*", Seen.EVENT_FEED, None, "r")
        except Exception as e:  # what each caller hears is the point
            failures.append(type(e).__name__)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == ["OperationalError"] * 10 or failures == ["ProgrammingError"] * 10


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
    assert answer.status_code == 200
    assert answer.json() | {"digest": None} == {"force": "CAMBS", "intact": True, "entries_checked": 2,  # one read:
                                                "digest": None, "first_broken_id": None, "problem": None}  # 2 entries
    with app_state(steps.client).cautions.engine.begin() as connection:
        connection.execute(update(consultations).values(role="police"))
    broken = steps.client.get("/v1/consultations/verification", headers=admin).json()
    assert broken["intact"] is False and broken["first_broken_id"] is not None
    assert steps.client.get("/v1/consultations/verification", headers=steps.police).status_code == 403


def _entries(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(select(consultations).where(consultations.c.force == "CAMBS")
                                  .order_by(consultations.c.id)).mappings().all()
    return [dict(row) for row in rows]


def test_a_logged_read_edited_or_deleted_in_the_database_is_named_by_the_verification_route(steps: Steps) -> None:
    """Reads of every kind (a caution, a list, a refusal, a feed page) are logged; an UPDATE of any column of one,
    its route and detail included, or a DELETE, is named by GET /v1/consultations/verification."""
    cid = steps.issue()["id"]
    steps.client.get(f"/v1/cautions/{cid}", headers=steps.police)
    steps.client.get("/v1/cautions", params={"status": "active"}, headers=steps.court)
    steps.client.get(f"/v1/cautions/{cid}", headers=auth("subscriber"))  # refused: logged as denied
    steps.client.get("/v1/events", headers=auth("subscriber"))
    engine = app_state(steps.client).cautions.engine
    entries = _entries(engine)
    assert [e["what"] for e in entries] == ["personal_data", "caution_list", "denied", "event_feed"]
    admin = auth("admin", "CAMBS", subject="dpo-1")

    def verification() -> dict[str, object]:
        answer = steps.client.get("/v1/consultations/verification", headers=admin)
        assert answer.status_code == 200, answer.text
        result: dict[str, object] = answer.json()
        return result

    assert verification()["intact"] is True and verification()["entries_checked"] == 4
    for column, forged in (("principal_id", "someone-else"), ("route", "GET /v1/statistics"), ("detail", None),
                           ("purpose", "a reason made up later")):
        target = entries[1]
        with engine.begin() as connection:
            connection.execute(update(consultations).where(consultations.c.id == target["id"]).values({column: forged}))
        check = verification()
        assert (check["intact"], check["first_broken_id"], check["entries_checked"]) == (False, target["id"], 1), column
        assert "altered" in str(check["problem"])
        with engine.begin() as connection:  # put it back: the chain is whole again
            connection.execute(update(consultations).where(consultations.c.id == target["id"])
                               .values({column: target[column]}))
        assert verification()["intact"] is True

    with engine.begin() as connection:
        connection.execute(delete(consultations).where(consultations.c.id == entries[2]["id"]))  # the denial
    check = verification()
    assert (check["intact"], check["first_broken_id"]) == (False, entries[3]["id"])
    assert "removed" in str(check["problem"])


def test_entries_logged_before_routes_were_keep_their_hashes() -> None:
    """The hash of an entry without route and detail is what it was before migration 0010 added them."""
    entry = {"at": datetime(2026, 2, 1, tzinfo=UTC), "force": "CAMBS", "caution_id": "c-1", "what": "certificate",
             "principal_id": "court-1", "role": "court", "purpose": None, "request_id": "r", "caller_request_id": None}
    before_0010 = hashlib.sha256(("0" * 64 + json.dumps(
        {**entry, "at": "2026-02-01T00:00:00+00:00"}, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()
    assert entry_hash(entry, "0" * 64) == before_0010
    assert entry_hash({**entry, "route": None, "detail": None}, "0" * 64) == before_0010
    assert entry_hash({**entry, "route": "GET /v1/cautions"}, "0" * 64) != before_0010
    assert entry_hash({**entry, "detail": "x"}, "0" * 64) != entry_hash({**entry, "route": "x"}, "0" * 64)
