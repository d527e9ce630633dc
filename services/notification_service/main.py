"""Composition root of the notification service.

For now it only answers health probes: following the caution feed and
delivering notifications is the next piece of work (issue 4).
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from shared.http import RequestIdMiddleware
from shared.metrics import RequestMetrics, metrics_endpoint
from shared.openapi import install_problem_openapi
from shared.problems import install_problem_handlers

from .config import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="CARA notification service", version="0.1.0")
    app.state.settings = settings
    install_problem_handlers(app)
    install_problem_openapi(app)

    @app.get("/livez", tags=["health"])
    def livez() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    registry = CollectorRegistry()
    app.add_route("/metrics", metrics_endpoint(registry), include_in_schema=False)
    app.add_middleware(RequestMetrics, registry=registry)
    app.add_middleware(RequestIdMiddleware)
    return app
