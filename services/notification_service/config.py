"""Notification service settings (CARA_NOTIFY_* environment variables)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARA_NOTIFY_", extra="ignore")

    environment: str = "development"
    database_url: str = "sqlite:///var/notification-service.sqlite3"
    caution_feed_url: str = "http://127.0.0.1:8000"
