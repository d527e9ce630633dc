"""`python -m bench.notify`: event-to-notification latency under command load, over the HTTP feed and over NATS.

Each scenario starts fresh databases and real processes:

* http  - the caution service and the notification service following its feed (long-poll,
          CARA_NOTIFY_FEED_WAIT_SECONDS=--feed-wait);
* nats  - the caution service, the NATS relay (`python -m services.caution_service.relay`) into a
          JetStream stream of its own (unique name and subject prefix, deleted afterwards), and the
          notification service with CARA_NOTIFY_SOURCE=nats.

--clients clients run the command workload (bench/workload.py) against the caution service for
--seconds seconds. Afterwards: the time until the notification service's consumer position reached
the caution store's head; then every notification of force CAMBS for each role (police, provider,
victim_contact), paged with the cursor. Latency of a notification = its created_at minus the
recorded_at of the event that caused it (both stamped by this machine's clock; recorded_at is
taken when the service runs the command, before it loads the caution and commits). Also reported:
the same minus the moment the writing client had its response ("after ack"), which leaves out the
write's own time. Reminder notifications (no event) are left out.

Figures are printed and written to bench/results/notify-<date>.json and .md, and latest.md (own section).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from shared.events import event_id
from tests.support import auth, national_auth

from . import infra, report
from .http_load import TIMEOUT, Request, Tally, _result, _warm_up, command_load
from .raw_http import Connection, Response
from .stats import summary_ms

RESULTS = Path(__file__).resolve().parent / "results"
HEADING = "# Notification latency benchmark"
ROLES = ("police", "provider", "victim_contact")
FORCE = "CAMBS"


def _say(message: str) -> None:
    print(message, flush=True)


def run_load(caution: infra.ServiceProcess, clients: int, seconds: float,
             ready: Callable[[], None] = lambda: None) -> tuple[dict[str, Any], dict[str, datetime]]:
    """The concurrent command load of bench/http_load.py, noting when each write's response arrived (by event id).
    `ready` runs after the warm-up and returns once the pipeline under test has handled it."""
    _warm_up(caution.base_url, 2)
    ready()
    return asyncio.run(_load(caution, clients, seconds))


def _pipeline_ready(caution: infra.ServiceProcess, notify_url: str) -> None:
    """The warm-up's events are notified: the relay (a process that returns at once when started) is publishing
    and the consumer is reading. Without this, the first thousand events of the load waited for the relay to
    start, and set the NATS rows' p99."""
    waited, _ = _wait_caught_up(notify_url, _head(caution), limit=60)
    if waited is None:
        raise RuntimeError("the notification pipeline did not handle the warm-up within 60 s")


async def _load(
    caution: infra.ServiceProcess, clients: int, seconds: float
) -> tuple[dict[str, Any], dict[str, datetime]]:
    tally = Tally(10**9)
    acked: dict[str, datetime] = {}

    async def note_ack(conn: Connection, req: Request, r: Response, done: float) -> None:
        body = r.json()
        acked[event_id(body["id"], body["version"])] = datetime.now(UTC)

    wall, cpu, server = await command_load(caution.base_url, clients, tally, seconds, note_ack, caution.cpu_seconds)
    return _result(tally, clients, wall, cpu, server), acked


def _head(caution: infra.ServiceProcess) -> int:
    r = httpx.get(f"{caution.base_url}/v1/events", params={"after": 0, "limit": 1}, headers=national_auth())
    r.raise_for_status()
    return int(r.json()["head"])


def _recorded_at(caution: infra.ServiceProcess) -> dict[str, datetime]:
    """Every event's id -> recorded_at, from the caution service's feed."""
    out: dict[str, datetime] = {}
    after = 0
    with httpx.Client(base_url=caution.base_url, timeout=TIMEOUT, headers=national_auth()) as client:
        while True:
            r = client.get("/v1/events", params={"after": after, "limit": 1000})
            r.raise_for_status()
            page = r.json()
            for item in page["items"]:
                out[item["id"]] = datetime.fromisoformat(item["data"]["recorded_at"])
            if not page["items"]:
                return out
            after = page["next_after"]


