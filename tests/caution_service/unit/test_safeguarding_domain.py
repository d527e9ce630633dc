"""Safeguarding concerns on a caution (issue 19): raised by the victim contact service or by the provider from a
session, on open and closed cautions, acknowledged by the police (the first thing they must do), struck by the
police alone when raised in error, and never struck once acknowledged."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.progress import required_actions
from services.caution_service.domain.values import (
    ConcernSource,
    ConcernUrgency,
    ContactOutcome,
    ContactStage,
    DataProtectionBasis,
    Person,
    SafeguardingCategory,
    Status,
)
from tests.support import at

from .builders import (
    A_DAY,
    ADMIN,
    POLICE,
    PROVIDER,
    SEALED_CONCERN,
    VICTIM_SERVICE,
    acknowledge,
    completed,
    issued,
    pending,
    raise_concern,
    refused,
    strike,
    when,
    with_a_attended,
)


def _actions(c: Caution, today: date) -> list[tuple[str, str, date | None]]:
    return [(a.action, a.role, a.due_on) for a in required_actions(c, today)]


def test_a_concern_raised_by_the_victim_contact_service_is_open_by_its_entry_number() -> None:
    c = issued()
    entry = raise_concern(c, 3)
    assert entry == 2 and c.entries[-1] == "SafeguardingConcernRaised"
    assert c.open_concerns == {2: ("risk_to_victim", "urgent", at(3))}
    event = pending(c)
    assert (event.category, event.urgency, event.source, event.session_id, event.details_sealed) == (
        SafeguardingCategory.RISK_TO_VICTIM, ConcernUrgency.URGENT, ConcernSource.VICTIM_CONTACT, None, SEALED_CONCERN)


def test_the_police_must_acknowledge_each_open_concern_first_due_the_uk_day_it_was_raised() -> None:
    c = issued()
    first = raise_concern(c, 3)
    second = raise_concern(c, 4, urgency=ConcernUrgency.ROUTINE)
    actions = _actions(c, at(3).date())
    assert actions[:2] == [("acknowledge_safeguarding_concern", "police", at(3).date()),
                           ("acknowledge_safeguarding_concern", "police", at(4).date())]
    assert actions[2][0] == "make_first_contact"  # the caution's own progress comes after
    overdue = [a for a in required_actions(c, at(4).date()) if a.due_on and a.due_on < at(4).date()]
    assert [a.action for a in overdue] == ["acknowledge_safeguarding_concern"]
    acknowledge(c, first, 4)
    assert list(c.open_concerns) == [second]
    acknowledge(c, second, 4)
    assert c.open_concerns == {} and _actions(c, at(4).date())[0][0] == "make_first_contact"


def test_a_concern_raised_late_in_a_uk_summer_evening_is_due_that_uk_day() -> None:
    c = issued()
    late = datetime(2026, 6, 10, 23, 30, tzinfo=UTC)  # 00:30 on 11 June in London (BST)
    c.raise_safeguarding_concern(SafeguardingCategory.OTHER, ConcernUrgency.ROUTINE, ConcernSource.VICTIM_CONTACT,
                                 None, occurred_at=late, recorded_at=late, recorded_by=VICTIM_SERVICE)
    assert required_actions(c, date(2026, 6, 11))[0].due_on == date(2026, 6, 11)


def test_a_concern_can_be_raised_and_must_be_acknowledged_on_a_closed_caution() -> None:
    c = completed()
    assert c.status is Status.COMPLETED
    entry = raise_concern(c, 60)
    assert _actions(c, at(60).date())[0] == ("acknowledge_safeguarding_concern", "police", at(60).date())
    acknowledge(c, entry, 61)
    assert all(a[0] != "acknowledge_safeguarding_concern" for a in _actions(c, at(61).date()))


def test_the_provider_raises_a_concern_from_a_session_it_names() -> None:
    c = issued()
    raise_concern(c, 3, by=PROVIDER, source=ConcernSource.WORKSHOP_SESSION, session_id=" session-1 ",
                  category=SafeguardingCategory.THREAT_BY_OFFENDER)
    assert pending(c).session_id == "session-1" and pending(c).source is ConcernSource.WORKSHOP_SESSION
    with refused(InvalidCommand, "concern_from_session_needs_session", c):
        raise_concern(c, 3, by=PROVIDER, source=ConcernSource.WORKSHOP_SESSION, session_id="  ")
    with refused(InvalidCommand, "session_only_for_session_concern", c):
        raise_concern(c, 3, session_id="session-1")


def test_a_concern_on_a_contact_is_recorded_with_that_contact_only() -> None:
    c = with_a_attended()
    with refused(InvalidCommand, "concern_on_contact_follows_contact", c):
        raise_concern(c, A_DAY + 1, source=ConcernSource.VICTIM_CONTACT_ON_CONTACT)
    c.contact_victim(ContactStage.AFTER_WORKSHOP_A, ContactOutcome.CONTACTED, True, None, **when(A_DAY + 1),
                     recorded_by=VICTIM_SERVICE)
    entry = raise_concern(c, A_DAY + 1, source=ConcernSource.VICTIM_CONTACT_ON_CONTACT)
    assert c.entries[entry - 2:entry] == ["VictimContacted", "SafeguardingConcernRaised"]


def test_a_concern_is_not_in_the_future_nor_before_the_caution() -> None:
    c = issued()
    with refused(InvalidCommand, "not_before_caution", c):
        c.raise_safeguarding_concern(SafeguardingCategory.OTHER, ConcernUrgency.URGENT, ConcernSource.VICTIM_CONTACT,
                                     None, occurred_at=at(-1), recorded_at=at(1), recorded_by=VICTIM_SERVICE)
    with refused(InvalidCommand, "not_in_future", c):
        c.raise_safeguarding_concern(SafeguardingCategory.OTHER, ConcernUrgency.URGENT, ConcernSource.VICTIM_CONTACT,
                                     None, occurred_at=at(3, 11), recorded_at=at(3, 10), recorded_by=VICTIM_SERVICE)


def test_an_acknowledgement_names_an_unacknowledged_concern_and_the_action_taken() -> None:
    c = issued()
    entry = raise_concern(c, 3)
    for not_a_concern in (0, 1, entry + 1):
        with refused(InvalidCommand, "not_a_safeguarding_concern", c):
            acknowledge(c, not_a_concern, 3)
    with refused(InvalidCommand, "action_taken_required", c):
        c.acknowledge_safeguarding_concern(entry, "  ", **when(3), recorded_by=POLICE)
    with refused(InvalidCommand, "acknowledgement_after_concern", c):
        c.acknowledge_safeguarding_concern(entry, "visited", occurred_at=at(3, 9), recorded_at=at(3, 11),
                                           recorded_by=POLICE)
    acknowledge(c, entry, 3)
    assert (pending(c).concern, pending(c).action_taken) == (entry, "officer visited the victim")
    with refused(ConflictsWithState, "concern_already_acknowledged", c):
        acknowledge(c, entry, 4)


def test_a_concern_raised_in_error_is_struck_by_the_police_alone_which_closes_it() -> None:
    c = issued()
    entry = raise_concern(c, 3)
    for by in (VICTIM_SERVICE, PROVIDER):
        with refused(InvalidCommand, "concern_struck_by_police", c):
            strike(c, entry, 4, by=by)
    strike(c, entry, 4)
    assert c.open_concerns == {} and c.is_struck(entry)
    assert all(a.action != "acknowledge_safeguarding_concern" for a in required_actions(c, at(4).date()))
    with refused(ConflictsWithState, "entry_struck_out", c):
        acknowledge(c, entry, 5)


def test_a_concern_raised_in_error_on_a_closed_caution_is_struck_by_the_police() -> None:
    c = completed()
    entry = raise_concern(c, 60)
    strike(c, entry, 61)
    assert c.open_concerns == {} and c.status is Status.COMPLETED


def test_an_acknowledged_concern_and_its_acknowledgement_are_never_struck() -> None:
    c = issued()
    entry = raise_concern(c, 3)
    acknowledge(c, entry, 3)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c):
        strike(c, entry, 4)
    with refused(InvalidCommand, "strike_cannot_be_redecided", c) as caught:
        strike(c, entry + 1, 4)
    assert "police decision" in caught.value.message


def test_a_concern_re_timed_is_due_on_its_corrected_day() -> None:
    c = issued()
    entry = raise_concern(c, 5)
    c.correct(entry, "raised two days earlier", at(3), recorded_at=at(6), recorded_by=POLICE)
    assert c.open_concerns[entry][2] == at(3)
    assert required_actions(c, at(6).date())[0].due_on == at(3).date()


def test_the_state_replayed_from_the_events_is_the_state_recorded() -> None:
    c = issued()
    first = raise_concern(c, 3)
    raise_concern(c, 4, category=SafeguardingCategory.RISK_TO_CHILDREN)
    acknowledge(c, first, 4)
    replayed = None
    for event in c.collect_events():
        replayed = event.mutate(replayed)
    assert isinstance(replayed, Caution) and replayed.open_concerns == c.open_concerns == {
        3: ("risk_to_children", "urgent", at(4))}


def test_what_was_said_cannot_be_sealed_once_the_victims_data_is_erased() -> None:
    """The route seals under the victim's key (disclosure.seal_concern_details), refused once it is destroyed."""
    from services.caution_service.disclosure import seal_concern_details

    c = issued()
    c.erase_personal_data(Person.VICTIM, "court order", DataProtectionBasis.COURT_ORDER, recorded_at=at(2),
                          recorded_by=ADMIN)
    assert seal_concern_details(None, c, None) is None  # type: ignore[arg-type]  # nothing said: nothing sealed
    with refused(ConflictsWithState, "personal_data_erased"):
        seal_concern_details(None, c, "he said he would come round")  # type: ignore[arg-type]
