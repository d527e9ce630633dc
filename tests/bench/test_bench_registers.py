"""The register benchmark runs end to end against a real service and reports every register it timed."""

from __future__ import annotations

import json
from pathlib import Path

from bench import registers


def test_a_small_register_run_records_every_register_and_reports_them(tmp_path: Path) -> None:
    said: list[str] = []
    assert registers.main(["--databases", "sqlite", "--sessions", "2", "--clients", "2", "--out", str(tmp_path)],
                          say=said.append) == 0
    report = json.loads(next(tmp_path.glob("registers-*.json")).read_text())
    rows = report["results"]
    assert [(r["clients"], r["registers"], r["errors"]) for r in rows] == [(1, 2, 0), (2, 2, 0)]
    assert all(r["latency_ms"]["p99_ms"] > 0 for r in rows)
    table = (tmp_path / "latest.md").read_text()
    assert table.startswith(registers.HEADING) and "| sqlite | 2 | 2 |" in table
