"""Latency summaries."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks; `sorted_values` must be sorted and non-empty."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float] | None:
    """count, mean, p50, p90, p99 and max in milliseconds."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    return {
        "count": len(ordered),
        "mean_ms": round(1000 * sum(ordered) / len(ordered), 3),
        "p50_ms": round(1000 * percentile(ordered, 50), 3),
        "p90_ms": round(1000 * percentile(ordered, 90), 3),
        "p99_ms": round(1000 * percentile(ordered, 99), 3),
        "max_ms": round(1000 * ordered[-1], 3),
    }
