"""Bodies of the notification service API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field

from shared.text import PLAIN_CODE


class NotificationPublic(BaseModel):
    id: str = Field(description="Stable: the same notification always has this id, on every channel.")
    caution_id: str | None = Field(description="The caution it is about; null for a notice about a workshop session.")
    session_id: str | None = Field(description="The workshop session it is about; null for a notice about a caution.")
    force: str
    recipient_role: str
    kind: str
    title: str
    body: str
    event_id: str | None
    event_type: str | None
    position: int | None
    created_at: AwareDatetime
    priority: Literal["urgent", "normal"] = Field(
        description="urgent (a safeguarding concern, its escalation): delivered first; the email subject starts "
                    "with URGENT.")
    due_on: date | None = Field(description="The UK day the action it asks for is due; null when none is.")
    state: Literal["open", "done", "superseded"] = Field(
        description="open until the action it asks for is recorded (done) or no longer owed (superseded: the "
                    "caution closed, or was decided otherwise).")
    done_at: AwareDatetime | None = Field(description="When the completing action was recorded.")
    superseded_at: AwareDatetime | None = Field(description="When it stopped being owed.")


class AttemptPublic(BaseModel):
    attempt: int
    at: AwareDatetime
    outcome: str = Field(description="delivered or failed")


class DeliveryPublic(BaseModel):
    """What a notification's recipients see of its delivery: whether and when, not why it failed (that is the
    force admin's, on /v1/subscriptions/{id}/deliveries, and the operator's, in the log)."""
    id: str
    channel: str
    target: str
    status: str = Field(description="pending, delivered or dead (gave up after the retry limit)")
    attempts: list[AttemptPublic]
    next_attempt_at: AwareDatetime | None


ERROR_DESCRIPTION = ("Why the attempt failed, as a category: timeout, connection_refused, connection_failed, tls, "
                     "http_1xx, http_3xx, http_4xx, http_5xx, refused_target (the address is not one webhooks may "
                     "go to), subscription_inactive, other. Never the error's text.")


class AttemptLog(AttemptPublic):
    error: str | None = Field(description=ERROR_DESCRIPTION)


class DeliveryLog(BaseModel):
    id: str
    notification_id: str
    status: str = Field(description="pending, delivered or dead (gave up after the retry limit)")
    attempts: list[AttemptLog]
    next_attempt_at: AwareDatetime | None
    last_error: str | None = Field(description=ERROR_DESCRIPTION)


class DeliveryLogPage(BaseModel):
    items: list[DeliveryLog]


class NotificationDetail(NotificationPublic):
    deliveries: list[DeliveryPublic]


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://receiver.example.org/cara/webhook", "event_types": ["new_referral", "Completed"]}]})
    url: AnyHttpUrl
    event_types: list[Annotated[str, PLAIN_CODE]] = Field(default_factory=list, max_length=50,
                                   description="Event types or notification kinds to receive; empty for all.")
    secret: Annotated[str, PLAIN_CODE] | None = Field(None, min_length=16, max_length=200,
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


class FeedGap(BaseModel):
    after: int = Field(description="The last position applied when the gap was found.")
    before: int = Field(description="The first event held back behind it.")
    missing: int = Field(description="How many events the gap held (positions after + 1 to before - 1).")
    found_at: AwareDatetime | None
    filled_at: AwareDatetime | None = Field(description="Null while the gap is open: events behind it wait.")
    filled_by: str | None = Field(description="feed (read from the caution service) or redelivery (by NATS).")


class ConsumerStatus(BaseModel):
    status: Literal["ok", "error"] = Field(description="error while any of `errors` holds.")
    errors: list[str] = Field(description="What needs an operator: the last failure, an open gap, skipped events. "
                                          "A skipped event never becomes a notification.")
    source: str
    position: int
    head: int
    lag: int
    last_error: str | None
    last_error_at: AwareDatetime | None
    updated_at: AwareDatetime | None
    gaps: int = Field(description="Holes found in what the transport handed over (each filled before moving on).")
    last_gap: FeedGap | None
    skipped_total: int = Field(description="Events set aside as unappliable, ever; `skipped` has the newest 20.")
    skipped: list[SkippedEvent]
