"""The rebuild-order benchmark measures what it says: the same rows both ways, store reads only in position order."""

from __future__ import annotations

import argparse

from bench import rebuild_order, seeding


def test_the_benchmark_compares_two_rebuilds_that_give_the_same_rows() -> None:
    args = argparse.Namespace(events=300, interleave=30, cache_size=5, batch_size=50, cautions_per_batch=7)
    result = rebuild_order.run_database("sqlite", args, seeding.build_template())

    assert result["same_rows"]
    assert result["rows"]["compliance_history"]["rows"] == 300
    assert result["rows"]["caution_summaries"]["rows"] == result["seed"]["cautions"] == 30
    assert result["position_order"]["store_reads"] > 200  # 30 cautions open at once, 5 cached
    assert result["by_caution"]["store_reads"] == 0
    assert result["position_order"]["events"] == result["by_caution"]["events"] == 300


def test_the_report_names_a_difference_in_rows() -> None:
    row = {"database": "sqlite", "seed": {"cautions": 3},
           "position_order": {"events": 30, "events_per_second": 10.0, "store_reads": 27},
           "by_caution": {"events": 30, "events_per_second": 40.0, "store_reads": 0}}
    report = {"started_at": "2026-12-03T20:00:00+00:00", "duration_seconds": 1.0, "skipped": {},
              "parameters": {"events": 30, "interleave": 3, "batch_size": 10, "cache_size": 1, "cautions_per_batch": 2},
              "environment": {"git_commit": "abc", "git_dirty": False, "python": "3.11", "cpus": 2,
                              "load_average_at_start": [0.1], "load_average_at_end": [0.2]},
              "results": [{**row, "same_rows": True}, {**row, "database": "postgresql", "same_rows": False}]}
    text = rebuild_order.markdown(report)
    assert "| sqlite | 30 | 3 | 10 | 27 | 40 | 0 | 4.0x | yes |" in text
    assert "| postgresql | 30 | 3 | 10 | 27 | 40 | 0 | 4.0x | NO |" in text
