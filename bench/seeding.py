"""A large event store, fast: one real caution lifecycle, copied for many new caution ids.

The lifecycle is recorded once through CautionApplication (the real domain and mapper) on a
scratch SQLite file. Its stored events are then copied for every new caution: the same topic
and state bytes and a new originator_id. Only the issue event is touched, to give each caution
its own police reference and offender reference (two cautions per offender), so filters and
look-ups select realistic numbers of rows.

Cautions follow a repeating mix of four shapes, prefixes of the one lifecycle, so that the
average is exactly ten events per caution and half the cautions are open and overdue:

  12 events  completed, victim contacted on completion      (nothing due)
  12 events  the same                                        (nothing due)
   9 events  workshop B booked 20 days ago, not attended     (attend_workshop_b, overdue)
   7 events  workshop A attended, victim not yet contacted   (contact_victim_after_workshop_a, overdue)

Issue dates are spread over ISSUE_DAYS days: each caution's events are the template's with every date
and time moved back by 0..ISSUE_DAYS-1 whole days (so every caution stays internally consistent, and
its caution period is still running). Lists ordered by issue date then see ~N/ISSUE_DAYS cautions a day.

Events are interleaved the way a live store has them: cautions are laid out in groups
(`interleave` cautions at a time), and within a group each caution's first event comes
first, then each caution's second event, and so on.

Rows go in with one SQLAlchemy Core multi-row INSERT per batch into the application's own events
table (checked against `recorder.insert_events` by `verify_bulk_insert`).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.domain.caution import Caution
from services.caution_service.event_store import engine_of, events_table
from services.caution_service.main import build_application
from shared.keyring import person_keys

from . import infra
from .library import RECORDED_BY
from .workload import STEPS, issue_time, new_caution

SHAPES = (12, 12, 9, 7)  # events per caution, repeating; mean 10
EVENTS_PER_CYCLE = sum(SHAPES)
ISSUE_DAYS = 50  # issued 60..109 days ago: every caution period (112 days) is still running
TEMPLATE_SERIAL = 1
_WHEN = re.compile(rb'("_type_":"(datetime_iso|date_iso)","_data_":")([^"]+)"')
POLICE_REFERENCE = b'"CC-BENCH-00000001"'
OFFENDER_REFERENCE = b'"PNC-00000001"'


@dataclass(frozen=True)
class TemplateEvent:
    version: int
    topic: str
    state: bytes


def shifted(state: bytes, days: int) -> bytes:
    """The event state with every date and datetime moved `days` days earlier."""
    if days == 0:
        return state

    def move(m: re.Match[bytes]) -> bytes:
        value = m.group(3).decode()
        moved = (datetime.fromisoformat(value) if m.group(2) == b"datetime_iso" else date.fromisoformat(value)) \
            - timedelta(days=days)
        return m.group(1) + moved.isoformat().encode() + b'"'

    return _WHEN.sub(move, state)


@dataclass(frozen=True)
class Template:
    events: tuple[TemplateEvent, ...]
    issued_at: datetime
    keys: tuple[dict[str, Any], ...] = ()  # the person_keys rows its seals need
    states: list[list[bytes]] = field(init=False, repr=False)  # [days moved back][event index]

    def __post_init__(self) -> None:  # the states of every shift, computed once
        object.__setattr__(self, "states", [[shifted(e.state, d) for e in self.events] for d in range(ISSUE_DAYS)])

    def state(self, serial: int, index: int) -> bytes:
        state = self.states[shift_of(serial)][index]
        if index == 0:
            state = state.replace(POLICE_REFERENCE, b'"CC-SEED-%08d"' % serial)
            state = state.replace(OFFENDER_REFERENCE, b'"' + offender_reference(serial).encode() + b'"')
        return state


def shift_of(serial: int) -> int:
    """Days this caution's dates are moved back; consecutive cautions (one of each shape) share a day."""
    return (serial // len(SHAPES)) % ISSUE_DAYS


def offender_reference(serial: int) -> str:
    return f"PNC-S{serial // 2:07d}"


def open_app(database_url: str) -> CautionApplication:
    return build_application(Settings(environment="test", database_url=database_url))


def close_app(app: CautionApplication) -> None:
    app.close()
    engine = None
    with contextlib.suppress(TypeError):  # not stored through SQLAlchemy
        engine = engine_of(app)
    if engine is not None:
        engine.dispose()


def build_template() -> Template:
    """One caution's whole life (issue and the 11 workload commands) through the real application."""
    with infra.sqlite_file() as url:
        app = open_app(url)
        try:
            issued = issue_time()
            caution_id = app.issue(lambda: new_caution(issued, datetime.now(UTC), TEMPLATE_SERIAL,
                                                       app.keyring)).caution.id
            for step in STEPS:
                stamp = {"recorded_at": datetime.now(UTC), "recorded_by": RECORDED_BY[step.role]}
                app.change(caution_id, step.command(issued, stamp))
            stored = app.recorder.select_notifications(1, 100)
            with app.engine.connect() as connection:  # the copies share the template's people, and their keys
                keys = tuple(dict(row) for row in connection.execute(select(person_keys)).mappings())
        finally:
            close_app(app)
    events = tuple(TemplateEvent(n.originator_version, n.topic, n.state) for n in stored)
    assert [e.version for e in events] == list(range(1, len(STEPS) + 2)), "the template is one caution's events"
    assert len(events) >= max(SHAPES)
    issued_state = events[0].state
    for marker in (POLICE_REFERENCE, OFFENDER_REFERENCE):
        assert issued_state.count(marker) == 1, f"{marker!r} must occur once in the issue event"
    for e in events:  # the copies must not carry the template's identity anywhere in their state
        assert str(caution_id).encode() not in e.state and caution_id.hex.encode() not in e.state
    return Template(events, issued, keys)


def caution_rows(template: Template, cautions: int, interleave: int, first_serial: int = 0,
                 total_events: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Rows for `cautions` new cautions, one group (`interleave` cautions) per yielded list.

    When `total_events` is given, the last caution is cut short so the store holds exactly that many."""
    remaining: float = total_events if total_events is not None else float("inf")
    serial = first_serial
    events = template.events
    while serial < first_serial + cautions and remaining > 0:
        group = []
        for _ in range(min(interleave, first_serial + cautions - serial)):
            length = int(min(SHAPES[serial % len(SHAPES)], remaining))
            if length <= 0:
                break
            group.append((uuid.uuid4(), serial, length))
            remaining -= length
            serial += 1
        rows = []
        for k in range(max(SHAPES)):
            e = events[k]
            for caution_id, s, length in group:
                if k < length:
                    rows.append({"originator_id": caution_id, "originator_version": e.version, "topic": e.topic,
                                 "state": template.state(s, k)})
        yield rows


def cautions_for(events: int) -> int:
    """How many cautions `events` events make with the shape mix (the last one may be cut short)."""
    cycles, rest = divmod(events, EVENTS_PER_CYCLE)
    cautions = cycles * len(SHAPES)
    for length in SHAPES:
        if rest <= 0:
            break
        cautions += 1
        rest -= length
    return cautions


def bulk_insert(app: CautionApplication, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
    table = events_table(app)
    engine = engine_of(app)
    with engine.begin() as conn:
        for start in range(0, len(rows), chunk):
            conn.execute(insert(table), rows[start:start + chunk])


def seed(app: CautionApplication, template: Template, events: int, interleave: int,
         progress: Callable[[int, float], None] = lambda done, elapsed: None) -> dict[str, Any]:
    cautions = cautions_for(events)
    if template.keys:
        with engine_of(app).begin() as connection:
            connection.execute(insert(person_keys), list(template.keys))
    started, done = time.perf_counter(), 0
    for rows in caution_rows(template, cautions, interleave, total_events=events):
        bulk_insert(app, rows)
        done += len(rows)
        progress(done, time.perf_counter() - started)
    wall = time.perf_counter() - started
    head = app.recorder.max_notification_id() or 0
    assert head == done == events, f"seeded {done} events, head is {head}, wanted {events}"
    return {"events": done, "cautions": cautions, "wall_seconds": round(wall, 2),
            "events_per_second": round(done / wall, 1) if wall else None, "interleave": interleave}


def verify_bulk_insert(kind: str, template: Template) -> None:
    """The Core bulk insert stores exactly what `recorder.insert_events` stores (checked on a scratch database)."""
    from eventsourcing.persistence import StoredEvent

    with infra.database(kind) as url:
        app = open_app(url)
        try:
            library_id = uuid.uuid4()
            app.recorder.insert_events([StoredEvent(library_id, e.version, e.topic, e.state) for e in template.events])
            bulk_id = uuid.uuid4()
            bulk_insert(app, [{"originator_id": bulk_id, "originator_version": e.version, "topic": e.topic,
                               "state": e.state} for e in template.events])
            a, b = app.recorder.select_events(library_id), app.recorder.select_events(bulk_id)
            assert [(e.originator_version, e.topic, e.state) for e in a] == \
                   [(e.originator_version, e.topic, e.state) for e in b], "bulk rows differ from insert_events rows"
            assert {e.originator_id for e in b} == {bulk_id}
            table = events_table(app)
            engine = engine_of(app)
            with engine.connect() as conn:  # the raw column values, as the driver returns them
                rows = conn.exec_driver_sql(
                    f"SELECT originator_id, originator_version, topic, state FROM {table.name} "
                    f"WHERE id IN (SELECT MIN(id) FROM {table.name} GROUP BY originator_id) ORDER BY id"
                ).all()
                assert len(rows) == 2 and type(rows[0][0]) is type(rows[1][0]), "originator_id stored differently"
                assert rows[0][1:] == rows[1][1:]
                ids = conn.execute(select(table.c.id).order_by(table.c.id)).scalars().all()
                assert list(ids) == list(range(1, 2 * len(template.events) + 1))
            caution: Caution = app.repository.get(bulk_id)
            assert caution.version == len(template.events)
        finally:
            close_app(app)
