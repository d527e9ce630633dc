"""The composition root: `create_app(settings)` wires settings, store, auth and routes."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from eventsourcing.persistence import MapperDeserialisationError
from eventsourcing.utils import get_topic
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from shared.catalogue import require_catalogued
from shared.docs import install_docs
from shared.http import BodyLimitMiddleware, RequestIdMiddleware, install_access_log_redaction
from shared.metrics import RequestMetrics, metrics_endpoint
from shared.openapi import install_problem_openapi, operation_id
from shared.problems import install_problem_handlers
from shared.rate_limits import RateLimitPolicy, RateLimits
from shared.request_deadline import RequestDeadline
from shared.retention_metrics import RetentionCollector
from shared.security_headers import SecurityHeaders
from shared.startup import with_startup_retries
from shared.strict_query import STRICT_QUERY
from shared.write_probe import require_writable

from .active_clients import ActiveClients, TrackWritingClients
from .api import (
    cautions,
    commands,
    consultation_log,
    exports,
    feed,
    health,
    personal_data,
    provider_worklist,
    records,
    safeguarding,
    scrutiny,
    sessions_commands,
    sessions_reads,
    subject_access,
    venues,
    victim_contacts,
)
from .api import reports as outcome_reports
from .api import worklist as worklist_routes
from .api.errors import install_domain_handlers
from .api.shared_reads import SharedReads
from .application import CautionApplication
from .config import Settings
from .consultations import ConsultationLog
from .deadlines import DeadlineMonitor
from .domain.caution import Caution, event_names
from .domain.errors import StoreHoldsClearText
from .migrations import migrate, require_migrated
from .position_watch import PositionWatch
from .projections.wiring import build_projector
from .read_model_metrics import ReadModelCollector
from .retention import ITEMS as RETENTION_ITEMS
from .retention import TABLES as RETENTION_TABLES
from .retention import build_retention
from .session_commands import SessionCommands
from .signing import require_signer
from .vault import VictimVault
from .writer import build_writer

VERSION = "0.1.0"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _prepare_sqlite_directory(url: str) -> None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        Path(url[len(prefix):]).parent.mkdir(parents=True, exist_ok=True)


def build_application(settings: Settings, clock: Callable[[], datetime] = utc_now) -> CautionApplication:
    """The application on a database whose tables are at the newest migration: every process of this
    service (API, projection worker, relay, rebuild) starts here, so each upgrades the schema first."""
    _prepare_sqlite_directory(settings.database_url)
    # A process that may not migrate may not create the event store's tables either (migrations/__init__.py).
    env = {**settings.eventsourcing_env(), **({} if settings.migrate_at_start else {"CREATE_TABLE": "no"})}
    return with_startup_retries(lambda: _migrated(CautionApplication(
        env, VictimVault(settings.vault_key), clock, settings.conditions_for, settings.master(),
    ), settings.migrate_at_start))


def _migrated(app: CautionApplication, migrate_at_start: bool = True) -> CautionApplication:
    """On the application's own engine: an in-memory SQLite database exists only there."""
    require_writable(app.engine)  # before the migration lock, which a read-only file system refuses obscurely
    if migrate_at_start:
        migrate(app.engine)
    else:
        require_migrated(app.engine)
    refuse_clear_text_store(app)
    app.idempotency.key_legacy_fingerprints()
    return app


class ClearTextStore(RuntimeError):
    """The store was written by a version that held offenders' names and dates of birth in clear."""


def refuse_clear_text_store(app: CautionApplication) -> None:
    """Refuses, at start, a store whose cautions were issued before personal data was sealed per person.

    Their names and dates of birth are inside the integrity chains in clear, so no key can erase them, and
    sealing them now would change every digest a court was given. Such a store is not read at all: its
    data is moved under the process in README.md ("An existing store"), not by this service. The first
    caution issued is enough to tell: a store is written by one version or the other, never both."""
    first = app.recorder.select_notifications(start=None, limit=1, topics=[get_topic(Caution.Issued)])
    if not first:
        return
    try:
        app.mapper.to_domain_event(first[0])
    except (StoreHoldsClearText, MapperDeserialisationError) as e:
        if not isinstance(e, StoreHoldsClearText) and not isinstance(e.__cause__, StoreHoldsClearText):
            raise
        raise ClearTextStore(
            "This event store was written before personal data was sealed per person (issue 14): it holds "
            "offenders' names and dates of birth in clear. This version refuses to start on it; see README.md, "
            "'Personal data', 'An existing store'.") from None


