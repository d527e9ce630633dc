"""`caution_on`: the caution's state from the events that had happened by a moment, as the record knows it now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.values import ContactStage, Status, Workshop
from services.caution_service.time_axes import Axes, When, caution_on, happened_by, recorded_by

from .builders import A_DAY, B_DAY, at, attend_a, book, completed, contact, correct, issued

NEVER = at(10_000)


def _state(c: Caution | None) -> dict[str, Any]:
    assert c is not None
    return {k: v for k, v in vars(c).items() if k != "_pending_events"}


def _late_attendance() -> tuple[Caution, list[Any]]:
    """B is booked on day 11 before A's attendance (day 10, 20:00) is entered on day 12."""
    c = issued()
    book(c, Workshop.A, A_DAY, on=1)  # 2
    book(c, Workshop.B, B_DAY, on=A_DAY + 1)  # 3
    attend_a(c, at(A_DAY, 20), recorded_at=at(A_DAY + 2))  # 4
    contact(c, ContactStage.AFTER_WORKSHOP_A, A_DAY + 3)  # 5
    return c, list(c.pending_events)


def test_after_everything_it_is_the_caution_itself() -> None:
    c = completed()
    assert _state(caution_on(c.pending_events, NEVER)) == _state(c)


def test_before_the_issue_there_is_no_caution() -> None:
    c = completed()
    assert caution_on(c.pending_events, at(0) - timedelta(seconds=1)) is None
    assert caution_on(c.pending_events, at(0)) is not None  # issued at that very moment


def test_an_event_recorded_late_counts_from_when_it_happened_and_keeps_its_entry_number() -> None:
    c, events = _late_attendance()
    then = caution_on(events, at(A_DAY, 21))
    assert then is not None
    assert then.attended_a_at == at(A_DAY, 20)
    assert then.booking_b is None  # booked the next day
    assert then.contacted_after_a is False
    # the attendance is entry 4 in the record, and in this state too: a correction of entry 4 must find it
    assert (then.version, then.attended_a_version, then.first_attended_a_version) == (4, 4, 4)
    assert then.entries == ["CautionIssued", "WorkshopScheduled", "WorkshopScheduled", "WorkshopAAttended"]
    as_recorded = caution_on(recorded_by(events, at(A_DAY, 21)), at(A_DAY, 21))
    assert as_recorded is not None and as_recorded.attended_a_at is None  # the record did not say so yet


def test_a_later_correction_of_the_time_counts_as_known_now() -> None:
    c, _ = _late_attendance()
    correct(c, 4, at(A_DAY, 19), A_DAY + 20)  # recorded long after: the session began at 19:00
    events = list(c.pending_events)
    then = caution_on(events, at(A_DAY, 19) + timedelta(minutes=30))
    assert then is not None and then.attended_a_at == at(A_DAY, 19)
    assert [e.originator_version for e in happened_by(events, at(A_DAY, 20))] == [1, 2, 4, 6]
    assert caution_on(events, at(A_DAY, 18)).attended_a_at is None  # type: ignore[union-attr]


def test_a_caution_completed_later_is_open_on_an_earlier_day() -> None:
    c = completed()
    assert caution_on(c.pending_events, at(B_DAY - 1)).status is Status.ACTIVE  # type: ignore[union-attr]
    assert caution_on(c.pending_events, at(B_DAY + 2)).status is Status.COMPLETED  # type: ignore[union-attr]


def test_a_day_means_the_moment_it_ends_in_the_uk() -> None:
    winter, summer = When.given(date(2026, 3, 3)), When.given(date(2026, 4, 1))
    assert winter is not None and summer is not None
    assert winter.moment == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    assert summer.moment == datetime(2026, 4, 1, 23, 0, tzinfo=UTC)  # BST: the day ends an hour earlier in UTC
    assert (winter.text(), winter.query()) == ("On 3 March 2026", "2026-03-03")
    long_ago = When.given(date(1024, 9, 9))  # local mean time then: an offset in seconds, which RFC 3339 cannot say
    assert long_ago is not None and long_ago.moment.isoformat() == "1024-09-10T00:01:15+00:00"
    exact = When.given(datetime(2026, 4, 1, 9, 30, tzinfo=UTC))
    assert exact is not None
    assert (exact.text(), exact.query()) == ("At 1 April 2026, 10:30 BST", "2026-04-01T09:30:00Z")


def test_the_verdict_day_is_never_one_still_to_come() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert Axes.given(date(2026, 9, 1), None).today(now) == date(2026, 5, 1)
    assert Axes.given(datetime(2026, 9, 1, tzinfo=UTC), date(2026, 3, 3)).today(now) == date(2026, 3, 3)
    assert Axes.given(None, None).today(now) == date(2026, 5, 1)
    assert Axes.given(None, date(2026, 4, 30)).today(now) == date(2026, 4, 30)  # not the day its end falls on
    assert Axes.given(date(2026, 3, 5), date(2026, 3, 20)).today(now) == date(2026, 3, 5)  # the record then
    assert Axes.given(date(2026, 3, 20), date(2026, 3, 5)).today(now) == date(2026, 3, 5)
    assert Axes.given(date(2026, 3, 5), None).today(now) == date(2026, 3, 5)
    assert Axes.given(None, datetime(2026, 4, 30, 23, 30, tzinfo=UTC)).today(now) == date(2026, 5, 1)  # BST
