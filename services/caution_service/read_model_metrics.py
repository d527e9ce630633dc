"""Prometheus gauges of the event store's head and each read model's position, read at scrape time.

With `/readyz?exclude=projections` as the replicas' readiness probe, a read model that falls behind no
longer shows up as pods leaving service: it shows up here, for an alert to act on (deploy/k8s/alerts.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from shared.metrics import DatabaseGauges

from .projections.projector import REBUILDING, Projector


class ReadModelCollector(DatabaseGauges[tuple[int, dict[str, int]]]):
    up_metric = "cara_event_store_up"
    up_help = "1 when the event store answered this scrape's queries"

    def __init__(self, projector: Projector) -> None:
        self.projector = projector

    def read(self) -> tuple[int, dict[str, int]]:
        return self.projector.app.recorder.max_notification_id() or 0, self.projector.positions()

    def families(self, figures: tuple[int, dict[str, int]]) -> Iterator[GaugeMetricFamily]:
        head, positions = figures
        yield GaugeMetricFamily("cara_event_store_head", "Position of the last event recorded", value=head)
        position = GaugeMetricFamily("cara_projection_position", "Last event position a read model has projected",
                                     labels=["projection"])
        lag = GaugeMetricFamily("cara_projection_lag_events", "Events recorded but not yet in a read model",
                                labels=["projection"])
        rebuilding = GaugeMetricFamily("cara_projection_rebuilding", "1 while a rebuild is refilling the read model",
                                       labels=["projection"])
        for name, at in sorted(positions.items()):
            is_rebuilding = at == REBUILDING
            position.add_metric([name], 0 if is_rebuilding else at)
            lag.add_metric([name], head if is_rebuilding else max(0, head - at))
            rebuilding.add_metric([name], 1 if is_rebuilding else 0)
        yield position
        yield lag
        yield rebuilding
