"""The raw-library yardstick in `make bench` (bench/reference.py) measures what it says."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bench.reference import POOL, persistence_options, run_reference


def test_sqlite_url_gives_the_service_module_and_the_library_own_recorder() -> None:
    options = persistence_options("sqlite:////tmp/x/cautions.sqlite3")
    assert options["eventsourcing-sqlalchemy"] == {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                                                   "SQLALCHEMY_URL": "sqlite:////tmp/x/cautions.sqlite3"}
    assert options["eventsourcing.sqlite"]["SQLITE_DBNAME"] == "/tmp/x/cautions.sqlite3-reference.db"


def test_postgres_url_keeps_host_database_and_the_schema_from_the_search_path() -> None:
    options = persistence_options("postgresql+psycopg://bench:pw@db.local:6543/cara?options=-csearch_path%3Dbench_1")
    native = options["eventsourcing.postgres"]
    assert (native["POSTGRES_HOST"], native["POSTGRES_PORT"], native["POSTGRES_DBNAME"]) == ("db.local", "6543", "cara")
    given = (native["POSTGRES_USER"], native["POSTGRES_PASSWORD"], native["POSTGRES_SCHEMA"])
    assert given == ("bench", "pw", "bench_1")


def test_each_measured_event_is_stored_and_the_environment_is_left_as_found(tmp_path: Path) -> None:
    before = dict(os.environ)
    env = persistence_options(f"sqlite:///{tmp_path}/ref.sqlite3")["eventsourcing.sqlite"]
    result = run_reference(env, max_events=40, max_seconds=30)
    assert result["events"] == 40 and result["latency"]["count"] == 40
    assert dict(os.environ) == before
    with sqlite3.connect(env["SQLITE_DBNAME"]) as db:
        stored = db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    assert stored == POOL + 40  # each aggregate's first event, then one per measured command
