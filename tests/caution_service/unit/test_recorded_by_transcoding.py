"""RecordedBy in the event store: an event stored before display claims existed decodes with none, one recorded
without them is stored byte for byte as before, and one with them keeps them (issue 17 item 7)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import JSONTranscoder

from services.caution_service.domain.values import RecordedBy
from services.caution_service.projections.entries import plain
from services.caution_service.transcodings import register_caution_transcodings


@pytest.fixture
def transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    register_caution_transcodings(transcoder)
    return transcoder


# What the store held for every event before display claims existed (and holds for one recorded without them).
OLD = b'{"_type_":"RecordedBy","_data_":{"id":"pc-7","role":"police","force":"CAMBS"}}'


def test_a_recorded_by_stored_before_display_claims_existed_decodes_with_none(transcoder: JSONTranscoder) -> None:
    assert transcoder.decode(OLD) == RecordedBy("pc-7", "police", "CAMBS", None, None, None)


def test_one_recorded_without_display_claims_is_stored_exactly_as_before(transcoder: JSONTranscoder) -> None:
    assert transcoder.encode(RecordedBy("pc-7", "police", "CAMBS")) == OLD


def test_display_claims_are_stored_and_come_back(transcoder: JSONTranscoder) -> None:
    by = RecordedBy("pc-7", "police", "CAMBS", name="Jo Bloggs", collar_number="4471")
    stored = transcoder.encode(by)
    assert b'"name":"Jo Bloggs"' in stored and b'"collar_number":"4471"' in stored and b"rank" not in stored
    assert transcoder.decode(stored) == by


def test_an_entry_shows_only_the_display_claims_given_and_the_feed_none() -> None:
    by = RecordedBy("pc-7", "police", "CAMBS", rank="PC")
    assert plain(by) == by.as_dict() == {"id": "pc-7", "role": "police", "force": "CAMBS", "rank": "PC"}
    assert plain(RecordedBy("pc-7", "police", "CAMBS")) == {"id": "pc-7", "role": "police", "force": "CAMBS"}
    assert by.account() == {"id": "pc-7", "role": "police", "force": "CAMBS"}
