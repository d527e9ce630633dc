"""`python -m bench.web_pages`: the web application's pages, as a court liaison officer uses them, over real HTTP.

The web application renders each page from the caution service's API with the officer's token, so a page costs
its API calls plus the web's own work (session, template, GOV.UK macros). This measures, against the caution
service and the web application as processes (SQLite, the embedded default):
  - search: POST /court/search by police reference (one list call; answered with a redirect to the caution);
  - caution page: GET /court/cautions/{id} (the compliance history and its verification: two API calls);
  - the same two API calls made directly, to show what the web adds;
  - certificate: GET /court/cautions/{id}/certificate.pdf (the service renders and signs the PDF).
From one officer, then from --clients officers at once (each signed in separately).

Figures are printed and written to bench/results/web-<date>.json and .md, and latest.md (own section).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from tests.support import auth, caution_payload

from . import infra, report
from .stats import summary_ms

RESULTS = Path(__file__).resolve().parent / "results"
HEADING = "# Web pages benchmark"
PURPOSE = {"X-Purpose": "Benchmark"}


def _say(message: str) -> None:
    print(message, flush=True)


@dataclass
class Browser:
    """An officer's browser: a cookie jar holding a signed-in court session, and that session's form token."""

    client: httpx.Client
    csrf: str


def _form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("no form token on the page")
    return found.group(1)


def _signed_in(web_url: str) -> Browser:
    client = httpx.Client(base_url=web_url, timeout=60)
    answer = client.post("/sign-in/development", data={
        "csrf_token": _form_token(client.get("/sign-in").text), "role": "court", "force": "CAMBS"})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in: {answer.status_code}")
    return Browser(client, _form_token(client.get("/court/search").text))  # a new session, a new token


def _timed(calls: list[Callable[[], httpx.Response]], clients: int) -> dict[str, Any]:
    def one(call: Callable[[], httpx.Response]) -> tuple[float, int]:
        started = time.perf_counter()
        status = call().status_code
        return time.perf_counter() - started, status

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = list(pool.map(one, calls))
    elapsed = time.perf_counter() - started
    errors = sum(1 for _, status in done if status >= 400)
    return {"requests": len(done), "per_second": len(done) / elapsed,
            "latency_ms": summary_ms(sorted(took for took, _ in done)), "errors": errors}


def _scenario(url: str, cautions: int, requests: int, certificates: int, clients: int) -> list[dict[str, Any]]:
    results = []
    with infra.ServiceProcess(url) as service:
        police = auth("police")
        issued = []
        with httpx.Client(base_url=service.base_url, timeout=60) as api:
            for _ in range(cautions):
                body = caution_payload(occurred_at=datetime.now(UTC) - timedelta(days=1))
                answer = api.post("/v1/cautions", json=body, headers=police)
                if answer.status_code != 201:
                    raise RuntimeError(answer.text[:300])
                issued.append(answer.json())
        web_port = infra.free_port()
        web_url = f"http://127.0.0.1:{web_port}"
        with infra.BackgroundProcess("web", ["-m", "services.web", "--port", str(web_port), "--no-access-log",
                                             "--log-level", "warning"],
                                     {"CARA_WEB_ENVIRONMENT": "test", "CARA_WEB_CAUTION_URL": service.base_url},
                                     ready_url=f"{web_url}/livez"):
            court_api = httpx.Client(base_url=service.base_url, timeout=60, headers={**auth("court"), **PURPOSE})
            for n in (1, clients):
                browsers = [_signed_in(web_url) for _ in range(n)]
                rows = _rows(browsers, issued, court_api, requests, certificates)
                for name, calls in rows.items():
                    result = {"page": name, "clients": n, **_timed(calls, n)}
                    results.append(result)
                    _say(f"{name}, {n} client(s): p50 {result['latency_ms']['p50_ms']:.1f} ms, "
                         f"p99 {result['latency_ms']['p99_ms']:.1f} ms, {result['per_second']:.1f}/s, "
                         f"{result['errors']} errors")
                for b in browsers:
                    b.client.close()
            court_api.close()
    return results


def _rows(browsers: list[Browser], issued: list[dict[str, Any]], court_api: httpx.Client, requests: int,
          certificates: int) -> dict[str, list[Callable[[], httpx.Response]]]:
    """Each measured page's requests, spread over the officers' browsers and the cautions."""
    def browser(i: int) -> Browser:
        return browsers[i % len(browsers)]

    def caution(i: int) -> str:
        return str(issued[i % len(issued)]["id"])

    def search(i: int) -> httpx.Response:
        return browser(i).client.post("/court/search", data={
            "csrf_token": browser(i).csrf, "purpose": "Benchmark",
            "police": issued[i % len(issued)]["police_reference"]})

    def direct(i: int) -> httpx.Response:
        court_api.get(f"/v1/cautions/{caution(i)}/compliance-history")
        return court_api.get(f"/v1/cautions/{caution(i)}/compliance-history/verification")

    def page(i: int) -> httpx.Response:
        return browser(i).client.get(f"/court/cautions/{caution(i)}")

    def certificate(i: int) -> httpx.Response:
        return browser(i).client.get(f"/court/cautions/{caution(i)}/certificate.pdf")

    return {
        "search (web)": [partial(search, i) for i in range(requests)],
        "caution page (web)": [partial(page, i) for i in range(requests)],
        "its two API calls (direct)": [partial(direct, i) for i in range(requests)],
        "certificate (web)": [partial(certificate, i) for i in range(certificates)],
    }




def markdown(rep: dict[str, Any]) -> str:
    lines = [f"{HEADING}, {rep['started_at'][:16].replace('T', ' ')} UTC", "",
             report.measured_on(rep, "`python -m bench.web_pages` (part of `make bench`)"),
             "A court liaison officer's pages through the web application (caution service and web as processes, "
             "SQLite), and the caution page's two API calls made directly for comparison.", "",
             "| page | clients | requests | per second | p50 ms | p90 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rep["results"]:
        lat = r["latency_ms"] or {}
        latencies = " | ".join(report.fmt(lat.get(key)) for key in ("p50_ms", "p90_ms", "p99_ms"))
        lines.append(f"| {r['page']} | {r['clients']} | {r['requests']} | {r['per_second']:.1f} | {latencies} | "
                     f"{r['errors']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, say: Callable[[str], None] = _say) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cautions", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300, help="per page and row")
    parser.add_argument("--certificates", type=int, default=30, help="certificate downloads per row")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started, t0 = datetime.now(UTC), time.perf_counter()
    env = report.environment(["sqlite"], say)
    with infra.database("sqlite") as url:
        results = _scenario(url, args.cautions, args.requests, args.certificates, args.clients)
    rep = report.envelope("web", started, t0, vars(args) | {"out": str(args.out)}, env, {}, results)
    report.publish("web", HEADING, rep, markdown(rep), args.out, say)
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
