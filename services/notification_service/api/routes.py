"""Notification service routes: the role- and force-scoped inbox, webhook subscriptions, consumer status.

Routes check who asks and shape the answer; the queries are in inbox.py and subscriptions.py.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine

from shared.auth import Principal, Role
from shared.auth_deps import allow
from shared.openapi import problems
from shared.problems import ProblemError

from .. import consumer_health, inbox, subscriptions
from ..delivery import targets
from .schemas import (
    ConsumerStatus,
    DeliveryLogPage,
    NotificationDetail,
    NotificationPage,
    SubscriptionCreate,
    SubscriptionPage,
    SubscriptionPublic,
)

router = APIRouter(prefix="/v1")
Reader = Annotated[Principal, Depends(allow(Role.POLICE, Role.PROVIDER, Role.VICTIM_CONTACT))]
Admin = Annotated[Principal, Depends(allow(Role.ADMIN))]


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.store.engine
    return engine


@router.get("/notifications", response_model=NotificationPage, tags=["notifications"],
            responses=problems(400, 401, 403, 422))
def list_notifications(
    request: Request,
    principal: Reader,
    caution_id: Annotated[uuid.UUID | None, Query()] = None,
    session_id: Annotated[uuid.UUID | None, Query(description="Only notices about this workshop session.")] = None,
    state: Annotated[Literal["open", "done", "superseded"] | None,
                     Query(description="Only notices in this state: open (still asking for its action), done, "
                                       "superseded.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> JSONResponse:
    """Notifications for your role and force, newest first."""
    try:
        items, next_cursor = inbox.page(_engine(request), principal.force, principal.role.value,
                                        str(caution_id) if caution_id else None, limit, cursor,
                                        session_id=str(session_id) if session_id else None, state=state)
    except inbox.BadCursor as e:
        raise ProblemError(400, "bad-cursor", "Unknown cursor", str(e)) from None
    headers = {"Link": f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'} if next_cursor else {}
    return JSONResponse({"items": items, "next_cursor": next_cursor}, headers=headers)


@router.get("/notifications/{notification_id}", response_model=NotificationDetail, tags=["notifications"],
            responses=problems(401, 403, 404, 422))
def get_notification(request: Request, notification_id: uuid.UUID, principal: Reader) -> JSONResponse:
    """One notification with each delivery and its attempt log."""
    found = inbox.detail(_engine(request), str(notification_id), principal.force, principal.role.value)
    if found is None:
        raise ProblemError(404, "not-found", "No such notification", "None with that id for your role and force.")
    return JSONResponse(found)


@router.post("/subscriptions", status_code=201, response_model=SubscriptionPublic, tags=["subscriptions"],
             responses=problems(400, 401, 403, 413, 422))
def create_subscription(request: Request, body: SubscriptionCreate, principal: Admin) -> JSONResponse:
    """Register a webhook endpoint for your force; deliveries are signed with the secret (HMAC-SHA256).

    The URL's host must resolve to public addresses only (no loopback, private, shared, link-local,
    multicast or reserved ones, however spelled), carry no credentials, and be https in production;
    it is checked again before every delivery."""
    settings = request.app.state.settings
    try:
        targets.check(str(body.url), settings.webhook_targets(), require_https=settings.webhooks_need_https)
    except targets.RefusedTarget as e:
        raise ProblemError(422, "webhook-target-refused", "Webhook target refused", str(e), rule=e.rule) from None
    created = subscriptions.create(_engine(request), request.app.state.webhook_secrets, principal.force,
                                   str(body.url), body.event_types, body.secret, request.app.state.clock())
    return JSONResponse(created, status_code=201, headers={"Location": f"/v1/subscriptions/{created['id']}"})


@router.get("/subscriptions", response_model=SubscriptionPage, tags=["subscriptions"], responses=problems(401, 403))
def list_subscriptions(request: Request, principal: Admin) -> JSONResponse:
    """Your force's webhook subscriptions (secrets are never shown again)."""
    return JSONResponse({"items": subscriptions.of_force(_engine(request), principal.force)})


def _no_such_subscription() -> ProblemError:
    return ProblemError(404, "not-found", "No such subscription")


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionPublic, tags=["subscriptions"],
            responses=problems(401, 403, 404, 422))
def get_subscription(request: Request, subscription_id: uuid.UUID, principal: Admin) -> JSONResponse:
    """One subscription."""
    found = subscriptions.one(_engine(request), str(subscription_id), principal.force)
    if found is None:
        raise _no_such_subscription()
    return JSONResponse(found)


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=DeliveryLogPage, tags=["subscriptions"],
            responses=problems(401, 403, 404, 422))
def subscription_deliveries(
    request: Request, subscription_id: uuid.UUID, principal: Admin,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSONResponse:
    """Recent deliveries to this endpoint, newest first, with why each attempt failed: a category such as
    `timeout` or `http_5xx`. The force's admin alone sees these; the recipients of a notification see only
    whether it was delivered."""
    found = subscriptions.delivery_log(_engine(request), str(subscription_id), principal.force, limit)
    if found is None:
        raise _no_such_subscription()
    return JSONResponse({"items": found})


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["subscriptions"],
               responses=problems(401, 403, 404, 422))
def delete_subscription(request: Request, subscription_id: uuid.UUID, principal: Admin) -> Response:
    """Stop deliveries to this endpoint (its delivery history is kept)."""
    if not subscriptions.deactivate(_engine(request), str(subscription_id), principal.force):
        raise _no_such_subscription()
    return Response(status_code=204)


@router.get("/consumer", operation_id="getConsumerStatus", response_model=ConsumerStatus, tags=["consumer"],
            responses=problems(401, 403))
def consumer_status(request: Request, principal: Admin) -> JSONResponse:
    """How far this service has read the caution feed, how far behind it is, and what needs an operator."""
    return JSONResponse(consumer_health.status(request.app.state.store.consumer(), request.app.state.settings.source))
