"""Writing results: <name>-<date>.json and .md, and the benchmark's own section of latest.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from . import infra

# latest.md holds one top-level section per benchmark, in this order; each module refreshes only its own.
SECTION_ORDER = ("# Command benchmark", "# Register benchmark", "# Read-side benchmark",
                 "# Notification latency benchmark")


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=infra.ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def environment(databases: list[str], say: Callable[[str], None]) -> dict[str, Any]:
    """What a figure depends on besides the code: machine, versions, load, CARA_* overrides.

    Says so when the machine is already busy, since the figures would then be skewed."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        # The results a `make bench` has already written this run are not changes to what is measured.
        "git_dirty": bool(_git("status", "--porcelain", "--", ".", ":(exclude)bench/results")),
        "load_average_at_start": load_average(),
        # CARA_* variables reach the service process too (e.g. CARA_RUN_PROJECTIONS=false); secrets left out
        "cara_environment": {k: v for k, v in sorted(os.environ.items()) if k.startswith("CARA_")
                             and not any(word in k for word in ("SECRET", "KEY", "PASSWORD", "TOKEN"))},
    }
    if "postgresql" in databases:
        env["postgresql"] = infra.postgres_version()
    infra.warn_if_busy(env["load_average_at_start"][0], say)
    return env


def envelope(name: str, started: datetime, t0: float, parameters: dict[str, Any], environment: dict[str, Any],
             skipped: dict[str, str], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON report every benchmark writes: its figures, and what they were measured on."""
    return {
        "benchmark": name,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - t0, 1),
        "parameters": parameters,
        "environment": {**environment, "load_average_at_end": load_average()},
        "skipped": skipped,
        "results": results,
    }


def measured_on(report: dict[str, Any], command: str, duration: bool = True) -> str:
    """The sentence a report opens with: what ran, at which commit, on what, and how busy the machine was."""
    env = report["environment"]
    sentence = (
        f"{command} at commit {env['git_commit']}{' (uncommitted changes)' if env['git_dirty'] else ''}; "
        f"Python {env['python']}, {env['cpus']} CPUs"
        + (f", PostgreSQL {env['postgresql']}" if "postgresql" in env else "")
        + f"; 1-minute load average {env['load_average_at_start'][0]} at start, {env['load_average_at_end'][0]} at end"
    )
    return sentence + (f"; {report['duration_seconds']:.0f} s in all." if duration else ".")


def publish(name: str, heading_prefix: str, report: dict[str, Any], text: str, out_dir: Path,
            say: Callable[[str], None]) -> None:
    say("")
    say(text)
    for path in write(name, heading_prefix, report, text, out_dir):
        say(f"wrote {shown(path)}")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content)
    tmp.replace(path)


def _sections(text: str) -> list[str]:
    """Split at top-level headings (`# ...` outside code blocks); text before the first heading is kept as is."""
    sections: list[list[str]] = [[]]
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("# "):
            sections.append([])
        sections[-1].append(line)
    return ["".join(s) for s in sections if "".join(s).strip()]


def _rank(section: str) -> int:
    for index, prefix in enumerate(SECTION_ORDER):
        if section.startswith(prefix):
            return index
    return len(SECTION_ORDER)


def update_latest(path: Path, heading_prefix: str, text: str) -> None:
    """Replace (or add) the section whose heading starts with `heading_prefix`, keeping the others."""
    existing = _sections(path.read_text()) if path.exists() else []
    kept = [s for s in existing if not s.startswith(heading_prefix)]
    kept.append(text)
    kept.sort(key=_rank)  # stable: unknown sections keep their order, after the known ones
    _atomic_write(path, "\n".join(s.rstrip("\n") + "\n" for s in kept))


def write(name: str, heading_prefix: str, report: dict[str, Any], text: str, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{report['started_at'][:10]}"
    paths = [out_dir / f"{stem}.json", out_dir / f"{stem}.md", out_dir / "latest.md"]
    _atomic_write(paths[0], json.dumps(report, indent=2) + "\n")
    _atomic_write(paths[1], text)
    update_latest(paths[2], heading_prefix, text)
    return paths


def shown(path: Path) -> str:
    return str(path.relative_to(infra.ROOT)) if path.is_relative_to(infra.ROOT) else str(path)


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
