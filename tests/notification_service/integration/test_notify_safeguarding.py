"""Safeguarding concerns through the real consumer reading a feed over HTTP (issue 19 items 1 and 6): the police are
told at once on every channel, marked urgent; an unacknowledged concern escalates at its time, once, across a
restart; acknowledgement closes it; inbox notices are done or superseded as the record moves on; /metrics shows
what waits. Nothing the victim said appears anywhere: notices, emails, webhooks, logs.

Needs the catalogue entries of the issue 19 events (shared/catalogue.py, J1's): until they are merged the service
refuses to start (rules.require_decided)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import wait
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from services.notification_service.config import Settings
from services.notification_service.consumer import FeedConsumer
from services.notification_service.main import build_store, create_app
from services.notification_service.store import NotificationStore
from services.notification_service.tables import safeguarding_concerns
from tests.json_server import Answer, Asked, JsonServer
from tests.service_processes import SmtpSink, WebhookReceiver, cloud_event, issued_event, wait_until
from tests.support import T0, FakeClock, app_state, auth

SECRET = "receiver-secret-0123456789"
POLICE_EMAIL = "ops@cambs.example"
DUTY_INSPECTOR = "duty-inspector@cambs.example"
# What a victim might have said: sealed under the victim key in the caution service, never on the feed. The test
# feed carries it anyway, in fields no rule reads, to prove nothing here would repeat it if it ever arrived.
VICTIM_WORDS = ("He said he would burn the house down", "Flat 3, 14 Orchard Row", "Jessica Tamworth")


class Feed:
    """The caution service's /v1/events as a real HTTP server over a list of CloudEvents; it long-polls as the
    real feed does, so a consumer waiting on it hears of a new event as soon as it is added."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.server = JsonServer(self.answer)

    def add(self, *events: dict[str, Any]) -> None:
        with self.changed:
            self.events.extend(events)
            self.changed.notify_all()

    def answer(self, asked: Asked) -> Answer:
        query = parse_qs(urlparse(asked.path).query)
        after, limit = int(query["after"][0]), int(query["limit"][0])
        wait = float(query.get("wait", ["0"])[0])
        with self.changed:
            self.changed.wait_for(lambda: any(e["position"] > after for e in self.events), timeout=wait)
            items = [e for e in self.events if e["position"] > after][:limit]
            head = self.events[-1]["position"] if self.events else 0
        return 200, {"items": items, "next_after": items[-1]["position"] if items else after, "head": head}

    def read_into(self, store: NotificationStore) -> int:
        return FeedConsumer(store, self.server.url(""), lambda: "a-token", 0.2).poll_once(wait=0)


@pytest.fixture
def feed() -> Iterator[Feed]:
    served = Feed()
    yield served
    served.server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    running = SmtpSink()
    yield running
    running.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver()
    yield running
    running.stop()


def settings_for(url: str, feed: Feed, smtp: SmtpSink, **overrides: Any) -> Settings:
    return Settings(**{
        "environment": "test", "database_url": url, "run_workers": False, "caution_feed_url": feed.server.url(""),
        "feed_wait_seconds": 0.2, "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
        "email_recipients": {"CAMBS": {"police": [POLICE_EMAIL]}},
        "escalation_recipients": {"CAMBS": [DUTY_INSPECTOR]}, "webhook_allowed_networks": ["127.0.0.1"],
        **overrides})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    return (f"sqlite:///{tmp_path}/notify.sqlite3" if request.param == "sqlite"
            else str(request.getfixturevalue("postgres_schema_url")))


def concern_raised(caution_id: str, version: int, position: int, *, urgency: str = "urgent",
                   source: str = "victim_contact", category: str = "risk_to_victim", session_id: str | None = None,
                   at: str = "2026-03-02T10:00:00+00:00") -> dict[str, Any]:
    event = cloud_event("SafeguardingConcernRaised", caution_id, version, position, occurred_at=at,
                        category=category, urgency=urgency, source=source, session_id=session_id,
                        details_sealed=VICTIM_WORDS[0], details=" ".join(VICTIM_WORDS))
    event["data"]["recorded_by"] = {"id": "vcs-1", "role": "victim_contact", "force": "CAMBS"}
    return event


def acknowledged(caution_id: str, version: int, position: int, concern: int,
                 at: str = "2026-03-02T10:10:00+00:00") -> dict[str, Any]:
    return cloud_event("SafeguardingConcernAcknowledged", caution_id, version, position, occurred_at=at,
                       concern=concern, action_taken=f"Visited {VICTIM_WORDS[1]}")


