"""Delivery: signed webhooks to a receiver the test runs, retries with backoff, dead letters, real SMTP email."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from services.notification_service.config import Settings
from services.notification_service.delivery.dispatcher import STATE_FIELDS, Dispatcher
from services.notification_service.delivery.webhook import verify_signature
from services.notification_service.main import create_app
from tests.service_processes import SmtpSink, WebhookReceiver, cloud_event, issued_event
from tests.support import FakeClock, app_state, auth

SECRET = "receiver-secret-0123456789"
LOCAL = ["127.0.0.1"]  # the receivers run on this machine, which webhooks may not reach unless allowed
RECIPIENTS = {"CAMBS": {"police": ["ops@cambs.example"], "victim_contact": ["vcs@cambs.example", "vcs2@cambs.example"],
                        "provider": ["referrals@provider.example"]}}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver()
    yield running
    running.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    running = SmtpSink()
    yield running
    running.stop()


@pytest.fixture
def notify(tmp_path: Any, clock: FakeClock, smtp: SmtpSink) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False,
                        smtp_host="127.0.0.1", smtp_port=smtp.port, email_recipients=RECIPIENTS,
                        webhook_max_attempts=4, webhook_backoff_seconds=10, webhook_timeout_seconds=5,
                        webhook_allowed_networks=LOCAL)
    with TestClient(create_app(settings, clock)) as client:
        yield client


def dispatcher(client: TestClient) -> Dispatcher:
    return app_state(client).dispatcher


def subscribe(client: TestClient, url: str, force: str = "CAMBS", **body: Any) -> dict[str, Any]:
    response = client.post("/v1/subscriptions", json={"url": url, "secret": SECRET, **body},
                           headers=auth("admin", force))
    assert response.status_code == 201, response.text
    return response.json()


def apply(client: TestClient, *events: dict[str, Any]) -> None:
    store = app_state(client).store
    last = events[-1]["position"]
    store.apply_page(list(events), head=last, next_after=last)


def referral_and_contact(cid: str) -> list[dict[str, Any]]:
    """Issued (provider: new_referral), then A attended (victim contact: victim_contact_due)."""
    return [issued_event(cid, 1, reference="CC-DELIVER-1"), cloud_event("WorkshopAAttended", cid, 2, 2)]


def inbox(client: TestClient, role: str) -> list[dict[str, Any]]:
    response = client.get("/v1/notifications", headers=auth(role))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def detail(client: TestClient, role: str, notification_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/notifications/{notification_id}", headers=auth(role))
    assert response.status_code == 200, response.text
    return response.json()


def test_webhooks_are_signed_and_carry_the_notification(notify: TestClient, receiver: WebhookReceiver) -> None:
    subscribe(notify, receiver.url)
    apply(notify, *referral_and_contact(str(uuid.uuid4())))
    assert dispatcher(notify).run_once() == 5  # 2 webhooks + 1 provider email + 2 victim contact emails
    assert dispatcher(notify).run_once() == 0
    assert len(receiver.received) == 2
    expected = {n["id"]: n for n in inbox(notify, "provider") + inbox(notify, "victim_contact")}
    for hook in receiver.received:
        assert hook.path == "/hook"
        assert hook.headers["content-type"] == "application/json"
        assert verify_signature(SECRET, hook.headers["x-cara-timestamp"], hook.body, hook.headers["x-cara-signature"])
        assert not verify_signature("some-other-secret-000", hook.headers["x-cara-timestamp"], hook.body,
                                    hook.headers["x-cara-signature"])
        body = hook.json()
        assert hook.headers["x-cara-notification-id"] == body["id"]
        # what the webhook gets is what the inbox shows, but for the notice's state, which moves on after it is sent
        assert body == {k: v for k, v in expected[body["id"]].items() if k not in STATE_FIELDS}
        assert body["priority"] == "normal"
        found = detail(notify, body["recipient_role"], body["id"])["deliveries"]
        webhook = [d for d in found if d["channel"] == "webhook"]
        assert [d["id"] for d in webhook] == [hook.headers["x-cara-delivery-id"]]
        assert webhook[0]["status"] == "delivered" and len(webhook[0]["attempts"]) == 1
    assert {h.json()["kind"] for h in receiver.received} == {"new_referral", "victim_contact_due"}


def test_subscriptions_filter_by_kind_or_event_type_and_by_force(notify: TestClient) -> None:
    receivers = {name: WebhookReceiver() for name in ("kind", "type", "norfolk")}
    try:
        subscribe(notify, receivers["kind"].url, event_types=["victim_contact_due"])
        subscribe(notify, receivers["type"].url, event_types=["uk.cara.caution.caution-issued.v1"])
        subscribe(notify, receivers["norfolk"].url, force="NORFOLK")
        # no subscription for every force: an admin token for force "*" is refused (test_notify_national_scope.py)
        apply(notify, *referral_and_contact(str(uuid.uuid4())))
        dispatcher(notify).run_once()
        got = {name: sorted(h.json()["kind"] for h in r.received) for name, r in receivers.items()}
        assert got == {"kind": ["victim_contact_due"], "type": ["new_referral"], "norfolk": []}
    finally:
        for r in receivers.values():
            r.stop()


def test_a_deleted_subscription_gets_no_new_deliveries(notify: TestClient, receiver: WebhookReceiver) -> None:
    sub = subscribe(notify, receiver.url)
    assert notify.delete(f"/v1/subscriptions/{sub['id']}", headers=auth("admin")).status_code == 204
    apply(notify, *referral_and_contact(str(uuid.uuid4())))
    dispatcher(notify).run_once()
    assert receiver.received == []
    for note in inbox(notify, "provider"):
        assert [d["channel"] for d in detail(notify, "provider", note["id"])["deliveries"]] == ["email"]


def test_a_failing_receiver_is_retried_with_exponential_backoff_then_dead_lettered(
        notify: TestClient, receiver: WebhookReceiver, clock: FakeClock) -> None:
    receiver.status = 500
    sub = subscribe(notify, receiver.url, event_types=["new_referral"])
    apply(notify, issued_event(str(uuid.uuid4()), 1))
    (note,) = inbox(notify, "provider")
    start = clock.now

    def webhook_delivery() -> dict[str, Any]:
        (found,) = [d for d in detail(notify, "provider", note["id"])["deliveries"] if d["channel"] == "webhook"]
        return found

    assert dispatcher(notify).run_once() == 2  # the webhook fails, the email goes
    delivery = webhook_delivery()
    assert delivery["status"] == "pending" and "last_error" not in delivery  # why is the admin's to know
    assert delivery_log(notify, sub["id"])[0]["last_error"] == "http_5xx"
    # backoff 10 s, then 20 s, then 40 s: nothing is tried a moment early
    for wait in (10, 20, 40):
        clock.advance(seconds=wait - 1)
        assert dispatcher(notify).run_once() == 0
        clock.advance(seconds=1)
        assert dispatcher(notify).run_once() == 1
    delivery = webhook_delivery()
    assert delivery["status"] == "dead" and delivery["next_attempt_at"] is None
    attempts = delivery["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert all(a == {"attempt": a["attempt"], "at": a["at"], "outcome": "failed"} for a in attempts)
    (logged,) = delivery_log(notify, sub["id"])
    assert logged["id"] == delivery["id"] and logged["status"] == "dead" and logged["last_error"] == "http_5xx"
    assert [a["error"] for a in logged["attempts"]] == ["http_5xx"] * 4
    offsets = [(_parse(a["at"]) - start).total_seconds() for a in attempts]
    assert offsets == [0, 10, 30, 70]
    clock.advance(days=1)
    assert dispatcher(notify).run_once() == 0  # dead letters are never tried again
    assert len(receiver.received) == 4
    assert {h.headers["x-cara-delivery-id"] for h in receiver.received} == {delivery["id"]}
    (email,) = [d for d in detail(notify, "provider", note["id"])["deliveries"] if d["channel"] == "email"]
    assert email["status"] == "delivered"


def test_a_receiver_that_recovers_gets_the_delivery_on_retry(notify: TestClient, receiver: WebhookReceiver,
                                                             clock: FakeClock) -> None:
    receiver.status = 503
    subscribe(notify, receiver.url, event_types=["new_referral"])
    apply(notify, issued_event(str(uuid.uuid4()), 1))
    dispatcher(notify).run_once()
    receiver.status = 200
    clock.advance(seconds=10)
    assert dispatcher(notify).run_once() == 1
    (note,) = inbox(notify, "provider")
    (webhook,) = [d for d in detail(notify, "provider", note["id"])["deliveries"] if d["channel"] == "webhook"]
    assert webhook["status"] == "delivered"
    assert [a["outcome"] for a in webhook["attempts"]] == ["failed", "delivered"]
    assert [h.headers["x-cara-delivery-id"] for h in receiver.received] == [webhook["id"]] * 2
    assert receiver.received[0].body == receiver.received[1].body  # a retry is the same notification


def _backlog(client: TestClient) -> dict[str, float]:
    """The cara_notify_* samples on /metrics, keyed by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {sample.name + "".join(f",{k}={v}" for k, v in sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) if family.name.startswith("cara_notify")
            for sample in family.samples}