def _notifications(base_url: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        for role in ROLES:
            items: list[dict[str, Any]] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
                r = client.get("/v1/notifications", params=params, headers=auth(role, FORCE))
                r.raise_for_status()
                page = r.json()
                items += page["items"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            out[role] = items
    return out


def _wait_caught_up(notify_url: str, head: int, limit: float = 180.0) -> tuple[float | None, dict[str, Any]]:
    """Seconds until the consumer's position reached `head` (None if it did not within `limit`)."""
    started = time.perf_counter()
    state: dict[str, Any] = {}
    with httpx.Client(base_url=notify_url, timeout=TIMEOUT, headers=auth("admin", FORCE)) as client:
        while time.perf_counter() - started < limit:
            r = client.get("/v1/consumer")
            r.raise_for_status()
            state = r.json()
            if state["position"] >= head:
                return time.perf_counter() - started, state
            time.sleep(0.05)
    return None, state


async def _stream_times(nats_url: str, stream: str) -> dict[str, datetime]:
    """Event id -> when JetStream stored the relay's message (the server's clock, this machine)."""
    import nats

    nc = await nats.connect(nats_url, connect_timeout=5)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out = {}
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            event_id = (msg.headers or {}).get("Nats-Msg-Id")
            if event_id and msg.time is not None:
                out[event_id] = msg.time
        return out
    finally:
        await nc.close()


async def _delete_stream(nats_url: str, stream: str) -> str | None:
    import nats

    try:
        nc = await nats.connect(nats_url, connect_timeout=5)
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()
    except Exception as e:  # reported, not fatal: the figures are already measured
        return f"{type(e).__name__}: {e}"
    return None


def nats_unavailable_reason(nats_url: str) -> str | None:
    async def probe() -> None:
        import nats

        nc = await nats.connect(nats_url, connect_timeout=3, max_reconnect_attempts=0, allow_reconnect=False)
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), 10))
    except Exception as e:
        return f"NATS JetStream not reachable at {nats_url}: {type(e).__name__} {e}".strip()
    return None