def inbox(client: TestClient, role: str = "police", **query: str) -> list[dict[str, Any]]:
    response = client.get("/v1/notifications", params=query, headers=auth(role))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def subscribe(client: TestClient, url: str) -> None:
    response = client.post("/v1/subscriptions", json={"url": url, "secret": SECRET}, headers=auth("admin"))
    assert response.status_code == 201, response.text


def assert_no_victim_words(*texts: str) -> None:
    for text in texts:
        for words in VICTIM_WORDS:
            assert words not in text


@pytest.mark.alone  # a one-second bound
def test_a_concern_reaches_the_police_inbox_email_and_webhook_within_a_second(
        feed: Feed, smtp: SmtpSink, receiver: WebhookReceiver, tmp_path: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cid = str(uuid.uuid4())
    feed.add(issued_event(cid, 1, reference="CC-SAFE-1"))
    settings = settings_for(f"sqlite:///{tmp_path}/n.sqlite3", feed, smtp, run_workers=True,
                            feed_wait_seconds=5.0, dispatch_poll_seconds=5.0)
    with TestClient(create_app(settings)) as client:  # the real clock: workers, consumer and dispatcher running
        subscribe(client, receiver.url)
        wait_until(lambda: client.get("/v1/consumer", headers=auth("admin")).json()["position"] == 1, 10,
                   what="the consumer to read the issue")
        feed.add(concern_raised(cid, 2, 2))
        started = time.monotonic()
        notice = wait_until(lambda: next((n for n in inbox(client) if n["kind"] == "safeguarding_concern"), None),
                            5, interval=0.01, what="the police inbox")
        email = wait_until(lambda: [m for m in smtp.messages if m["To"] == POLICE_EMAIL], 5, interval=0.01,
                           what="the email")[0]
        hook = wait_until(lambda: [h for h in receiver.received
                                   if h.json()["kind"] == "safeguarding_concern"], 5, interval=0.01,
                          what="the webhook")[0]
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert notice["priority"] == "urgent" and notice["state"] == "open" and notice["due_on"] == "2026-03-02"
    assert email["Subject"] == f"URGENT: {notice['title']}"
    assert hook.json()["priority"] == "urgent" and hook.json()["id"] == notice["id"]
    assert "Contact the victim contact service" in notice["body"]
    assert_no_victim_words(notice["title"], notice["body"], smtp.raw(), *(h.body.decode() for h in receiver.received),
                           caplog.text)


def test_an_unacknowledged_concern_escalates_at_its_time_once_and_acknowledgement_closes_it(
        feed: Feed, smtp: SmtpSink, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock(T0)
    settings = settings_for(database_url, feed, smtp)
    urgent, answered, routine = (str(uuid.uuid4()) for _ in range(3))
    feed.add(issued_event(urgent, 1, reference="CC-URGENT"), issued_event(answered, 2, reference="CC-ANSWERED"),
             issued_event(routine, 3, reference="CC-ROUTINE"),
             concern_raised(urgent, 2, 4), concern_raised(answered, 2, 5),
             concern_raised(routine, 2, 6, urgency="routine", source="workshop_session", category="other",
                            session_id=str(uuid.uuid4())))
    with TestClient(create_app(settings, clock)) as client:
        store = app_state(client).store
        assert feed.read_into(store) == 6
        clock.advance(minutes=10)
        feed.add(acknowledged(answered, 3, 7, concern=2))
        assert feed.read_into(store) == 1
        metrics = scrape(client)
        assert metrics["cara_notify_safeguarding_unacknowledged,force=CAMBS,urgency=urgent"] == 1
        assert metrics["cara_notify_safeguarding_unacknowledged,force=CAMBS,urgency=routine"] == 1
        assert metrics["cara_notify_safeguarding_oldest_urgent_unacknowledged_seconds"] == 600

        clock.advance(minutes=19, seconds=59)  # 29:59 after the concern was recorded
        assert store.fire_due_reminders() == 0
        clock.advance(seconds=1)
        assert store.fire_due_reminders() == 1
        assert store.fire_due_reminders() == 0
        app_state(client).dispatcher.run_once()
        escalated, = [n for n in inbox(client) if n["kind"] == "safeguarding_escalated"]
        assert escalated["priority"] == "urgent" and escalated["caution_id"] == urgent
        assert "CC-URGENT" in escalated["title"] and "30 min" in escalated["body"]
        to_inspector = [m for m in smtp.messages if m["To"] == DUTY_INSPECTOR]
        assert [m["Subject"] for m in to_inspector] == [f"URGENT: {escalated['title']}"]
    store.engine.dispose()

    restarted = build_store(settings, clock)  # the escalation is a row: a restart neither loses nor doubles it
    try:
        assert restarted.fire_due_reminders() == 0
        clock.now = T0 + timedelta(hours=24) - timedelta(seconds=1)
        assert restarted.fire_due_reminders() == 0
        clock.now = T0 + timedelta(hours=24)
        assert restarted.fire_due_reminders() == 1  # the routine concern, a day on
        feed.add(acknowledged(urgent, 3, 8, concern=2, at="2026-03-03T10:05:00+00:00"))
        assert feed.read_into(restarted) == 1
        s = safeguarding_concerns.c
        with restarted.engine.connect() as conn:
            rows = {row.caution_id: row for row in conn.execute(select(safeguarding_concerns))}
        assert rows[urgent].escalated_at is not None and rows[urgent].acknowledged_at is not None
        assert rows[answered].escalated_at is None and rows[routine].acknowledged_at is None
        assert {c.name for c in s} >= {"escalate_at", "escalated_at"}
    finally:
        restarted.engine.dispose()

    with TestClient(create_app(settings, clock)) as client:
        police = inbox(client)
        states = {(n["caution_id"], n["kind"]): n["state"] for n in police}
        assert states == {
            (urgent, "safeguarding_concern"): "done", (urgent, "safeguarding_escalated"): "done",
            (answered, "safeguarding_concern"): "done",
            (routine, "safeguarding_concern"): "open", (routine, "safeguarding_escalated"): "open",
        }
        routine_notice = next(n for n in police if n["caution_id"] == routine and n["kind"] == "safeguarding_concern")
        assert routine_notice["priority"] == "normal" and "Contact the provider" in routine_notice["body"]
        assert [n["caution_id"] for n in inbox(client, state="open")] == [routine, routine]
        assert {n["done_at"] for n in inbox(client, state="done") if n["caution_id"] == urgent} == \
            {"2026-03-03T10:05:00+00:00"}
        metrics = scrape(client)
        assert metrics["cara_notify_safeguarding_unacknowledged,force=CAMBS,urgency=urgent"] == 0
        assert metrics["cara_notify_safeguarding_oldest_urgent_unacknowledged_seconds"] == 0
        bad = client.get("/v1/notifications", params={"state": "closed"}, headers=auth("police"))
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert_no_victim_words(*(n["title"] + n["body"] for n in police))
    assert_no_victim_words(smtp.raw(), caplog.text)


def scrape(client: TestClient) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {sample.name + "".join(f",{k}={v}" for k, v in sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) if family.name.startswith("cara_notify_safe")
            for sample in family.samples}


def states(client: TestClient, role: str, caution_id: str) -> dict[str, tuple[str, str | None]]:
    return {n["kind"]: (n["state"], n["due_on"]) for n in inbox(client, role, caution_id=caution_id)}


def test_inbox_notices_are_done_when_their_action_is_recorded_and_superseded_when_the_caution_closes(
        feed: Feed, smtp: SmtpSink, database_url: str) -> None:
    clock = FakeClock(T0)
    settings = settings_for(database_url, feed, smtp)
    done, broke = str(uuid.uuid4()), str(uuid.uuid4())
    ev = cloud_event
    feed.add(
        issued_event(done, 1, reference="CC-DONE"),
        ev("FirstContactRecorded", done, 2, 2, method="phone", outcome="no_response"),
        ev("WorkshopMissed", done, 3, 3, workshop="A", reason="did_not_attend"),
        ev("ExcuseDecided", done, 4, 4, workshop="A", accepted=True, reason="hospital"),  # in the same page
        ev("WorkshopAAttended", done, 5, 5, occurred_at="2026-03-20T10:00:00+00:00"),
        ev("RiskReassessed", done, 6, 6, dash_risk="high", previous="medium", reason=VICTIM_WORDS[0]),
        issued_event(broke, 7, reference="CC-BROKE"),
        ev("WorkshopBookingCancelled", broke, 2, 8, workshop="A", session_id=str(uuid.uuid4()),
           reason="facilitator_unavailable"),
        ev("WorkshopMissed", broke, 3, 9, workshop="B", reason="did_not_attend"),
    )
    with TestClient(create_app(settings, clock)) as client:
        store = app_state(client).store
        assert feed.read_into(store) == 9
        assert states(client, "police", done) == {"excuse_decision_needed": ("done", "2026-03-09"),
                                                  "risk_review_due": ("open", "2026-03-02")}
        assert states(client, "provider", done) == {"new_referral": ("open", "2026-03-16")}  # an attempt only
        assert states(client, "victim_contact", done) == {"victim_contact_due": ("open", "2026-04-03")}
        feed.add(  # a later page: these close notices already written
            ev("FirstContactRecorded", done, 7, 10, method="phone", outcome="contacted"),
            ev("VictimContacted", done, 8, 11, stage="after_workshop_a", outcome="contacted",
               safeguarding_concern=False),
            ev("RiskReviewDecided", done, 9, 12, decision="continue", reason="monitored"),
            ev("WorkshopScheduled", broke, 4, 13, workshop="B", booking={"session_at": "2026-04-01T10:00:00+00:00"}),
            ev("Completed", done, 10, 14, occurred_at="2026-05-01T10:00:00+00:00"),
            ev("Breached", broke, 5, 15, outcome="prosecute", reason="no excuse", failure="excuse_rejected"),
        )
        assert feed.read_into(store) == 6
        assert states(client, "police", done) == {
            "excuse_decision_needed": ("done", "2026-03-09"), "risk_review_due": ("done", "2026-03-02"),
            "caution_completed": ("open", None)}
        assert states(client, "provider", done) == {"new_referral": ("done", "2026-03-16")}
        assert states(client, "victim_contact", done) == {
            "victim_contact_due": ("done", "2026-04-03"),
            "completion_contact_due": ("open", "2026-05-15")}  # still owed after the caution completed
        assert states(client, "provider", broke) == {
            "new_referral": ("superseded", "2026-03-16"),
            "booking_needed": ("superseded", "2026-05-25")}  # B was booked; the cancelled A never was
        assert states(client, "police", broke) == {
            "excuse_decision_needed": ("superseded", "2026-03-09"), "caution_breached": ("open", None)}
        superseded = inbox(client, "police", state="superseded")
        assert [n["superseded_at"] for n in superseded] == ["2026-03-02T10:00:00+00:00"]
        assert superseded[0]["done_at"] is None

        feed.add(ev("VictimContacted", done, 11, 16, stage="on_completion", outcome="contacted",
                    safeguarding_concern=False))
        assert feed.read_into(store) == 1
        assert states(client, "victim_contact", done)["completion_contact_due"] == ("done", "2026-05-15")
        assert inbox(client, "victim_contact", state="open", caution_id=done) == []


def test_the_dispatcher_takes_urgent_deliveries_first_even_past_a_busy_endpoints_backlog(
        feed: Feed, smtp: SmtpSink, tmp_path: Any) -> None:
    from services.notification_service.delivery.dispatcher import Endpoint

    clock = FakeClock(T0)
    settings = settings_for(f"sqlite:///{tmp_path}/n.sqlite3", feed, smtp, email_recipients={
        "CAMBS": {"police": [POLICE_EMAIL], "provider": ["referrals@provider.example"]}})
    cautions = [str(uuid.uuid4()) for _ in range(4)]
    feed.add(*(issued_event(c, n, reference=f"CC-{n}") for n, c in enumerate(cautions, 1)),
             cloud_event("WorkshopMissed", cautions[0], 2, 5, workshop="A", reason="did_not_attend"),
             concern_raised(cautions[0], 3, 6))
    with TestClient(create_app(settings, clock)) as client:
        store, dispatcher = app_state(client).store, app_state(client).dispatcher
        assert feed.read_into(store) == 6
        assert dispatcher.run_once(limit=1) == 1  # five deliveries wait; the urgent one was made last
        assert [m["Subject"] for m in smtp.messages] == ["URGENT: Urgent safeguarding concern: CC-1"]

        feed.add(concern_raised(cautions[1], 2, 7))
        assert feed.read_into(store) == 1
        busy = Endpoint(drainers=1)  # a drainer is sending the police address's backlog: normal ones wait for it
        dispatcher._endpoints[POLICE_EMAIL] = busy
        started, queued = dispatcher.dispatch_due()
        # the four provider emails, and the urgent one at the head of the busy queue; the excuse notice waits
        assert queued == 5 and [d.urgent for d in busy.queue] == [True]
        wait(started)
        assert dispatcher.dispatch_due()[1] == 0  # already queued: not queued twice
