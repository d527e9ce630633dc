"""Prometheus request metrics, one registry per app so several apps can live in one test process."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response


class RequestMetrics:
    def __init__(self, app: Any, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"], registry=registry)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], route, str(status[0])).inc()
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def metrics_endpoint(registry: CollectorRegistry):  # type: ignore[no-untyped-def]
    def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
