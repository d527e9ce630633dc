"""`make fuzz`: schemathesis against both services as real processes, in every phase (examples, coverage,
fuzzing, stateful), once with each role's valid token and once with each kind of invalid token.

The test suite runs schemathesis in-process on a fixed budget (tests/*/contract/); this is the longer campaign
an operator or reviewer runs before a release: it counts every answer by status, writes the figures to
bench/results/fuzz-<date>.md, and exits non-zero if any answer was a 5xx other than a documented 503.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from shared.auth import Role, mint_token
from shared.settings import AuthSettings
from tests.service_processes import CautionProcess, NotifyProcess

ROOT = Path(__file__).resolve().parent.parent
FORCE = "CAMBS"
PHASES = "examples,coverage,fuzzing,stateful"
# No rate limits: the campaign is one client sending thousands of requests, which they would rightly refuse.
RELAXED = {"CARA_RATE_LIMIT_WRITES": "off", "CARA_RATE_LIMIT_WRITES_PER_ADDRESS": "off",
           "CARA_RATE_LIMIT_FAILED_AUTH": "off"}


def tokens() -> dict[str, str]:
    """A valid token per role, and the invalid kinds a caller could send."""
    settings = AuthSettings()
    secret, issuer, audience = settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience
    found = {role.value: mint_token(secret, role=role, force=FORCE, issuer=issuer, audience=audience,
                                    subject=f"fuzz-{role.value}", ttl_seconds=3600) for role in Role}
    found["invalid: expired"] = mint_token(secret, role=Role.POLICE, force=FORCE, issuer=issuer, audience=audience,
                                           subject="fuzz-expired", ttl_seconds=-60)
    found["invalid: wrong key"] = mint_token("not-the-signing-key-" * 3, role=Role.POLICE, force=FORCE,
                                             issuer=issuer, audience=audience, subject="fuzz", ttl_seconds=3600)
    found["invalid: garbage"] = "not.a.token"
    return found


def run_schemathesis(url: str, token: str, examples: int, report: Path) -> Counter[int]:
    """One schemathesis run; the statuses of every answer it got (from its HAR report)."""
    report.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json", "--phases", PHASES,
         "--max-examples", str(examples), "--header", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error", "--continue-on-failure", "--no-shrink", "--seed", "1",
         "--suppress-health-check", "all", "--request-timeout", "30", "--report", "har",
         "--report-dir", str(report), "--warnings", "off"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=1800)
    statuses: Counter[int] = Counter()
    for har in report.glob("har-*.json"):
        for entry in json.loads(har.read_text())["log"]["entries"]:
            statuses[int(entry["response"]["status"])] += 1
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20, help="examples per operation and phase")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cara-fuzz-"))
    caution = CautionProcess({"CARA_DATABASE_URL": f"sqlite:///{work}/cautions.sqlite3",
                              "CARA_ENVIRONMENT": "test", **RELAXED}, work / "caution.log").start()
    notify = NotifyProcess({"CARA_NOTIFY_ENVIRONMENT": "test",
                            "CARA_NOTIFY_DATABASE_URL": f"sqlite:///{work}/notify.sqlite3",
                            "CARA_NOTIFY_CAUTION_FEED_URL": caution.url,
                            **{k.replace("CARA_", "CARA_NOTIFY_"): v for k, v in RELAXED.items()}},
                           work / "notify.log").start()
    rows, failed = [], False
    try:
        for service, process in (("caution service", caution), ("notification service", notify)):
            for who, token in tokens().items():
                report = work / f"{service.split()[0]}-{who.replace(':', '').replace(' ', '-')}"
                statuses = run_schemathesis(process.url, token, args.examples, report)
                errors = sum(n for status, n in statuses.items() if status >= 500 and status != 503)
                failed = failed or errors > 0
                rows.append((service, who, sum(statuses.values()), errors, statuses))
                print(f"{service}, {who}: {sum(statuses.values())} requests, {errors} server errors, "
                      f"{dict(sorted(statuses.items()))}", flush=True)
    finally:
        notify.stop()
        caution.stop()
    write_report(Path(args.out), rows, args.examples, time.monotonic() - started)
    sys.exit(1 if failed else 0)


def write_report(out: Path, rows: list[tuple[str, str, int, int, Counter[int]]], examples: int,
                 seconds: float) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    now = datetime.now(UTC)
    lines = [f"# Schemathesis campaign, {now:%Y-%m-%d %H:%M} UTC", "",
             f"`make fuzz` (bench/fuzz.py) at commit {commit}: both services as real processes (SQLite), "
             f"phases {PHASES}, up to {examples} examples per operation and phase, checks `not_a_server_error`; "
             f"{seconds / 60:.0f} minutes in all.", "",
             "| service | token | requests | 5xx (not 503) | answers by status |", "|---|---|---:|---:|---|"]
    for service, who, total, errors, statuses in rows:
        by_status = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        lines.append(f"| {service} | {who} | {total} | {errors} | {by_status} |")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fuzz-{now:%Y-%m-%d}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
