"""Notification service settings (CARA_NOTIFY_* environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import AuthSettings


class Settings(AuthSettings):
    model_config = SettingsConfigDict(env_prefix="CARA_NOTIFY_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/notification-service.sqlite3"
    # Where events come from: the caution service's HTTP feed, or a NATS JetStream relay of it.
    source: Literal["http", "nats"] = "http"
    caution_feed_url: str = "http://127.0.0.1:8000"
    feed_token: str | None = None  # production: a subscriber token from the identity provider
    feed_wait_seconds: float = 10.0
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "CARA_EVENTS"
    nats_subject_prefix: str = "cara.caution."
    nats_durable: str = "notification-service"
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

    @model_validator(mode="after")
    def refuse_development_secrets_in_production(self) -> Settings:
        self.refuse_development_signing_key()
        if self.environment == "production" and self.source == "http" and not self.feed_token:
            raise ValueError("production needs CARA_NOTIFY_FEED_TOKEN to read the caution feed")
        return self
