"""The police forms' own reading of answers, without a browser: times of day (read alike by every role's forms), a
correction's body, and where each refusal the caution service gives is shown."""

from __future__ import annotations

from datetime import time

import pytest

from services.web.backend import ApiProblem
from services.web.forms import FieldErrors, refusal
from services.web.pages.dates import parsed_time
from services.web.pages.police_actions import CORRECT, VARY, _correction
from services.web.pages.police_issue import FIELDS, _refused


@pytest.mark.parametrize(("typed", "expected"), [
    ("14:30", time(14, 30)), ("2:30pm", time(14, 30)), ("2pm", time(14)), ("12am", time(0)), ("12.15pm", time(12, 15)),
    ("midday", time(12)), ("12 midday", time(12)), ("midnight", time(0)), ("9", time(9)), (" 10:05 AM ", time(10, 5)),
    ("2 p.m.", time(14)), ("9.45a.m.", time(9, 45))])
def test_times_of_day_as_people_type_them(typed: str, expected: time) -> None:
    errors = FieldErrors()
    assert parsed_time(typed, "at", "time", errors) == expected and not errors


@pytest.mark.parametrize("typed", ["25:00", "13pm", "10:75", "half ten", "0am", "2:3pm", "pm"])
def test_a_time_that_is_not_one_is_said_so(typed: str) -> None:
    errors = FieldErrors()
    assert parsed_time(typed, "at", "time", errors) is None
    assert errors.of("at") == {"text": "The time must be a real time, like 2:30pm or 14:30"}


def test_a_missing_time_is_asked_for() -> None:
    errors = FieldErrors()
    assert parsed_time("  ", "at", "start time", errors) is None
    assert errors.of("at") == {"text": "Enter the start time"}


def test_a_retimed_entry_is_sent_with_its_uk_time_and_a_struck_one_with_none() -> None:
    base = {"entry": "3", "reason": "Wrong time entered", "corrected-day": "12", "corrected-month": "7",
            "corrected-year": "2026", "corrected-time": "7pm"}
    retimed = _correction({**base, "kind": "retime"}, FieldErrors())
    assert retimed == {"corrects_entry": 3, "reason": "Wrong time entered", "recorded_in_error": False,
                       "corrected_occurred_at": "2026-07-12T19:00:00+01:00"}  # BST
    struck = _correction({**base, "kind": "strike"}, FieldErrors())
    assert struck is not None and struck["recorded_in_error"] and struck["corrected_occurred_at"] is None


def test_a_retimed_entry_needs_its_time() -> None:
    errors = FieldErrors()
    assert _correction({"entry": "3", "kind": "retime", "reason": "x", "corrected-day": "", "corrected-month": "",
                        "corrected-year": "", "corrected-time": ""}, errors) is None
    assert set(errors.messages) == {"corrected-day", "corrected-time"}


def test_every_eligibility_rule_has_a_field() -> None:
    from services.caution_service.domain.eligibility import RULES
    assert {rule.__name__ for rule in RULES} <= set(FIELDS)


def test_refusals_are_shown_against_their_fields() -> None:
    invalid = ApiProblem(422, {"errors": [{"rule": "offender.date_of_birth:date_from_datetime_parsing",
                                           "message": "offender.date_of_birth: not a date"}]})
    assert _refused(invalid).messages == {"dob-day": ["offender.date_of_birth: not a date"]}
    duplicate = ApiProblem(409, {"type": "/problems/duplicate-police-reference",
                                 "existing_caution": {"issued_on": "2026-03-02"}})
    assert _refused(duplicate).messages == {
        "police-reference": ["This police reference already has a caution in your force, given on 2 March 2026"]}
    past = ApiProblem(422, {"errors": [{"rule": "variation_cannot_end_the_period_in_the_past", "message": "No"}]})
    assert refusal(past, VARY.fields).messages == {"ends-day": ["No"]}
    stale = refusal(ApiProblem(412, {"title": "The caution has changed since you read it"}), CORRECT.fields)
    assert stale.summary() == [{"text": "This caution changed since you opened the page: check it and try again"}]
