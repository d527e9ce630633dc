"""Composition root of the notification service: `create_app(settings, clock)`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, create_engine, text

from shared.auth import DEV_NATIONAL_SUBSCRIBER, NATIONAL, Role, mint_token
from shared.database_faults import RETRY_AFTER_SECONDS
from shared.database_timeouts import with_timeouts
from shared.docs import install_docs
from shared.http import BodyLimitMiddleware, RequestIdMiddleware
from shared.metrics import RequestMetrics, metrics_endpoint
from shared.openapi import install_problem_openapi, operation_id
from shared.problems import install_problem_handlers, problem_response
from shared.rate_limits import RateLimitPolicy, RateLimits
from shared.request_deadline import RequestDeadline
from shared.retention_metrics import RetentionCollector
from shared.security_headers import SecurityHeaders
from shared.startup import with_startup_retries
from shared.strict_query import STRICT_QUERY
from shared.write_probe import not_writable, require_writable

from . import subscriptions
from .api import routes
from .config import Settings
from .consumer import FeedConsumer
from .delivery.dispatcher import Dispatcher
from .feed_auth import ClientCredentials
from .metrics import NotificationCollector
from .migrations import MIGRATIONS, migrate
from .retention import ITEMS as RETENTION_ITEMS
from .retention import TABLES as RETENTION_TABLES
from .retention import build_retention
from .rules import ReminderPolicy, require_decided
from .sessions import SessionPolicy
from .store import NotificationStore
from .tables import write_probe
from .workers import EventSource, Workers


def utc_now() -> datetime:
    return datetime.now(UTC)


def _engine(settings: Settings) -> Engine:
    url = with_timeouts(settings.database_url, settings.database_connect_timeout_seconds,
                        settings.database_statement_timeout_seconds)
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        with engine.connect() as conn:
            conn.execute(text("PRAGMA journal_mode=WAL"))
        return engine
    return create_engine(url, pool_pre_ping=True)


def build_store(settings: Settings, clock: Callable[[], datetime]) -> NotificationStore:
    policy = ReminderPolicy(settings.reminder_days_before_period_end,
                            settings.workshop_b_reminder_days_before_period_end,
                            settings.safeguarding_escalation_minutes, settings.routine_concern_escalation_hours)
    engine = _engine(settings)
    require_writable(engine)  # a process that cannot write stops at once: its supervisor retries (write_probe.py)
    if settings.migrate_at_start:
        with_startup_retries(lambda: migrate(engine))  # every process of this service starts here
    else:  # its role may not create tables: `make migrate`, as the migrator role, has upgraded the schema
        MIGRATIONS.require_head(engine, "CARA_NOTIFY_MIGRATE_AT_START")
    sessions = SessionPolicy(settings.session_fill_check_days_before_start, settings.session_minimum_fill,
                             settings.register_reminder_days_after_session)
    return with_startup_retries(lambda: NotificationStore(engine, clock, policy, settings.email_recipients, sessions,
                                                          settings.escalation_recipients))


def feed_token(settings: Settings) -> Callable[[], str]:
    if settings.feed_token_url and settings.feed_client_id and settings.feed_client_secret:
        return ClientCredentials(settings.feed_token_url, settings.feed_client_id,
                                 settings.feed_client_secret.get_secret_value(), settings.feed_scope)
    if settings.feed_token:
        fixed = settings.feed_token.get_secret_value()
        return lambda: fixed
    # Local runs: a short-lived national subscriber token signed with the shared development key, for the subject
    # the caution service grants national scope to by default outside production (CARA_NATIONAL_SUBSCRIBERS).
    return lambda: mint_token(settings.jwt_secret, role=Role.SUBSCRIBER, force=NATIONAL, issuer=settings.jwt_issuer,
                              audience=settings.jwt_audience, subject=DEV_NATIONAL_SUBSCRIBER, ttl_seconds=300)


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_workers:
            app.state.workers.start()
        yield
        app.state.workers.stop()
        app.state.verifier.close()

    return lifespan


def build_source(settings: Settings, store: NotificationStore, dispatcher: Dispatcher) -> EventSource:
    if settings.source == "nats":
        from .feed_gap import FeedGapReader
        from .nats_consumer import NatsConsumer

        return NatsConsumer(store, settings.nats_url, settings.nats_stream, settings.nats_subject_prefix,
                            settings.nats_durable, dispatcher.wakeup.set,
                            feed=FeedGapReader(settings.caution_feed_url, feed_token(settings)),
                            ack_wait=settings.nats_ack_wait_seconds)
    return FeedConsumer(store, settings.caution_feed_url, feed_token(settings), settings.feed_wait_seconds,
                        dispatcher.wakeup.set)


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or Settings()
    require_decided()
    app = FastAPI(title="CARA notification service", version="0.1.0", lifespan=_lifespan(settings),
                  dependencies=[STRICT_QUERY], generate_unique_id_function=operation_id,
                  docs_url=None, redoc_url=None,  # served from this origin instead (shared/docs.py)
                  telemetry=settings.fastapi_telemetry(),
                  description="Turns caution events into notifications for police, providers and victim contact, "
                              "and delivers them (inbox, signed webhooks, email). "
                              "Errors are RFC 9457 problem documents.")
    app.state.settings = settings
    app.state.clock = clock
    app.state.verifier = settings.verifier()
    app.state.webhook_secrets = settings.webhook_secrets()
    app.state.store = build_store(settings, clock)
    subscriptions.reseal_secrets(app.state.store.engine, app.state.webhook_secrets)
    app.state.dispatcher = Dispatcher(
        app.state.store.engine, clock, smtp_host=settings.smtp_host, smtp_port=settings.smtp_port,
        email_from=settings.email_from, timeout=settings.webhook_timeout_seconds,
        max_attempts=settings.webhook_max_attempts, backoff_seconds=settings.webhook_backoff_seconds,
        secrets=app.state.webhook_secrets, allow=settings.webhook_targets(),
        require_https=settings.webhooks_need_https, workers=settings.dispatch_workers,
        per_endpoint=settings.webhook_concurrency_per_endpoint, breaker_failures=settings.webhook_breaker_failures,
        breaker_seconds=settings.webhook_breaker_seconds,
    )
    app.state.source = build_source(settings, app.state.store, app.state.dispatcher)
    app.state.workers = Workers(
        settings.database_url, app.state.source, app.state.dispatcher, app.state.store,
        dispatch_poll_seconds=settings.dispatch_poll_seconds, reminder_poll_seconds=settings.reminder_poll_seconds,
        join_seconds=settings.feed_wait_seconds + 15, retry_seconds=settings.leader_retry_seconds,
        retention=build_retention(app.state.store.engine, settings.retention, clock, settings.retention_batch),
        retention_check_seconds=settings.retention_check_seconds,
    )
    install_problem_handlers(app)
    install_problem_openapi(app)
    install_docs(app)

    @app.get("/livez", tags=["health"])
    async def livez() -> dict[str, str]:  # on the event loop: a busy thread pool must not make it look dead
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"],
             responses={503: {"description": "Not ready: the database cannot be written or keys cannot be verified"}})
    def readyz() -> JSONResponse:
        """The database takes writes (a one-row write is committed; on SQLite, free space is left beside it) and
        tokens can be verified."""
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        unwritable = not_writable(app.state.store.engine, write_probe, settings.ready_min_free_bytes)
        if unwritable is not None:
            return problem_response(503, "not-ready", "Not ready", f"{unwritable.capitalize()}.", headers=retry)
        keys = app.state.verifier.not_ready()
        if keys is not None:
            return problem_response(503, "not-ready", "Not ready", f"{keys.capitalize()}.", headers=retry)
        workers = "leading" if app.state.workers.leading.is_set() else "standby" if settings.run_workers else "off"
        return JSONResponse({"status": "ok", "database": "ok", "workers": workers})

    app.include_router(routes.router)
    registry = CollectorRegistry()
    registry.register(NotificationCollector(app.state.store.engine, clock))
    registry.register(RetentionCollector(app.state.store.engine, RETENTION_TABLES, RETENTION_ITEMS))
    app.add_route("/metrics", metrics_endpoint(registry), include_in_schema=False)
    app.add_middleware(RateLimits, policy=RateLimitPolicy.of("notification", settings))  # inside metrics: 429s counted
    app.add_middleware(RequestMetrics, registry=registry)
    app.add_middleware(BodyLimitMiddleware, max_bytes=64 * 1024)
    app.add_middleware(RequestDeadline, seconds=settings.request_deadline_seconds)  # inside: its 503 has an id
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeaders)  # outermost: every answer has them, the middlewares' own included
    logging.getLogger("cara.notify").info("notification service configured: events from %s (%s), workers %s",
                                          settings.source, settings.caution_feed_url if settings.source == "http"
                                          else settings.nats_url, "on" if settings.run_workers else "off")
    return app
