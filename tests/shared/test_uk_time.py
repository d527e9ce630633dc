"""UK days and times: the clock change is where a UTC date and a UK date part."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from shared.uk_time import end_of_uk_day, start_of_uk_day, uk_date, uk_day_text, uk_moment_text, uk_time_text


def test_a_moment_just_after_midnight_bst_is_on_the_uk_day_not_the_utc_one() -> None:
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 April
    assert uk_date(moment) == date(2026, 4, 1)
    assert uk_time_text(moment) == "1 April 2026, 00:30 BST"


def test_winter_times_are_gmt() -> None:
    assert uk_time_text(datetime(2026, 1, 5, 9, 7, 59, 123456, tzinfo=UTC)) == "5 January 2026, 09:07 GMT"


def test_a_day_ends_at_uk_midnight_whatever_the_offset() -> None:
    assert end_of_uk_day(date(2026, 7, 1)).astimezone(UTC) == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert end_of_uk_day(date(2026, 12, 1)).astimezone(UTC) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    # the day the clocks go forward is 23 hours long
    # the day the clocks go forward is 23 hours long (in UTC: Python subtracts same-zone times on the wall clock)
    day = date(2026, 3, 29)
    assert end_of_uk_day(day).astimezone(UTC) - start_of_uk_day(day).astimezone(UTC) == timedelta(hours=23)


def test_offsets_other_than_the_uks_are_read_as_the_moment_they_name() -> None:
    assert uk_date(datetime(2026, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=3)))) == date(2026, 5, 31)


def test_day_text_has_no_leading_zero() -> None:
    assert uk_day_text(date(2026, 3, 3)) == "3 March 2026"


def test_a_day_asked_for_reads_as_its_end_and_other_moments_as_themselves() -> None:
    assert uk_moment_text(end_of_uk_day(date(2026, 3, 22))) == "the end of 22 March 2026"
    assert uk_moment_text(end_of_uk_day(date(2026, 7, 1))) == "the end of 1 July 2026"  # 23:00 UTC in summer
    assert uk_moment_text(datetime(2026, 3, 22, 0, 0, tzinfo=UTC)) == "the end of 21 March 2026"
    assert uk_moment_text(datetime(2026, 7, 1, 0, 0, tzinfo=UTC)) == "1 July 2026, 01:00 BST"


def test_the_ends_of_the_calendar_give_a_day_not_an_error() -> None:
    """Found by schemathesis: `occurred_at=0001-01-01T00:00:00Z` lies before the calendar in UK time (LMT, -0:01)."""
    assert uk_date(datetime(1, 1, 1, 0, 0, tzinfo=UTC)) == date(1, 1, 1)
    assert uk_date(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12)))) == date(9999, 12, 31)
    assert end_of_uk_day(date.max) > start_of_uk_day(date.max)
