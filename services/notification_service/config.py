"""Notification service settings (CARA_NOTIFY_* environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.keyring import DEV_MASTER_KEYS, MasterKeys
from shared.rate_limits import RateLimitText
from shared.retention import RetentionConfig
from shared.secret_box import SecretBox
from shared.settings import AuthSettings


class Settings(AuthSettings):
    model_config = SettingsConfigDict(env_prefix="CARA_NOTIFY_", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/notification-service.sqlite3"
    master_keys: str = DEV_MASTER_KEYS  # seal webhook signing secrets at rest (shared/secret_box.py); current first
    # Where events come from: the caution service's HTTP feed, or a NATS JetStream relay of it.
    source: Literal["http", "nats"] = "http"
    caution_feed_url: str = "http://127.0.0.1:8000"
    # Production reads the feed with a subscriber token for force "*": better, one the service asks the identity
    # provider for and renews (OAuth 2.0 client credentials, feed_auth.py); or a fixed one, until it expires.
    feed_token_url: str | None = None
    feed_client_id: str | None = None
    feed_client_secret: SecretStr | None = None
    feed_scope: str | None = None
    feed_token: SecretStr | None = None
    feed_wait_seconds: float = 10.0
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "CARA_EVENTS"
    nats_subject_prefix: str = "cara.caution."
    nats_durable: str = "notification-service"
    # How long a gap a killed consumer leaves can stay open when the feed cannot fill it (nats_consumer.py).
    nats_ack_wait_seconds: float = Field(default=10.0, gt=0)
    run_workers: bool = True  # the consumer, dispatcher and reminders; one replica per schema runs them (workers.py)
    leader_retry_seconds: float = 2.0  # how often a standby replica tries to take over
    # Delivery
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = "cara-notifications@localhost"
    email_recipients: dict[str, dict[str, list[str]]] = {}  # force -> role -> addresses
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 6
    webhook_backoff_seconds: float = 2.0
    dispatch_poll_seconds: float = 0.5
    reminder_poll_seconds: float = 30.0
    reminder_days_before_period_end: int = 14
    workshop_b_reminder_days_before_period_end: int = 21
    # CARA_NOTIFY_RETENTION, or else the CARA_RETENTION the caution service reads: one policy can serve both.
    retention: RetentionConfig = Field(RetentionConfig(),
                                       validation_alias=AliasChoices("CARA_NOTIFY_RETENTION", "CARA_RETENTION"))
    retention_check_seconds: float = 3600.0  # how often the leader looks whether the day's retention run is due
    retention_batch: int = Field(default=500, ge=1)  # rows erased per transaction: locks stay short
    # PostgreSQL only (shared/database_timeouts.py); 0: none.
    database_connect_timeout_seconds: float = Field(default=5.0, ge=0)
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0)
    # The longest any request waits for its answer (plus a long-poll's `wait`); then 503 with Retry-After
    # (shared/request_deadline.py). 0: none.
    request_deadline_seconds: float = Field(default=15.0, ge=0)
    # /readyz reports an SQLite database with less free space than this beside it as not ready.
    ready_min_free_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # Rate limits (shared/rate_limits.py): "N/second|minute|hour", several joined with ";", or "off". A refused
    # request is answered 429 with Retry-After.
    rate_limit_writes: RateLimitText = "120/minute"  # POST/PUT/PATCH/DELETE per caller (force, role, subject)
    rate_limit_writes_per_address: RateLimitText = "600/minute"  # the same, per client address (callers behind a NAT)
    # 401s per client address; past it, requests from there without a valid token are refused until the window allows
    rate_limit_failed_auth: RateLimitText = "20/minute"
    # Where the counts are kept: "memory://" counts per process (N replicas: up to N times the limits);
    # "redis://host:6379" shares them, with an asyncio Redis client installed (the `redis` package).
    rate_limit_storage: str = "memory://"

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
        if self.environment == "production" and self.source == "http" and not (all(credentials) or self.feed_token):
            raise ValueError("production needs client credentials for the caution feed (CARA_NOTIFY_FEED_TOKEN_URL, "
                             "CARA_NOTIFY_FEED_CLIENT_ID, CARA_NOTIFY_FEED_CLIENT_SECRET) or CARA_NOTIFY_FEED_TOKEN")
        return self

    @field_validator("master_keys")
    @classmethod
    def master_keys_are_well_formed(cls, value: str) -> str:
        MasterKeys.parse(value)
        return value

    def webhook_secrets(self) -> SecretBox:
        return SecretBox(MasterKeys.parse(self.master_keys), "webhook signing secret")
