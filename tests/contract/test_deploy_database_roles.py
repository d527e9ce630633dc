"""deploy/postgres-init.sql on a fresh database: the migrator roles migrate, the services run as roles that read and
write rows only, refuse to start on a schema their code is ahead of, and cannot change any table's shape.

A throwaway database and uniquely prefixed roles, dropped after, so runs beside each other never meet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from services.caution_service.config import Settings as CautionSettings
from services.caution_service.main import build_application
from shared.migrations import SchemaNotAtHead
from tests.service_processes import CautionProcess, NotifyProcess
from tests.support import auth, caution_payload

ROOT = Path(__file__).resolve().parents[2]
INIT = ROOT / "deploy" / "postgres-init.sql"


@dataclass(frozen=True)
class Cluster:
    server: URL
    database: str
    prefix: str

    def url(self, role: str) -> str:
        return self.server.set(username=f"{self.prefix}{role}", password=None,
                               database=self.database).render_as_string(hide_password=False)

    def connect(self, role: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(role).replace("postgresql+psycopg", "postgresql"), autocommit=True)


@pytest.fixture
def cluster(postgres_url: str) -> Iterator[Cluster]:
    psql = shutil.which("psql")
    if psql is None:
        if os.environ.get("CI"):
            pytest.fail("psql is needed to run deploy/postgres-init.sql as operators do")
        pytest.skip("psql is not installed")
    url = make_url(postgres_url)
    tag = uuid.uuid4().hex[:10]
    made = Cluster(url, f"cara_roles_{tag}", f"t{tag}_")
    admin = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{made.database}"')
    try:
        environment = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
                       "PGUSER": url.username or "postgres", "PGDATABASE": made.database}
        for _ in range(2):  # the second run finds everything made and changes nothing
            subprocess.run([psql, "-q", "-X", "-v", f"role_prefix={made.prefix}", "-f", str(INIT)], env=environment,
                           check=True, capture_output=True, timeout=60)
        yield made
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
            for role in ("caution_app", "caution_migrator", "notify_app", "notify_migrator"):
                connection.execute(f'DROP ROLE IF EXISTS "{made.prefix}{role}"')


def _migrate(cluster: Cluster) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_DATABASE_URL": cluster.url("caution_migrator"),
           "CARA_NOTIFY_DATABASE_URL": cluster.url("notify_migrator")}
    done = subprocess.run([sys.executable, "-m", "services.migrate"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _refused(connection: psycopg.Connection[tuple[object, ...]], statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute(statement)


def _code_tree() -> dict[str, float]:
    """What a read-only image would hold: anything written here at runtime would fail there."""
    return {str(p): p.stat().st_mtime for top in ("services", "shared", "var") for p in (ROOT / top).rglob("*")
            if "__pycache__" not in p.parts} | {str(p): p.stat().st_mtime for p in ROOT.iterdir() if p.is_file()}


def test_a_service_role_that_may_not_migrate_refuses_a_schema_behind_its_code(cluster: Cluster) -> None:
    app_url = cluster.url("caution_app")
    with pytest.raises(SchemaNotAtHead, match="services.migrate"):
        build_application(CautionSettings(environment="test", database_url=app_url, migrate_at_start=False))
    # Left to migrate at start, the service's role is refused the DDL: it never owned the schema.
    with pytest.raises(Exception, match="permission denied"):
        build_application(CautionSettings(environment="test", database_url=app_url))


def test_the_services_run_as_their_roles_after_the_migrator_and_cannot_change_a_table(
    cluster: Cluster, tmp_path: Path
) -> None:
    _migrate(cluster)
    _migrate(cluster)  # at head already: nothing to do, nothing refused
    before = _code_tree()
    caution = CautionProcess({"CARA_DATABASE_URL": cluster.url("caution_app"), "CARA_ENVIRONMENT": "test",
                              "CARA_MIGRATE_AT_START": "false", "PYTHONDONTWRITEBYTECODE": "1"},
                             tmp_path / "caution.log")
    notify = NotifyProcess({"CARA_NOTIFY_DATABASE_URL": cluster.url("notify_app"), "CARA_NOTIFY_ENVIRONMENT": "test",
                            "CARA_NOTIFY_MIGRATE_AT_START": "false", "CARA_NOTIFY_RUN_WORKERS": "false",
                            "PYTHONDONTWRITEBYTECODE": "1"}, tmp_path / "notify.log")
    try:
        caution.start()
        notify.start()
        issued = httpx.post(f"{caution.url}/v1/cautions", json=caution_payload(), headers=auth("police"), timeout=10)
        assert issued.status_code == 201, issued.text
        for service in (caution, notify):  # the readiness write probe: a committed write as the service's role
            ready = httpx.get(f"{service.url}/readyz", timeout=10)
            assert ready.status_code == 200, (service.module, ready.text)
    finally:
        caution.stop()
        notify.stop()
    assert _code_tree() == before  # nothing written under the code or var/: a read-only root file system suffices

    with cluster.connect("caution_app") as connection:
        assert connection.execute("SELECT count(*) FROM cautions_events").fetchone() == (1,)
        _refused(connection, "CREATE TABLE intruder (id int)")
        _refused(connection, "DROP TABLE cautions_events")
        _refused(connection, "ALTER TABLE cautions_events ADD COLUMN intruder int")
        _refused(connection, "TRUNCATE cautions_events")
        _refused(connection, "CREATE TABLE public.intruder (id int)")
        _refused(connection, "SELECT * FROM notification_service.notifications")  # not its service's schema
    with cluster.connect("notify_app") as connection:
        _refused(connection, "CREATE TABLE intruder (id int)")
        _refused(connection, "DROP TABLE notifications")
        _refused(connection, "SELECT * FROM caution_service.cautions_events")
    with cluster.connect("caution_migrator") as connection:  # the migrator owns its schema, and only its own
        connection.execute("CREATE TABLE made_by_a_later_migration (id serial PRIMARY KEY)")
        _refused(connection, "SELECT * FROM notification_service.notifications")
    with cluster.connect("caution_app") as connection:  # the default privileges cover tables made after the script
        connection.execute("INSERT INTO made_by_a_later_migration DEFAULT VALUES")
        _refused(connection, "DROP TABLE made_by_a_later_migration")
