"""Notification service routes: the role- and force-scoped inbox, webhook subscriptions, consumer status."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import and_, insert, or_, select, update

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import problems
from shared.problems import ProblemError

from ..delivery.dispatcher import notification_body
from ..store import utc
from ..tables import attempts, deliveries, notifications, subscriptions
from .schemas import (
    ConsumerStatus, NotificationDetail, NotificationPage, SubscriptionCreate, SubscriptionPage, SubscriptionPublic,
)

router = APIRouter(prefix="/v1")
Reader = Annotated[Principal, Depends(allow(Role.POLICE, Role.PROVIDER, Role.VICTIM_CONTACT))]
Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]


def _engine(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.store.engine


def _cursor(created_at: Any, note_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([utc(created_at).isoformat(), note_id]).encode()).decode()


def _uncursor(cursor: str) -> tuple[Any, str]:
    from datetime import datetime

    try:
        at, note_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), str(note_id)
    except (ValueError, TypeError):
        raise ProblemError(400, "bad-cursor", "Unknown cursor", "The cursor is not one this service gave out.") from None


@router.get("/notifications", response_model=NotificationPage, tags=["notifications"], responses=problems(400, 401, 403, 422))
def list_notifications(
    request: Request,
    principal: Reader,
    caution_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> JSONResponse:
    """Notifications for your role and force, newest first."""
    n = notifications.c
    query = select(notifications).where(n.force == principal.force, n.recipient_role == principal.role.value)
    if caution_id:
        query = query.where(n.caution_id == str(caution_id))
    if cursor:
        at, last_id = _uncursor(cursor)
        query = query.where(or_(n.created_at < at, and_(n.created_at == at, n.id < last_id)))
    with _engine(request).connect() as conn:
        rows = conn.execute(query.order_by(n.created_at.desc(), n.id.desc()).limit(limit + 1)).mappings().all()
    items = [notification_body(dict(r)) for r in rows[:limit]]
    next_cursor = _cursor(rows[limit - 1]["created_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    headers = {"Link": f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'} if next_cursor else {}
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=headers)


@router.get("/notifications/{notification_id}", response_model=NotificationDetail, tags=["notifications"],
            responses=problems(401, 403, 404, 422))
def get_notification(request: Request, notification_id: uuid.UUID, principal: Reader) -> JSONResponse:
    """One notification with each delivery and its attempt log."""
    n = notifications.c
    with _engine(request).connect() as conn:
        row = conn.execute(select(notifications).where(
            n.id == str(notification_id), n.force == principal.force, n.recipient_role == principal.role.value)).mappings().first()
        if row is None:
            raise ProblemError(404, "not-found", "No such notification", "None with that id for your role and force.")
        found = conn.execute(select(deliveries).where(deliveries.c.notification_id == row["id"])).mappings().all()
        log = conn.execute(select(attempts).where(attempts.c.delivery_id.in_([d["id"] for d in found]))
                           .order_by(attempts.c.attempt)).mappings().all()
    detail = notification_body(dict(row))
    detail["deliveries"] = [
        {"id": d["id"], "channel": d["channel"], "target": d["target"], "status": d["status"],
         "next_attempt_at": utc(d["next_attempt_at"]).isoformat() if d["status"] == "pending" else None,
         "last_error": d["last_error"],
         "attempts": [{"attempt": a["attempt"], "at": utc(a["at"]).isoformat(), "outcome": a["outcome"], "detail": a["detail"]}
                      for a in log if a["delivery_id"] == d["id"]]}
        for d in found
    ]
    return JSONResponse(detail)


def _subscription(row: Any, secret: str | None = None) -> dict[str, Any]:
    return {"id": row["id"], "url": row["url"], "force": row["force"], "event_types": json.loads(row["event_types"]),
            "active": row["active"], "created_at": utc(row["created_at"]).isoformat(), "secret": secret}


@router.post("/subscriptions", status_code=201, response_model=SubscriptionPublic, tags=["subscriptions"],
             responses=problems(400, 401, 403, 413, 422))
def create_subscription(request: Request, body: SubscriptionCreate, principal: Admin) -> JSONResponse:
    """Register a webhook endpoint for your force; deliveries are signed with the secret (HMAC-SHA256)."""
    secret = body.secret or secrets.token_urlsafe(32)
    row = {"id": str(uuid.uuid4()), "url": str(body.url), "force": principal.force,
           "event_types": json.dumps(body.event_types), "secret": secret, "active": True,
           "created_at": utc(request.app.state.clock())}
    with _engine(request).begin() as conn:
        conn.execute(insert(subscriptions).values(**row))
    return JSONResponse(_subscription(row, secret), status_code=201, headers={"Location": f"/v1/subscriptions/{row['id']}"})


@router.get("/subscriptions", response_model=SubscriptionPage, tags=["subscriptions"], responses=problems(401, 403))
def list_subscriptions(request: Request, principal: Admin) -> JSONResponse:
    """Your force's webhook subscriptions (secrets are never shown again)."""
    with _engine(request).connect() as conn:
        rows = conn.execute(select(subscriptions).where(subscriptions.c.force == principal.force)).mappings().all()
    return JSONResponse({"items": [_subscription(r) for r in rows]})


def _owned(conn: Any, subscription_id: uuid.UUID, principal: Principal) -> Any:
    row = conn.execute(select(subscriptions).where(
        subscriptions.c.id == str(subscription_id), subscriptions.c.force == principal.force)).mappings().first()
    if row is None:
        raise ProblemError(404, "not-found", "No such subscription")
    return row


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionPublic, tags=["subscriptions"],
            responses=problems(401, 403, 404, 422))
def get_subscription(request: Request, subscription_id: uuid.UUID, principal: Admin) -> JSONResponse:
    """One subscription."""
    with _engine(request).connect() as conn:
        return JSONResponse(_subscription(_owned(conn, subscription_id, principal)))


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["subscriptions"],
               responses=problems(401, 403, 404, 422))
def delete_subscription(request: Request, subscription_id: uuid.UUID, principal: Admin) -> Response:
    """Stop deliveries to this endpoint (its delivery history is kept)."""
    with _engine(request).begin() as conn:
        _owned(conn, subscription_id, principal)
        conn.execute(update(subscriptions).where(subscriptions.c.id == str(subscription_id)).values(active=False))
    return Response(status_code=204)


@router.get("/consumer", response_model=ConsumerStatus, tags=["consumer"], responses=problems(401, 403))
def consumer_status(request: Request, principal: Admin) -> JSONResponse:
    """How far this service has read the caution feed, how far behind it is, and the last error."""
    state = request.app.state.store.consumer()

    def when(value: Any) -> str | None:
        return utc(value).isoformat() if value else None

    return JSONResponse({
        "source": request.app.state.settings.source,
        "position": state["position"],
        "head": state["head"],
        "lag": max(0, state["head"] - state["position"]),
        "last_error": state["last_error"],
        "last_error_at": when(state["last_error_at"]),
        "updated_at": when(state["updated_at"]),
        "skipped": [{**s, "skipped_at": when(s["skipped_at"])} for s in state["skipped"]],
    })
