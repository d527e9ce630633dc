"""Prometheus gauges of the notification service's own backlog, read from its database at scrape time.

A notification that never reaches a police officer or a provider is invisible from inside the service:
these say how far the feed consumer has read, how many deliveries wait or have been given up on, and
whether the dispatcher is keeping up, and how many safeguarding concerns wait for the police to acknowledge
them and for how long. deploy/k8s/alerts.yaml acts on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from shared.metrics import DatabaseGauges

from .store import FEED, utc
from .tables import consumer_state, deliveries, safeguarding_concerns, skipped_events

# a pending delivery this far past its attempt time: the dispatcher is not keeping up
OVERDUE_AFTER = timedelta(minutes=1)
WAITING = ("pending", "dead")  # delivered rows grow without bound: counting them would make every scrape slower


URGENCIES = ("urgent", "routine")

# the consumer's state row, waiting deliveries by (channel, status), overdue deliveries, skipped events,
# unacknowledged concerns by (force, urgency), the age in seconds of the oldest unacknowledged urgent one
Figures = tuple[Any, dict[tuple[str, str], int], int, int, dict[tuple[str, str], int], float]


class NotificationCollector(DatabaseGauges[Figures]):
    up_metric = "cara_notify_database_up"
    up_help = "1 when the notification database answered this scrape"

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine, self.clock = engine, clock

    def families(self, figures: Figures) -> Iterator[Metric]:
        consumer, counts, overdue, skipped, concerns, oldest_urgent = figures
        yield GaugeMetricFamily("cara_notify_feed_position", "Last caution-feed position applied",
                                value=consumer.position)
        yield GaugeMetricFamily("cara_notify_feed_head", "The caution feed's head when the consumer last read it",
                                value=consumer.head)
        yield GaugeMetricFamily("cara_notify_consumer_failing", "1 while the consumer's last attempt failed",
                                value=1 if consumer.last_error else 0)
        waiting = GaugeMetricFamily("cara_notify_deliveries", "Deliveries waiting (pending) or given up on (dead)",
                                    labels=["channel", "status"])
        for channel in ("email", "webhook"):
            for status in WAITING:
                waiting.add_metric([channel, status], counts.get((channel, status), 0))
        yield waiting
        yield GaugeMetricFamily("cara_notify_deliveries_overdue",
                                f"Pending deliveries more than {int(OVERDUE_AFTER.total_seconds())} s "
                                "past their attempt time",
                                value=overdue)
        yield CounterMetricFamily("cara_notify_consumer_gaps", "Holes found in the positions the transport handed "
                                  "over; the events behind each waited until it was filled", value=consumer.gaps)
        open_gap = consumer.gap_before is not None and consumer.gap_filled_at is None
        yield GaugeMetricFamily("cara_notify_consumer_gap_missing", "Events missing in the gap the consumer waits on "
                                "(0 when none is open)",
                                value=max(0, consumer.gap_before - consumer.gap_after - 1) if open_gap else 0)
        yield GaugeMetricFamily("cara_notify_skipped_events", "Feed events the consumer could not apply and set aside",
                                value=skipped)
        unacknowledged = GaugeMetricFamily("cara_notify_safeguarding_unacknowledged",
                                           "Safeguarding concerns the police have not acknowledged",
                                           labels=["force", "urgency"])
        for force in sorted({force for force, _ in concerns}):
            for urgency in URGENCIES:
                unacknowledged.add_metric([force, urgency], concerns.get((force, urgency), 0))
        yield unacknowledged
        yield GaugeMetricFamily("cara_notify_safeguarding_oldest_urgent_unacknowledged_seconds",
                                "Seconds since the oldest urgent safeguarding concern still unacknowledged was "
                                "recorded (0 when none is)", value=oldest_urgent)

    def read(self) -> Figures:
        d = deliveries.c
        late = utc(self.clock()) - OVERDUE_AFTER
        with self.engine.connect() as conn:
            consumer = conn.execute(select(consumer_state).where(consumer_state.c.name == FEED)).one()
            counts = {(channel, status): n for channel, status, n in conn.execute(
                select(d.channel, d.status, func.count()).where(d.status.in_(WAITING)).group_by(d.channel, d.status))}
            overdue = conn.execute(select(func.count()).select_from(deliveries)
                                   .where(d.status == "pending", d.next_attempt_at <= late)).scalar_one()
            skipped = conn.execute(select(func.count()).select_from(skipped_events)).scalar_one()
            s = safeguarding_concerns.c
            waiting = s.acknowledged_at.is_(None)
            concerns = {(force, urgency): n for force, urgency, n in conn.execute(
                select(s.force, s.urgency, func.count()).where(waiting).group_by(s.force, s.urgency))}
            oldest = conn.execute(select(func.min(s.raised_at)).where(waiting, s.urgency == "urgent")).scalar_one()
        age = max(0.0, (utc(self.clock()) - utc(oldest)).total_seconds()) if oldest is not None else 0.0
        return consumer, counts, overdue, skipped, concerns, age
