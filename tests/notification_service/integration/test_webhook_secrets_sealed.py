"""Webhook signing secrets are never in clear at rest, yet deliveries are signed with them; old ones are sealed
at start, and a master key rotation reseals them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select

from services.notification_service.config import Settings
from services.notification_service.delivery.webhook import verify_signature
from services.notification_service.main import create_app
from services.notification_service.migrations import migrate
from services.notification_service.tables import subscriptions
from shared.keyring import MasterKeys
from tests.notification_service.integration.test_notify_delivery import SECRET, apply, referral_and_contact, subscribe
from tests.service_processes import WebhookReceiver
from tests.support import FakeClock, app_state

OLD, NEW = MasterKeys.generate("2026-01"), MasterKeys.generate("2026-12")


def _app(tmp_path: Path, master_keys: str) -> TestClient:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False,
                        master_keys=master_keys, webhook_allowed_networks=["127.0.0.1"])
    return TestClient(create_app(settings, FakeClock()))


def _stored_secrets(tmp_path: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{tmp_path}/n.sqlite3")
    with engine.connect() as connection:
        found = list(connection.execute(select(subscriptions.c.secret)).scalars())
    engine.dispose()
    return found


def test_the_secret_is_sealed_at_rest_and_deliveries_are_signed_with_it(tmp_path: Path) -> None:
    receiver = WebhookReceiver()
    try:
        with _app(tmp_path, OLD) as client:
            subscribe(client, receiver.url)
            apply(client, *referral_and_contact(str(uuid.uuid4())))
            app_state(client).dispatcher.run_once()
        hook = receiver.received[0]
        assert verify_signature(SECRET, hook.headers["x-cara-timestamp"], hook.body, hook.headers["x-cara-signature"])
    finally:
        receiver.stop()
    [stored] = _stored_secrets(tmp_path)
    assert SECRET not in stored and stored.startswith("s1.2026-01.")
    assert SECRET.encode() not in (tmp_path / "n.sqlite3").read_bytes()


def test_a_secret_stored_in_clear_before_sealing_is_sealed_at_start(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/n.sqlite3")
    migrate(engine)
    row: dict[str, Any] = {"id": str(uuid.uuid4()), "url": "http://127.0.0.1:9/hook", "force": "CAMBS",
                           "event_types": "[]", "secret": SECRET, "active": True,
                           "created_at": FakeClock().now}
    with engine.begin() as connection:
        connection.execute(insert(subscriptions).values(**row))
    engine.dispose()
    with _app(tmp_path, OLD) as client:
        box = app_state(client).webhook_secrets
        [stored] = _stored_secrets(tmp_path)
        assert stored != SECRET and box.open(stored) == SECRET


def test_a_rotation_reseals_the_secrets_under_the_new_master_key(tmp_path: Path) -> None:
    with _app(tmp_path, OLD) as client:
        subscribe(client, "http://127.0.0.1:9/hook")
    with _app(tmp_path, f"{NEW},{OLD}"):
        pass
    [stored] = _stored_secrets(tmp_path)
    assert stored.startswith("s1.2026-12.")
    with _app(tmp_path, NEW) as client:  # the old master key can go
        assert app_state(client).webhook_secrets.open(stored) == SECRET
