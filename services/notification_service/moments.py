"""Moments as the service stores and compares them: in UTC, whatever the database hands back."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    """SQLite returns what it stored without its zone; the service only ever stores UTC."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
