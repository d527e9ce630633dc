"""Prometheus request metrics, one registry per app so several apps can live in one test process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestMetrics:
    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                                 registry=registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], route, str(status[0])).inc()
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def metrics_endpoint(registry: CollectorRegistry) -> Callable[[Request], Response]:
    def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


Figures = TypeVar("Figures")


class DatabaseGauges(Collector, Generic[Figures]):
    """Gauges read from a database at scrape time. When the database does not answer, the scrape still does:
    `<up_metric> 0` and nothing else, rather than a failed scrape or figures it could not read."""

    up_metric = ""
    up_help = ""

    def read(self) -> Figures:
        raise NotImplementedError

    def families(self, figures: Figures) -> Iterator[Metric]:
        raise NotImplementedError

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(self.up_metric, self.up_help)
        try:
            figures = self.read()
        except Exception as e:  # a scrape must still answer, with the failure as a value
            logging.getLogger("cara.metrics").warning("%s: database unavailable (%s)", self.up_metric, type(e).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from self.families(figures)
