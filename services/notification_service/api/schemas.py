"""Bodies of the notification service API."""

from __future__ import annotations

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field


class NotificationPublic(BaseModel):
    id: str = Field(description="Stable: the same notification always has this id, on every channel.")
    caution_id: str
    force: str
    recipient_role: str
    kind: str
    title: str
    body: str
    event_id: str | None
    event_type: str | None
    position: int | None
    created_at: AwareDatetime


class AttemptPublic(BaseModel):
    attempt: int
    at: AwareDatetime
    outcome: str
    detail: str | None


class DeliveryPublic(BaseModel):
    id: str
    channel: str
    target: str
    status: str = Field(description="pending, delivered or dead (gave up after the retry limit)")
    attempts: list[AttemptPublic]
    next_attempt_at: AwareDatetime | None
    last_error: str | None


class NotificationDetail(NotificationPublic):
    deliveries: list[DeliveryPublic]


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    event_types: list[str] = Field(default_factory=list, max_length=50,
                                   description="Event types or notification kinds to receive; empty for all.")
    secret: str | None = Field(None, min_length=16, max_length=200,
                               description="HMAC key for signatures; generated and returned once when omitted.")


class SubscriptionPublic(BaseModel):
    id: str
    url: str
    force: str
    event_types: list[str]
    active: bool
    created_at: AwareDatetime
    secret: str | None = Field(None, description="Only in the response that created the subscription.")


class SubscriptionPage(BaseModel):
    items: list[SubscriptionPublic]


class SkippedEvent(BaseModel):
    position: int | None
    event_id: str | None
    event_type: str | None
    reason: str
    skipped_at: AwareDatetime


class ConsumerStatus(BaseModel):
    source: str
    position: int
    head: int
    lag: int
    last_error: str | None
    last_error_at: AwareDatetime | None
    updated_at: AwareDatetime | None
    skipped: list[SkippedEvent]
