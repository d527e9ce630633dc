"""The command benchmark's report says whether the projection worker kept up with the production-shape load."""

from __future__ import annotations

from bench.commands import catch_up_line


def _result(lag: int | None, caught: float | None) -> dict[str, object]:
    return {"database": "sqlite", "projection_lag_at_end": lag, "projector_caught_up_seconds": caught}


def test_a_worker_that_kept_up_is_said_to_have_projected_everything() -> None:
    assert catch_up_line(_result(0, 0.01)).endswith("the projection worker had projected every event.")


def test_a_worker_behind_says_how_far_and_how_long_it_took() -> None:
    line = catch_up_line(_result(412, 0.4321))
    assert line.startswith("Production shape on sqlite:")
    assert "was 412 events behind and caught up 0.43 s later." in line


def test_a_worker_that_never_caught_up_says_so() -> None:
    assert catch_up_line(_result(5000, None)).endswith("was 5000 events behind and had not caught up 60 s later.")


def test_the_load_counts_the_events_each_request_recorded_from_its_etag() -> None:
    from datetime import UTC, datetime

    from bench.http_load import Lifecycle, Tally

    life = Lifecycle({"police": {}, "provider": {}, "victim_contact": {}}, datetime(2026, 1, 1, tzinfo=UTC))
    tally = Tally(100)
    answers = [(201, {"etag": '"1"', "location": "/v1/cautions/c-1"}), (200, {"etag": '"2"'}), (200, {"etag": '"4"'})]
    for status, headers in answers:
        request = life.next_request()
        ok = life.record(request, status, headers)
        tally.add(request, 0.001, ok, status, "", life.events_recorded if ok else 0)
    assert (tally.issued, tally.commands, tally.events) == (1, 2, 4)  # the last command recorded two events
    request = life.next_request()
    assert not life.record(request, 409, {})  # a refusal recorded nothing and starts a new caution
    tally.add(request, 0.001, False, 409, "conflict")
    assert tally.events == 4


def test_the_production_shape_is_set_against_the_yardstick_measured_around_it() -> None:
    from bench.commands import yardstick_line

    line = yardstick_line({"database": "sqlite", "events_per_second": 2100.0,
                           "yardstick_events_per_second": [1900.0, 2300.0]})
    assert line == ("Production shape on sqlite: 2,100 events/s; the yardstick just before and after it: "
                    "1,900 and 2,300 events/s, so 100% of their mean.")
