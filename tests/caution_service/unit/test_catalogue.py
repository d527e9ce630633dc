"""The event catalogue against the aggregate: every event described once, completely, and never drifting.

Each test names the slip it catches: an event without an entry, an entry without an event, a field
the feed would silently drop or publish, a court sentence that changed under recorded histories.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.caution_service.domain.caution import event_name, event_names
from services.caution_service.feed import to_cloud_event
from services.caution_service.projections.entries import details_of
from services.notification_service.facts import SETTABLE
from shared.catalogue import CATALOGUE, COMMON_FIELDS, EVENT_TYPES, UnknownEvent, require_catalogued, spec
from shared.events import CloudEvent
from tests.caution_service.unit.builders import cautions_with_every_kind_of_event, one_of_each_event

EVENTS = one_of_each_event()
_BOOKKEEPING = {"originator_id", "originator_version", "originator_topic", "timestamp"}

# What the court read for these events before the catalogue existed. Each summary is hashed into the
# integrity chain of every history already recorded: if one of these changes, old records stop verifying.
RECORDED_SENTENCES = {
    "Breached": "Breach decided (prosecute): did not comply",
    "CautionIssued": "Conditional caution issued by Sgt Jo Bloggs (sergeant) for common assault committed on "
                     "2026-02-20; caution period 112 days.",
    "Completed": "All conditions met; caution completed.",
    "ComplianceDeadlinePassed": "The caution period ended on 2026-06-30 without completion.",
    "ConditionsVaried": "Caution period end changed from 2026-06-22 to 2026-06-30, authorised by INSP-9: illness",
    "EntryCorrected": "Correction to entry 4 (WorkshopAAttended): typo in the register.",
    "ExcuseDecided": "Excuse for missing workshop A rejected: no excuse given. Referred for a breach decision.",
    "VictimContacted": "Victim contact on completion recorded (outcome: contacted).",
    "Withdrawn": "Caution withdrawn: issued in error",
    "WorkshopAAttended": "Attended workshop A in full.",
    "WorkshopBAttended": "Attended workshop B in full.",
    "WorkshopMissed": "Workshop A missed: did not attend. no show",
    "WorkshopRescheduled": "Workshop A moved from 12 Mar 2026 10:00 to 13 Mar 2026 10:00 at Hall 1: venue closed",
    "WorkshopScheduled": "Workshop A booked for 12 Mar 2026 10:00 at Hall 1.",
    # Added with per-person keys (issue 14):
    "ProcessingRestricted": "Processing of the victim's personal data restricted under Data Protection Act 2018 "
                            "s.47(4), accuracy contested: accuracy contested",
    "RestrictionLifted": "Restriction on the victim's personal data lifted: accuracy settled",
    "PersonalDataRectified": "The offender's personal data corrected (name): spelling",
    "PersonalDataErased": "The offender's personal data was erased under Data Protection Act 2018 s.39, the force's "
                          "retention period: retention period over",
    # Added with workshop sessions and first contact (issue 18):
    "FirstContactRecorded": "The provider made first contact with the offender by phone.",
    "WorkshopBookingCancelled": "Workshop A booking cancelled: the session was cancelled (the venue was unavailable). "
                                "Workshop A is to be booked again; nothing counts against the offender.",
    # Added with safeguarding, risk review and the scrutiny panel (issue 19): nothing the victim said.
    "SafeguardingConcernRaised": "Safeguarding concern raised by the victim contact service (urgent: risk to the "
                                 "victim). Details are held by the victim contact service.",
    "SafeguardingConcernAcknowledged": "Safeguarding concern (entry 2) acknowledged by the police, with the action "
                                       "taken.",
    "RiskReassessed": "The victim's DASH risk re-assessed: standard to high. The police are to review the caution.",
    "RiskReviewDecided": "Caution reviewed by the police after the victim's risk rose to high: the caution continues.",
    "CaseReviewedByPanel": "Case reviewed by the scrutiny panel on 2026-03-08 (a safeguarding concern): handled well. "
                           "Actions: share the learning.",
}

# Optional fields added to existing events (issue 17): absent from every event recorded before them.
ADDED_FIELDS = {
    "WorkshopAAttended": ("reason_not_on_booked_day",),
    "WorkshopBAttended": ("reason_not_on_booked_day",),
    "Breached": ("failure",),
    "EntryCorrected": ("recorded_in_error",),
    # issue 18
    "WorkshopRescheduled": ("requested_by", "reason_code"),
    "WorkshopMissed": ("absence_reason", "absence_detail"),
    "ExcuseDecided": ("absence_reason",),
}
NEW_SENTENCES: dict[str, tuple[dict[str, Any], str]] = {
    "WorkshopAAttended": ({"reason_not_on_booked_day": "session moved by the provider"},
                          "Attended workshop A in full, on another day than the booked session's: "
                          "session moved by the provider"),
    "WorkshopBAttended": ({"reason_not_on_booked_day": "session moved by the provider"},
                          "Attended workshop B in full, on another day than the booked session's: "
                          "session moved by the provider"),
    "Breached": ({"failure": "period_ended_without_completion"},
                 "Breach decided (prosecute), resting on the caution period's end without completion: did not comply"),
    "EntryCorrected": ({"recorded_in_error": True},
                       "Correction to entry 4 (WorkshopAAttended): typo in the register. "
                       "Entry 4 was recorded in error and is struck out."),
    "WorkshopRescheduled": ({"requested_by": "offender", "reason_code": "court"},
                            "Workshop A moved from 12 Mar 2026 10:00 to 13 Mar 2026 10:00 at Hall 1: venue closed. "
                            "Asked for by the offender. Coded reason: attending court."),
    "WorkshopMissed": ({"absence_reason": "other", "absence_detail": "p1.offender-key.c2VhbGVk"},
                       "Workshop A missed: did not attend. no show. Reason given for the absence: other (the detail "
                       "is kept with the offender's personal data)."),
    "ExcuseDecided": ({"absence_reason": "medical"},
                      "Excuse for missing workshop A rejected: no excuse given. Referred for a breach decision. "
                      "Reason given for the absence: medical."),
}


def test_every_event_a_caution_records_has_a_catalogue_entry() -> None:
    missing = event_names() - set(CATALOGUE)
    assert not missing, f"add an entry to shared/catalogue.py for {sorted(missing)}"


def test_every_catalogue_entry_describes_an_event_a_caution_records() -> None:
    orphans = set(CATALOGUE) - event_names()
    assert not orphans, f"catalogue entries with no event on Caution: {sorted(orphans)}"


def test_the_examples_cover_every_event() -> None:
    assert set(EVENTS) == event_names()


def test_start_up_refuses_an_event_without_an_entry() -> None:
    require_catalogued(event_names())
    with pytest.raises(UnknownEvent, match="SomethingNew"):
        require_catalogued(event_names() | {"SomethingNew"})
    with pytest.raises(UnknownEvent):
        spec("SomethingNew")


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_each_field_of_an_event_is_published_or_withheld_with_a_reason(name: str) -> None:
    """A field added to an event must be catalogued: published, or withheld and why. Neither is silent."""
    entry, fields = CATALOGUE[name], set(vars(EVENTS[name])) - _BOOKKEEPING
    withheld_whole = {path for path in entry.withheld if "." not in path}
    uncatalogued = fields - set(entry.fields) - set(COMMON_FIELDS) - withheld_whole
    assert not uncatalogued, f"{name}: catalogue these fields as published or withheld: {sorted(uncatalogued)}"
    for path, why in entry.withheld.items():
        assert why.strip(), f"{name}: say why {path} is withheld"
        assert path.split(".")[0] in fields, f"{name}: withholds {path}, which the event does not carry"


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_each_published_field_comes_from_its_event(name: str) -> None:
    event = EVENTS[name]
    for field, kind in CATALOGUE[name].fields.items():
        assert hasattr(event, field), f"{name}: the catalogue publishes {field}, which the event does not give"
        if isinstance(kind, tuple):  # only these sub-fields go out: every other one is withheld, with a reason
            value = details_of(event).get(field) or {}
            others = {f"{field}.{sub}" for sub in value} - {f"{field}.{sub}" for sub in kind}
            assert others <= set(CATALOGUE[name].withheld), f"{name}: say why {sorted(others)} are withheld"


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_the_feed_carries_what_the_catalogue_publishes_and_nothing_withheld(name: str) -> None:
    entry, cloud_event = CATALOGUE[name], to_cloud_event(EVENTS[name], position=1)
    CloudEvent.model_validate(cloud_event)
    assert cloud_event["type"] == EVENT_TYPES[name] == entry.type
    assert set(cloud_event["data"]) == set(entry.fields) | set(COMMON_FIELDS)
    for path in entry.withheld:
        top, _, sub = path.partition(".")
        published = cloud_event["data"].get(top)
        assert (top not in cloud_event["data"]) if not sub else (sub not in (published or {})), path


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_each_entry_gives_the_court_the_sentence_it_always_has(name: str) -> None:
    """An event recorded before a field was added has no such field: it reads exactly as it always did."""
    details = {k: v for k, v in details_of(EVENTS[name]).items() if k not in ADDED_FIELDS.get(name, ())}
    assert CATALOGUE[name].sentence(details) == RECORDED_SENTENCES[name]


def test_a_new_field_left_empty_changes_no_sentence() -> None:
    for name, fields in ADDED_FIELDS.items():
        details = details_of(EVENTS[name])
        empty = {**details, **{f: (False if f == "recorded_in_error" else None) for f in fields}}
        assert CATALOGUE[name].sentence(empty) == RECORDED_SENTENCES[name], name


@pytest.mark.parametrize("name", sorted(NEW_SENTENCES))
def test_a_new_field_given_is_said(name: str) -> None:
    details, sentence = NEW_SENTENCES[name]
    assert CATALOGUE[name].sentence({**details_of(EVENTS[name]), **details}) == sentence


def test_the_sentences_pinned_here_are_every_entry() -> None:
    assert set(RECORDED_SENTENCES) == set(CATALOGUE)


def test_entries_say_what_they_are_for_the_asyncapi_document() -> None:
    for name, entry in CATALOGUE.items():
        assert entry.name == name and entry.description.endswith("."), name


def test_facts_are_set_from_published_fields_the_notification_service_can_read() -> None:
    openers = [entry for entry in CATALOGUE.values() if entry.opens_facts]
    assert [entry.name for entry in openers] == ["CautionIssued"]
    assert set(openers[0].facts) == set(SETTABLE), "the event that opens a caution's facts must set all of them"
    for entry in CATALOGUE.values():
        assert set(entry.facts) <= set(SETTABLE), entry.name
        assert set(entry.facts.values()) <= set(entry.fields), f"{entry.name}: a fact must come from a published field"


def test_every_event_takes_the_next_entry_number_once_when_replayed() -> None:
    """The base event's hook numbers entries, so no mutator can forget to (or do it twice)."""
    for caution in cautions_with_every_kind_of_event():
        events = caution.collect_events()
        replayed = None
        for event in events:
            replayed = event.mutate(replayed)
        assert replayed is not None
        assert replayed.entries == [event_name(e) for e in events] == caution.entries