def test_metrics_show_deliveries_waiting_overdue_and_given_up_on(notify: TestClient, receiver: WebhookReceiver,
                                                                 clock: FakeClock) -> None:
    receiver.status = 500
    subscribe(notify, receiver.url, event_types=["new_referral"])
    apply(notify, issued_event(str(uuid.uuid4()), 7))  # a webhook and an email to the provider
    backlog = _backlog(notify)
    assert backlog["cara_notify_database_up"] == 1
    assert backlog["cara_notify_feed_position"] == 7 and backlog["cara_notify_feed_head"] == 7
    assert backlog["cara_notify_deliveries,channel=webhook,status=pending"] == 1
    assert backlog["cara_notify_deliveries,channel=email,status=pending"] == 1
    assert backlog["cara_notify_deliveries_overdue"] == 0

    clock.advance(minutes=2)  # no dispatcher ran
    assert _backlog(notify)["cara_notify_deliveries_overdue"] == 2

    dispatcher(notify).run_once()  # the email goes; the webhook fails and waits for its retry
    backlog = _backlog(notify)
    assert backlog["cara_notify_deliveries,channel=email,status=pending"] == 0
    assert backlog["cara_notify_deliveries,channel=webhook,status=pending"] == 1
    assert backlog["cara_notify_deliveries_overdue"] == 0

    for wait in (10, 20, 40):
        clock.advance(seconds=wait)
        dispatcher(notify).run_once()
    backlog = _backlog(notify)
    assert backlog["cara_notify_deliveries,channel=webhook,status=pending"] == 0
    assert backlog["cara_notify_deliveries,channel=webhook,status=dead"] == 1
    assert backlog["cara_notify_consumer_failing"] == 0 and backlog["cara_notify_skipped_events"] == 0


