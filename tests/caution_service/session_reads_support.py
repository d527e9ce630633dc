"""Workshop sessions made with the domain and saved through the application, for the read side's tests (the
session command routes are another part's): plan, book, register, cancel, each saved at once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.caution_service.application import CautionApplication
from services.caution_service.domain.session import WorkshopSession
from services.caution_service.domain.values import (
    RecordedBy,
    RegisterLine,
    RegisterOutcome,
    SessionCancellation,
    SessionGroup,
    Workshop,
)
from tests.support import T0


def provider(force: str = "CAMBS") -> RecordedBy:
    return RecordedBy(id=f"provider-{force.lower()}", role="provider", force=force, name="Pat Facilitator-Lead")


class Sessions:
    """Sessions of one force, saved through `app`; each method returns the feed position of its last event."""

    def __init__(self, app: CautionApplication, force: str = "CAMBS") -> None:
        self.app, self.force = app, force
        self.by = provider(force)

    def plan(self, day: int, *, hour: int = 18, workshop: str = "A", venue_id: str | None = None,
             venue_name: str = "Cambridge Hub", capacity: int = 10, group: str = "mens",
             facilitators: tuple[str, ...] = ("Robin Facilitator",)) -> WorkshopSession:
        starts = T0.replace(hour=hour) + timedelta(days=day)
        session = WorkshopSession.plan(
            force=self.force, provider="Safer Futures CIC", workshop=Workshop(workshop),
            venue_id=venue_id or str(uuid.uuid4()), venue_name=venue_name, starts_at=starts,
            ends_at=starts + timedelta(hours=2), capacity=capacity, group=SessionGroup(group),
            facilitators=list(facilitators), bank_holidays=(), bank_holiday_reason=None, recorded_at=T0,
            recorded_by=self.by)
        self.save(session)
        return session

    def book(self, session: WorkshopSession, caution_id: str, group_override: str | None = None,
             at: datetime = T0) -> int:
        session.book(caution_id, group_override, still_booked=set(session.bookings), recorded_at=at,
                     recorded_by=self.by)
        return self.save(session)

    def release(self, session: WorkshopSession, caution_id: str, reason: str = "moved to another session") -> int:
        session.release(caution_id, reason, recorded_at=T0, recorded_by=self.by)
        return self.save(session)

    def register(self, session: WorkshopSession, outcomes: dict[str, str], correction: bool = False) -> int:
        lines = [RegisterLine(cid, RegisterOutcome(outcome)) for cid, outcome in outcomes.items()]
        session.record_register(lines, correction=correction, still_booked=set(session.bookings),
                                recorded_at=session.ends_at, recorded_by=self.by)
        return self.save(session)

    def cancel(self, session: WorkshopSession, detail: str = "") -> int:
        session.cancel(SessionCancellation.OTHER if detail else SessionCancellation.VENUE_UNAVAILABLE, detail,
                       still_booked=set(session.bookings), recorded_at=T0, recorded_by=self.by)
        return self.save(session)

    def save(self, session: WorkshopSession) -> int:
        with self.app.transaction():
            recordings = self.app.save(session)
        return int(recordings[-1].notification.id)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]
