"""The web pages benchmark runs end to end against the caution service and the web application as processes, and
reports every page it timed with no errors."""

from __future__ import annotations

import json
from pathlib import Path

from bench import web_pages


def test_a_small_run_times_every_page_and_reports_them(tmp_path: Path) -> None:
    said: list[str] = []
    assert web_pages.main(["--cautions", "3", "--requests", "6", "--certificates", "2", "--clients", "2",
                           "--out", str(tmp_path)], say=said.append) == 0
    rows = json.loads(next(tmp_path.glob("web-*.json")).read_text())["results"]
    assert {(r["page"], r["clients"]) for r in rows} == {
        (page, n) for page in ("search (web)", "caution page (web)", "its two API calls (direct)", "certificate (web)")
        for n in (1, 2)}
    assert all(r["errors"] == 0 and r["latency_ms"]["p99_ms"] > 0 for r in rows)
    assert (tmp_path / "latest.md").read_text().startswith(web_pages.HEADING)
