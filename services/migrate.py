"""`make migrate`: bring both services' databases to their newest migration, from the same settings
(CARA_DATABASE_URL, CARA_NOTIFY_DATABASE_URL; SQLite files under var/ by default) the services read.

The services also upgrade at start-up, unless told not to (CARA_MIGRATE_AT_START=false, as in production, where
they connect as roles that may not create tables): this is for doing it ahead of a deployment, as the migrator
role (deploy/postgres-init.sql), or checking it works. It needs the database URLs only, none of the services' keys.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from services.caution_service.config import Settings as CautionSettings
from services.caution_service.migrations import MIGRATIONS as CAUTION_MIGRATIONS
from services.caution_service.migrations import create_event_store
from services.notification_service.config import Settings as NotificationSettings
from services.notification_service.migrations import MIGRATIONS as NOTIFICATION_MIGRATIONS
from shared.logging_setup import configure_logging
from shared.migrations import Migrations


def _prepare_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(name: str, url: str, migrations: Migrations) -> None:
    parsed = make_url(url)
    _prepare_sqlite_directory(url)
    engine = create_engine(url)
    try:
        migrations.upgrade(engine)
        with engine.connect() as connection:
            print(f"{name}: {parsed.render_as_string(hide_password=True)} at {migrations.current(connection)}")
    finally:
        engine.dispose()


def main() -> None:
    caution = CautionSettings()
    configure_logging("migrate", caution.environment, access_log=False)
    _prepare_sqlite_directory(caution.database_url)
    create_event_store(caution.eventsourcing_env())  # the application would, if its role could
    upgrade("caution service", caution.database_url, CAUTION_MIGRATIONS)
    upgrade("notification service", NotificationSettings().database_url, NOTIFICATION_MIGRATIONS)


if __name__ == "__main__":
    main()