def test_emails_arrive_over_smtp_with_a_message_id_from_the_notification(notify: TestClient, smtp: SmtpSink) -> None:
    cid = str(uuid.uuid4())
    apply(notify, *referral_and_contact(cid))
    dispatcher(notify).run_once()
    (referral,) = inbox(notify, "provider")
    (contact,) = inbox(notify, "victim_contact")
    by_to = {m["To"]: m for m in smtp.messages}
    assert sorted(by_to) == ["referrals@provider.example", "vcs2@cambs.example", "vcs@cambs.example"]
    for address, note in (("referrals@provider.example", referral), ("vcs@cambs.example", contact),
                          ("vcs2@cambs.example", contact)):
        message = by_to[address]
        assert message["Message-ID"] == f"<{note['id']}@cara.notifications>"
        assert message["Subject"] == note["title"]
        assert message["From"] == "cara-notifications@localhost"
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)  # a single-part message
        text = payload.decode()
        assert note["body"] in text and cid in text and note["id"] in text
    assert sorted(rcpt for _, rcpts in smtp.envelopes for rcpt in rcpts) == sorted(by_to)
    for note, role in ((referral, "provider"), (contact, "victim_contact")):
        assert {d["status"] for d in detail(notify, role, note["id"])["deliveries"]} == {"delivered"}


def test_an_unreachable_smtp_server_is_retried_and_recorded(notify: TestClient, smtp: SmtpSink,
                                                            clock: FakeClock) -> None:
    smtp.stop()
    apply(notify, issued_event(str(uuid.uuid4()), 1))
    assert dispatcher(notify).run_once() == 1
    (note,) = inbox(notify, "provider")
    (email,) = detail(notify, "provider", note["id"])["deliveries"]
    assert email["status"] == "pending" and email["attempts"][0]["outcome"] == "failed"
    assert email["next_attempt_at"]
    smtp.start()  # back on the same port
    clock.advance(seconds=10)
    assert dispatcher(notify).run_once() == 1
    (email,) = detail(notify, "provider", note["id"])["deliveries"]
    assert email["status"] == "delivered" and [a["outcome"] for a in email["attempts"]] == ["failed", "delivered"]
    assert [m["Message-ID"] for m in smtp.messages] == [f"<{note['id']}@cara.notifications>"]


def delivery_log(client: TestClient, subscription_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/subscriptions/{subscription_id}/deliveries", headers=auth("admin"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_no_smtp_server_configured_means_failed_attempts_not_silence(tmp_path: Any, clock: FakeClock) -> None:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False,
                        email_recipients=RECIPIENTS, webhook_max_attempts=2, webhook_backoff_seconds=1)
    with TestClient(create_app(settings, clock)) as client:
        apply(client, issued_event(str(uuid.uuid4()), 1))
        dispatcher(client).run_once()
        clock.advance(seconds=1)
        dispatcher(client).run_once()
        (note,) = inbox(client, "provider")
        (email,) = detail(client, "provider", note["id"])["deliveries"]
    assert email["status"] == "dead"
    assert len(email["attempts"]) == 2