def _background_work(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Embedded default: projections, the deadline monitor and retention run inside the API process."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if settings.run_projections:
            threads.append(app.state.projector.run_in_thread(stop, settings.projection_poll_seconds,
                                                                 settings.retry_cap_seconds))
            threads.append(app.state.deadlines.run_in_thread(stop, settings.deadline_check_seconds))
            threads.append(app.state.retention.run_in_thread(stop, settings.retention_check_seconds))
        yield
        app.state.writer.stop()
        stop.set()
        app.state.projector.wakeup.set()
        for thread in threads:
            thread.join(timeout=10)
        app.state.verifier.close()

    return lifespan


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or Settings()
    require_signer(settings)  # production: the court certificate's signing key is there and usable, or no start
    require_catalogued(event_names())  # the feed and the court's history describe every event from the catalogue
    app = FastAPI(
        lifespan=_background_work(settings),
        dependencies=[STRICT_QUERY],
        generate_unique_id_function=operation_id,
        docs_url=None, redoc_url=None,  # served from this origin instead (shared/docs.py)
        telemetry=settings.fastapi_telemetry(),
        title="CARA caution service",
        version=VERSION,
        description="Records CARA conditional and diversionary cautions as immutable events and "
        "answers for their compliance. Errors are RFC 9457 problem documents.",
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.cautions = build_application(settings, clock)
    writing_clients = ActiveClients()
    app.state.writer = build_writer(app.state.cautions, settings.writer, settings.aggregate_cache_size, writing_clients,
                                    settings.writer_coalesce_ms / 1000)
    app.state.projector = with_startup_retries(lambda: build_projector(app.state.cautions))
    app.state.cautions.saved_listeners.append(lambda position: app.state.projector.wakeup.set())
    app.state.deadlines = DeadlineMonitor(app.state.cautions, clock)
    app.state.consultations = ConsultationLog(app.state.cautions.engine, clock)
    app.state.retention = build_retention(app.state.cautions, settings.retention, clock,
                                          settings.retention_batch)
    # Feed readers wait for the store's head; reads given a min_position, for the read models.
    app.state.feed_pages = SharedReads()  # long-polls woken together read their page once (api/shared_reads.py)
    app.state.store_head = PositionWatch(
        "the event store's head", lambda: app.state.cautions.recorder.max_notification_id() or 0, every=0.1)
    app.state.projected = PositionWatch("the read models' position", lambda: app.state.projector.position(), every=0.02)
    app.state.cautions.saved_listeners.append(app.state.store_head.poke)  # its own writes release feed waiters
    app.state.projector.batch_listeners.append(app.state.projected.poke)
    app.state.verifier = settings.verifier()
    install_problem_handlers(app)
    install_domain_handlers(app)
    install_problem_openapi(app)
    install_docs(app)
    # FastAPI tries routes in the order included, twice per request; commands are most of the traffic.
    app.include_router(commands.router)
    app.include_router(cautions.router)
    app.include_router(health.router)
    app.include_router(records.router)
    app.include_router(exports.router)
    app.include_router(feed.router)
    app.include_router(consultation_log.router)
    app.include_router(personal_data.router)
    app.include_router(subject_access.router)
    # Workshop sessions (issue 18): their commands write sessions and cautions together, beside the writer.
    app.state.session_commands = SessionCommands(app.state.cautions)
    for sessions_router in (sessions_commands, sessions_reads, venues, provider_worklist, safeguarding,
                           victim_contacts, scrutiny):
        app.include_router(sessions_router.router)
    app.include_router(worklist_routes.router)  # issue 19: every role's required actions
    app.include_router(outcome_reports.router)  # the commissioner's outcomes report (issue 19)
    registry = CollectorRegistry()
    registry.register(ReadModelCollector(app.state.projector))
    registry.register(RetentionCollector(app.state.cautions.engine, RETENTION_TABLES, RETENTION_ITEMS))
    app.add_route("/metrics", metrics_endpoint(registry), include_in_schema=False)
    app.add_middleware(TrackWritingClients, clients=writing_clients)
    app.add_middleware(RateLimits, policy=RateLimitPolicy.of("caution", settings))  # inside metrics: 429s counted
    app.add_middleware(RequestMetrics, registry=registry)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestDeadline, seconds=settings.request_deadline_seconds)  # inside: its 503 has an id
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeaders)  # outermost: every answer has them, the middlewares' own included
    install_access_log_redaction()  # names in a query string (refused, but sent) never reach our access log
    logging.getLogger("cara").info("caution service configured: %s", settings.describe())
    return app
