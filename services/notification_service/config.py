"""Notification service settings (CARA_NOTIFY_* environment variables)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.keyring import DEV_MASTER_KEYS, MasterKeys
from shared.retention import RetentionConfig
from shared.secret_box import SecretBox
from shared.settings import ServiceSettings

from .delivery.targets import AllowList


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARA_NOTIFY_", extra="ignore", populate_by_name=True)

    # development, test or production: production refuses to start with the development keys and secrets.
    environment: Literal["development", "test", "production"] = "development"
    # Notifications, deliveries and subscriptions: sqlite:///path, or postgresql+psycopg://user:password@host/database.
    database_url: str = "sqlite:///var/notification-service.sqlite3"
    master_keys: str = DEV_MASTER_KEYS  # seal webhook signing secrets at rest (shared/secret_box.py); current first
    # Where events come from: the caution service's HTTP feed, or a NATS JetStream relay of it.
    source: Literal["http", "nats"] = "http"
    caution_feed_url: str = "http://127.0.0.1:8000"  # the caution service, whose /v1/events feed is read
    # Production reads the feed with a subscriber token for force "*": better, one the service asks the identity
    # provider for and renews (OAuth 2.0 client credentials, feed_auth.py); or a fixed one, until it expires.
    feed_token_url: str | None = None  # The identity provider's token endpoint.
    feed_client_id: str | None = None  # the client id the service asks the identity provider for tokens with
    feed_client_secret: SecretStr | None = None  # that client's secret
    feed_scope: str | None = None  # the scope to ask for, when the identity provider needs one
    feed_token: SecretStr | None = None  # a fixed subscriber token instead of client credentials, used until it expires
    feed_wait_seconds: float = 10.0  # how long one read of the feed waits for new events (a long-poll)
    nats_url: str = "nats://127.0.0.1:4222"  # the NATS server, when the source is nats
    nats_stream: str = "CARA_EVENTS"  # the JetStream stream the relay (`make relay`) publishes the feed to
    nats_subject_prefix: str = "cara.caution."  # each event's subject is this and the event's name
    nats_durable: str = "notification-service"  # the durable consumer's name: its position outlives restarts
    # How long a gap a killed consumer leaves can stay open when the feed cannot fill it (nats_consumer.py).
    nats_ack_wait_seconds: float = Field(default=10.0, gt=0)
    run_workers: bool = True  # the consumer, dispatcher and reminders; one replica per schema runs them (workers.py)
    # Whether each process upgrades the schema as it starts. Production sets false and connects as a role that
    # may not create tables: `python -m services.migrate`, as the migrator role, upgrades it first, and a process
    # finding the schema behind its code refuses to start (deploy/postgres-init.sql).
    migrate_at_start: bool = True
    leader_retry_seconds: float = 2.0  # how often a standby replica tries to take over
    smtp_host: str | None = None  # the SMTP server email is sent through; unset: email deliveries fail, retried
    smtp_port: int = 25  # that server's port
    email_from: str = "cara-notifications@localhost"  # the From address of notification emails
    # Who is emailed, JSON: force -> role -> addresses ({"CAMBS": {"provider": ["referrals@provider.example"]}}).
    email_recipients: dict[str, dict[str, list[str]]] = {}
    # Who an unacknowledged safeguarding concern is escalated to by email, besides the force's police inbox, JSON:
    # force (or "*" for every force) -> addresses ({"CAMBS": ["duty-inspector@cambs.police.example"]}).
    escalation_recipients: dict[str, list[str]] = {}
    # An urgent safeguarding concern the police have not acknowledged this many minutes after it was recorded is
    # escalated (deploy/k8s/alerts.yaml pages at the same bound).
    safeguarding_escalation_minutes: int = Field(default=30, ge=1)
    # A routine safeguarding concern not acknowledged this many hours after it was recorded is escalated.
    routine_concern_escalation_hours: int = Field(default=24, ge=1)
    webhook_timeout_seconds: float = 5.0  # the longest one webhook POST may take
    webhook_max_attempts: int = 6  # tries of one delivery (webhook or email) before it is dead-lettered
    webhook_backoff_seconds: float = 2.0  # the wait after the first failed try, doubled after each further one
    # Networks (CIDR) or host names webhooks may go to although they are internal (delivery/targets.py), as a
    # JSON list: on-premise receivers, and tests with a receiver on 127.0.0.1. Empty: public addresses only.
    # Production sends webhooks over https only, whatever this allows.
    webhook_allowed_networks: list[str] = []
    dispatch_workers: int = Field(default=16, ge=1)  # threads sending deliveries, shared by every endpoint
    # At most this many deliveries to one endpoint at once: a receiver that hangs holds only these threads.
    webhook_concurrency_per_endpoint: int = Field(default=2, ge=1)
    # After this many failed attempts in a row an endpoint's circuit opens: nothing is sent to it for
    # webhook_breaker_seconds (its deliveries stay pending), then one attempt decides whether it closes.
    webhook_breaker_failures: int = Field(default=5, ge=1)
    webhook_breaker_seconds: float = Field(default=60.0, gt=0)  # how long an open circuit stays open
    dispatch_poll_seconds: float = 0.5  # how often pending deliveries are looked for when no new one woke the sender
    reminder_poll_seconds: float = 30.0  # how often reminders that have fallen due are looked for
    # The reminder that a caution period is ending is due this many days before its end.
    reminder_days_before_period_end: int = 14
    # The reminder that workshop B must be attended soon is due this many days before the period's end.
    workshop_b_reminder_days_before_period_end: int = 21
    # A workshop session's fill is checked this many days before it starts: the provider hears if it is
    # under-filled or over capacity while there is still time to act.
    session_fill_check_days_before_start: int = Field(default=7, ge=0)
    # Fewer bookings than this at the fill check make a session under-filled (CARA groups are 8 to 12).
    session_minimum_fill: int = Field(default=8, ge=1)
    # The provider is reminded this many days after a session ended if its register is still not recorded.
    register_reminder_days_after_session: int = Field(default=1, ge=0)
    # CARA_NOTIFY_RETENTION, or else the CARA_RETENTION the caution service reads: one policy can serve both.
    retention: RetentionConfig = Field(RetentionConfig(),
                                       validation_alias=AliasChoices("CARA_NOTIFY_RETENTION", "CARA_RETENTION"))
    retention_check_seconds: float = 3600.0  # how often the leader looks whether the day's retention run is due
    retention_batch: int = Field(default=500, ge=1)  # rows erased per transaction: locks stay short

    @model_validator(mode="after")
    def refuse_development_secrets_in_production(self) -> Settings:
        self.refuse_development_signing_key()
        credentials = [self.feed_token_url, self.feed_client_id, self.feed_client_secret]
        if any(credentials) and not all(credentials):
            raise ValueError("client credentials for the feed need CARA_NOTIFY_FEED_TOKEN_URL, "
                             "CARA_NOTIFY_FEED_CLIENT_ID and CARA_NOTIFY_FEED_CLIENT_SECRET together")
        if all(credentials) and self.feed_token:
            raise ValueError("set either client credentials for the feed or CARA_NOTIFY_FEED_TOKEN, not both")
        if self.environment == "production" and self.master_keys == DEV_MASTER_KEYS:
            raise ValueError("production needs its own CARA_NOTIFY_MASTER_KEYS")
        # Also when events come through NATS: a gap in the stream is filled from the feed at once, which a token
        # minted with the development key could never read in production.
        if self.environment == "production" and not (all(credentials) or self.feed_token):
            raise ValueError("production needs client credentials for the caution feed (CARA_NOTIFY_FEED_TOKEN_URL, "
                             "CARA_NOTIFY_FEED_CLIENT_ID, CARA_NOTIFY_FEED_CLIENT_SECRET) or CARA_NOTIFY_FEED_TOKEN, "
                             "which also fills gaps when events come through NATS")
        return self

    @field_validator("webhook_allowed_networks")
    @classmethod
    def allowed_networks_are_well_formed(cls, value: list[str]) -> list[str]:
        for entry in value:
            if "/" in entry:
                ipaddress.ip_network(entry, strict=False)  # a network with a typo must not pass as a host name
        return value

    def webhook_targets(self) -> AllowList:
        return AllowList.parse(self.webhook_allowed_networks)

    @property
    def webhooks_need_https(self) -> bool:
        """In production a webhook's body and signature must not cross the network in clear."""
        return self.environment == "production"

    @field_validator("master_keys")
    @classmethod
    def master_keys_are_well_formed(cls, value: str) -> str:
        MasterKeys.parse(value)
        return value

    def webhook_secrets(self) -> SecretBox:
        return SecretBox(MasterKeys.parse(self.master_keys), "webhook signing secret")
