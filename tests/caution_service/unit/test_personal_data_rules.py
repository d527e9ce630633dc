"""The caution's rules for a person's data (DPA 2018 ss.46-47): erasure, restriction and rectification as events."""

from __future__ import annotations

from typing import Any

import pytest

from services.caution_service.application import key_changes
from services.caution_service.disclosure import OWNER, Field, fields_shown, shown_to
from services.caution_service.domain.errors import ConflictsWithState, InvalidCommand
from services.caution_service.domain.values import DataNotice, DataProtectionBasis, Person, Status
from shared.auth import Role
from tests.caution_service.unit.builders import ADMIN, at, completed, issued, pending

ERASE = DataProtectionBasis.ERASURE
NOW: dict[str, Any] = {"recorded_at": at(30), "recorded_by": ADMIN}


def test_erasure_is_recorded_with_the_key_it_destroys_and_its_reason() -> None:
    c = issued()
    c.erase_personal_data(Person.OFFENDER, "no longer needed", ERASE, **NOW)
    event = pending(c)
    assert (event.person, event.key_id, event.reason, event.legal_basis) == (
        Person.OFFENDER, c.offender_key, "no longer needed", ERASE)
    assert c.erased == {"offender": DataNotice(at(30).date(), "no longer needed", ERASE)}
    assert c.entries[-1] == "PersonalDataErased"


def test_a_person_is_erased_once_and_nothing_more_is_done_with_their_data() -> None:
    c = issued()
    c.erase_personal_data(Person.VICTIM, "asked", ERASE, **NOW)
    for attempt in (lambda: c.erase_personal_data(Person.VICTIM, "again", ERASE, **NOW),
                    lambda: c.restrict_processing(Person.VICTIM, "x", DataProtectionBasis.RESTRICTION_ACCURACY, **NOW),
                    lambda: c.rectify_personal_data(Person.VICTIM, ["contact_details"], "p1.k.x", "x", **NOW)):
        with pytest.raises(ConflictsWithState) as refused:
            attempt()
        assert refused.value.rule == "personal_data_erased"
    c.erase_personal_data(Person.OFFENDER, "asked", ERASE, **NOW)  # the other person's data is theirs alone


def test_erasure_applies_to_a_closed_caution_too() -> None:
    c = completed()
    assert c.status is Status.COMPLETED
    c.erase_personal_data(Person.OFFENDER, "retention period over", DataProtectionBasis.RETENTION, **NOW)
    assert "offender" in c.erased


def test_an_erasure_lifts_any_restriction_of_the_same_person() -> None:
    c = issued()
    c.restrict_processing(Person.OFFENDER, "contested", DataProtectionBasis.RESTRICTION_ACCURACY, **NOW)
    c.erase_personal_data(Person.OFFENDER, "settled: erase", ERASE, **NOW)
    assert c.restricted == {} and "offender" in c.erased


def test_a_restriction_is_lifted_only_where_there_is_one() -> None:
    c = issued()
    with pytest.raises(ConflictsWithState, match="not restricted"):
        c.lift_restriction(Person.VICTIM, "no", **NOW)
    c.restrict_processing(Person.VICTIM, "contested", DataProtectionBasis.RESTRICTION_ACCURACY, **NOW)
    with pytest.raises(ConflictsWithState, match="already restricted"):
        c.restrict_processing(Person.VICTIM, "again", DataProtectionBasis.RESTRICTION_ACCURACY, **NOW)
    c.lift_restriction(Person.VICTIM, "settled", **NOW)
    assert c.restricted == {}


def test_a_rectification_replaces_the_seal_and_names_what_it_corrects() -> None:
    c = issued()
    c.rectify_personal_data(Person.OFFENDER, ["name", "date_of_birth"], "p1.offender-key.bmV3", "typo", **NOW)
    assert c.offender.identity_sealed == "p1.offender-key.bmV3"
    assert pending(c).corrected == ["date_of_birth", "name"]
    c.rectify_personal_data(Person.VICTIM, ["contact_details"], "p1.victim-key.bmV3", "new phone", **NOW)
    assert c.victim_details_sealed == "p1.victim-key.bmV3"
    with pytest.raises(InvalidCommand):
        c.rectify_personal_data(Person.OFFENDER, [], "p1.offender-key.bmV3", "nothing", **NOW)


@pytest.mark.parametrize("reason", ["", "   "])
def test_each_needs_a_reason(reason: str) -> None:
    with pytest.raises(InvalidCommand, match="reason"):
        issued().erase_personal_data(Person.OFFENDER, reason, ERASE, **NOW)


def test_the_keys_a_save_stores_and_destroys_are_named_by_the_events() -> None:
    new = issued()
    made, destroyed = key_changes([new])
    assert (made, destroyed) == ([new.offender_key, new.victim_key], [])
    new.collect_events()
    new.erase_personal_data(Person.VICTIM, "asked", ERASE, **NOW)
    assert key_changes([new]) == ([], [new.victim_key])


@pytest.mark.parametrize("role", list(Role))
def test_the_fields_a_role_is_shown_are_those_the_table_allows_for_each_persons_state(role: Role) -> None:
    held, erased, restricted = issued(), issued(), issued()
    erased.erase_personal_data(Person.OFFENDER, "asked", ERASE, **NOW)
    restricted.restrict_processing(Person.VICTIM, "contested", DataProtectionBasis.RESTRICTION_ACCURACY, **NOW)
    for caution in (held, erased, restricted):
        assert fields_shown(role, caution) == {f for f in Field if shown_to(role, f, caution)}
    assert not {f for f in fields_shown(role, erased) if OWNER[f] is Person.OFFENDER}
    assert not {f for f in fields_shown(role, restricted) if OWNER[f] is Person.VICTIM}
