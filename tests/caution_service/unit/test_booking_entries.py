"""A booking made without a workshop session reads, in the record and the court's history, exactly as bookings did
before sessions existed: the history's digest covers what entries say, so an added `session_id: null` would
break the verification of every history already given to a court."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder

from services.caution_service.domain.values import Booking
from services.caution_service.projections.entries import plain
from services.caution_service.transcodings import register_caution_transcodings

SESSION_AT = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)


def test_a_booking_without_a_session_reads_as_before() -> None:
    assert plain(Booking(SESSION_AT, "Cambridge Hub")) == {"session_at": SESSION_AT.isoformat(),
                                                           "venue": "Cambridge Hub"}


def test_a_booking_into_a_session_names_it() -> None:
    assert plain(Booking(SESSION_AT, "Cambridge Hub", "s-1"))["session_id"] == "s-1"


def test_a_booking_without_a_session_is_stored_as_before_and_one_stored_before_decodes() -> None:
    transcoder = JSONTranscoder()
    transcoder.register(DatetimeAsISO())
    register_caution_transcodings(transcoder)
    stored = transcoder.encode({"booking": Booking(SESSION_AT, "Cambridge Hub")})
    assert "session_id" not in json.loads(stored)["booking"]["_data_"]
    assert transcoder.decode(stored)["booking"] == Booking(SESSION_AT, "Cambridge Hub")
    with_session = transcoder.decode(transcoder.encode({"booking": Booking(SESSION_AT, "Hub", "s-1")}))
    assert with_session["booking"].session_id == "s-1"