def run_scenario(transport: str, kind: str, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"transport": transport, "database": kind}
    run_id = uuid.uuid4().hex[:10]
    stream, prefix = f"CARA_BENCH_{run_id}", f"cara.bench.{run_id}."
    with infra.database(kind) as caution_url, infra.database(kind) as notify_db, \
            infra.ServiceProcess(caution_url) as caution:
        port = infra.free_port()
        notify_url = f"http://127.0.0.1:{port}"
        env = {"CARA_NOTIFY_DATABASE_URL": notify_db, "CARA_NOTIFY_ENVIRONMENT": "test"}
        relay = None
        if transport == "http":
            env |= {"CARA_NOTIFY_SOURCE": "http", "CARA_NOTIFY_CAUTION_FEED_URL": caution.base_url,
                    "CARA_NOTIFY_FEED_WAIT_SECONDS": str(args.feed_wait)}
        else:
            env |= {"CARA_NOTIFY_SOURCE": "nats", "CARA_NOTIFY_NATS_URL": args.nats_url,
                    "CARA_NOTIFY_NATS_STREAM": stream,
                    "CARA_NOTIFY_NATS_SUBJECT_PREFIX": prefix, "CARA_NOTIFY_NATS_DURABLE": f"bench-{run_id}"}
            relay = infra.BackgroundProcess(
                "relay", ["-m", "services.caution_service.relay", "--nats-url", args.nats_url, "--stream", stream,
                          "--subject-prefix", prefix],
                {"CARA_DATABASE_URL": caution_url, "CARA_ENVIRONMENT": "test"})
            result["stream"] = stream
        notifier = infra.BackgroundProcess("notification-service",
                                           ["-m", "services.notification_service", "--port", str(port)],
                                           env, ready_url=f"{notify_url}/readyz")
        try:
            with notifier:
                if relay is not None:
                    relay.__enter__()
                try:
                    cpu0 = {"caution": caution.cpu_seconds(), "notification": notifier.cpu_seconds(),
                            "relay": relay.cpu_seconds() if relay else 0.0}
                    load, acked = run_load(caution, args.clients, args.seconds,
                                           ready=lambda: _pipeline_ready(caution, notify_url))
                    head = _head(caution)
                    caught_up, consumer = _wait_caught_up(notify_url, head)
                    cpu = {"caution": caution.cpu_seconds() - cpu0["caution"],
                           "notification": notifier.cpu_seconds() - cpu0["notification"],
                           "relay": (relay.cpu_seconds() - cpu0["relay"]) if relay else None}
                    if relay is not None and not relay.running():
                        raise RuntimeError(f"the relay stopped:\n{relay.log_tail()}")
                    notes = _notifications(notify_url)
                    recorded = _recorded_at(caution)
                    stored = asyncio.run(_stream_times(args.nats_url, stream)) if relay is not None else {}
                finally:
                    if relay is not None:
                        relay.__exit__(None, None, None)
                if caught_up is None:
                    result["notification_service_log"] = notifier.log_tail(15)
        finally:
            if transport == "nats":
                problem = asyncio.run(_delete_stream(args.nats_url, stream))
                result["stream_deleted"] = problem is None
                if problem:
                    result["stream_delete_error"] = problem
    latencies: list[float] = []
    by_role: dict[str, dict[str, Any]] = {}
    unmatched = 0
    since_ack = [(datetime.fromisoformat(n["created_at"]) - acked[n["event_id"]]).total_seconds()
                 for items in notes.values() for n in items if n["event_id"] in acked]
    relay_delays = [(at - recorded[event_id]).total_seconds()
                    for event_id, at in stored.items() if event_id in recorded]
    consumer_delays = [(datetime.fromisoformat(n["created_at"]) - stored[n["event_id"]]).total_seconds()
                       for items in notes.values() for n in items if n["event_id"] in stored]
    for role, items in notes.items():
        from_events = [n for n in items if n["event_id"]]
        by_role[role] = {"notifications": len(items), "from_events": len(from_events)}
        role_latencies: list[float] = []
        for n in from_events:
            if n["event_id"] not in acked:  # the warm-up's
                continue
            at = recorded.get(n["event_id"])
            if at is None:
                unmatched += 1
                continue
            role_latencies.append((datetime.fromisoformat(n["created_at"]) - at).total_seconds())
        by_role[role]["latency"] = summary_ms(role_latencies)
        latencies += role_latencies
    result.update({
        "load": {k: load[k] for k in ("clients", "wall_seconds", "commands", "cautions_issued", "commands_per_second",
                                      "command_latency", "errors", "error_samples")},
        "events": head,
        "notifications": sum(v["notifications"] for v in by_role.values()),
        "notifications_from_events": len(latencies),
        "unmatched_event_ids": unmatched,
        "latency": summary_ms(latencies),
        "by_role": by_role,
        # from the moment the writing client had its response (the write committed) to the notification's created_at
        "latency_after_write_acknowledged": summary_ms(since_ack),
        # nats only: event recorded -> stored in JetStream (the relay's part), and stored -> notification created
        "relay_delay": summary_ms(relay_delays) if relay_delays else None,
        "stream_to_notification": summary_ms(consumer_delays) if consumer_delays else None,
        "stream_messages": len(stored) if stored else None,
        "caught_up_seconds_after_load": round(caught_up, 3) if caught_up is not None else None,
        "consumer_after": {k: consumer.get(k) for k in ("source", "position", "head", "lag", "last_error")},
        "cpu_seconds": {k: (round(v, 2) if v is not None else None) for k, v in cpu.items()},
    })
    return result


def _print_done(r: dict[str, Any]) -> None:
    lat = r["latency"] or {}
    _say(f"    {r['load']['commands']} commands ({r['load']['commands_per_second']}/s), {r['events']} events -> "
         f"{r['notifications']} notifications; latency p50 {lat.get('p50_ms', float('nan')):.0f} ms, "
         f"p99 {lat.get('p99_ms', float('nan')):.0f} ms; consumer caught up {r['caught_up_seconds_after_load']}s after "
         "the load")


def markdown(rep: dict[str, Any]) -> str:
    fmt, p = report.fmt, rep["parameters"]
    lines = [
        f"{HEADING}, {rep['started_at'][:16].replace('T', ' ')} UTC",
        "",
        report.measured_on(rep, "`python -m bench.notify` (part of `make bench`)"),
        f"Each scenario: fresh databases (caution and notification service on the same kind), each service as its own "
        f"process; {p['clients']} clients run the command workload for {p['seconds']:g} s (after a 2-caution warm-up, "
        f"once its notifications exist: relay and consumer running). "
        f"http: the notification service long-polls GET /v1/events (wait {p['feed_wait']:g} s, 200 a page). "
        "nats: the relay publishes the feed to a JetStream stream of its own, the notification service pulls it. "
        "Latency = notification created_at - event recorded_at (same clock), over every event-driven notification "
        "of the timed load, of force CAMBS for police, provider and victim_contact. recorded_at is stamped when the "
        "command starts, so "
        "this includes the write's own time in the busy caution service (command p50); \"after ack\" runs instead "
        "from the moment the writing client had its 2xx response. Caught up = seconds after the load stopped until "
        "the consumer's position reached the caution store's head.",
        "",
        "| transport | database | commands/s | command p50 ms | events | notifications | p50 ms | p90 ms | p99 ms | "
        "max ms | after ack p50 / p99 ms | caught up after load s | CPU s caution / notify / relay | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for r in rep["results"]:
        lat, cpu = r["latency"] or {}, r["cpu_seconds"]
        ack = r["latency_after_write_acknowledged"] or {}
        lines.append(
            f"| {r['transport']} | {r['database']} | {r['load']['commands_per_second']:.1f} | "
            f"{fmt((r['load']['command_latency'] or {}).get('p50_ms'), 0)} | {r['events']} | "
            f"{r['notifications']} | {fmt(lat.get('p50_ms'), 0)} | {fmt(lat.get('p90_ms'), 0)} | "
            f"{fmt(lat.get('p99_ms'), 0)} | "
            f"{fmt(lat.get('max_ms'), 0)} | {fmt(ack.get('p50_ms'), 0)} / {fmt(ack.get('p99_ms'), 0)} | "
            f"{fmt(r['caught_up_seconds_after_load'])} | "
            f"{cpu['caution']} / {cpu['notification']} / {cpu['relay'] if cpu['relay'] is not None else '-'} | "
            f"{r['load']['errors']} |")
    lines += ["", "Per role (notifications, p50 / p99 ms):", ""]
    for r in rep["results"]:
        parts = [f"{role} {v['notifications']} ({fmt((v['latency'] or {}).get('p50_ms'), 0)} / "
                 f"{fmt((v['latency'] or {}).get('p99_ms'), 0)})" for role, v in r["by_role"].items()]
        lines.append(f"- {r['transport']}, {r['database']}: " + "; ".join(parts))
    split = [r for r in rep["results"] if r.get("relay_delay")]
    if split:
        lines += ["", "NATS, where the time goes (JetStream's stored time of each message as the midpoint), "
                  "p50 / p99 ms:", ""]
        for r in split:
            a, b = r["relay_delay"], r["stream_to_notification"] or {}
            lines.append(f"- {r['database']}: event recorded -> in the stream "
                         f"{fmt(a.get('p50_ms'), 0)} / {fmt(a.get('p99_ms'), 0)}; "
                         f"in the stream -> notification created {fmt(b.get('p50_ms'), 0)} / {fmt(b.get('p99_ms'), 0)} "
                         f"({r['stream_messages']} messages)")
    for kind, reason in rep["skipped"].items():
        lines += ["", f"{kind} skipped: {reason}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m bench.notify")
    parser.add_argument("--seconds", type=float, default=20.0, help="command load per scenario (default 20)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent command clients (default 16)")
    parser.add_argument("--transports", default="http,nats", help="comma-separated: http,nats")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--feed-wait", type=float, default=5.0, help="CARA_NOTIFY_FEED_WAIT_SECONDS (default 5)")
    parser.add_argument("--nats-url", default=os.environ.get("CARA_BENCH_NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory (default bench/results)")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    databases, skipped = infra.usable_databases(args.databases, _say)
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    if "nats" in transports:
        reason = nats_unavailable_reason(args.nats_url)
        if reason:
            _say(f"NATS skipped: {reason}")
            skipped["nats"] = reason
            transports.remove("nats")
    environment = report.environment(databases, _say)
    _say(f"Notification latency benchmark: {args.clients} clients for {args.seconds:g}s per scenario; "
         f"transports: {', '.join(transports) or 'none'}; databases: {', '.join(databases) or 'none'}")
    t0 = time.perf_counter()
    results = []
    for kind in databases:
        for transport in transports:
            _say(f"  {transport:5} on {kind:10} ...")
            results.append(run_scenario(transport, kind, args))
            _print_done(results[-1])
    parameters = {k: v for k, v in vars(args).items() if k != "out"}
    rep = report.envelope("notify", started, t0, parameters, environment, skipped, results)
    report.publish("notify", HEADING, rep, markdown(rep), args.out, _say)
    bad = [f"{r['transport']}/{r['database']}" for r in results
           if r["load"]["errors"] or r["caught_up_seconds_after_load"] is None or r["unmatched_event_ids"]
           or not r.get("stream_deleted", True)]
    if bad:
        print(f"problems in {', '.join(bad)}; see the JSON", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
