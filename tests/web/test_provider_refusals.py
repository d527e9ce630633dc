"""The register's refusals placed on their rows, without a browser: a refusal naming its caution (the caution
service names it when one line of a register breaks a rule) goes on that caution's row."""

from __future__ import annotations

from services.web.backend import ApiProblem
from services.web.pages.provider import _refusal

LINES = [{"index": str(i), "caution_id": f"c{i}", "reference": f"CC-{i}", "outcome": "attended", "reason": "",
          "detail": "", "note": ""} for i in range(3)]


def test_a_refusal_naming_its_caution_is_on_that_row() -> None:
    problem = ApiProblem(409, {"title": "Not allowed", "errors": [
        {"rule": "strike_dependant_first", "message": "Strike out workshop B first.", "caution_id": "c2"}]})

    errors = _refusal(problem, LINES)

    assert errors.summary() == [{"text": "CC-2: Strike out workshop B first.", "href": "#outcome-2"}]


def test_a_refusal_naming_no_caution_goes_in_the_summary_alone() -> None:
    problem = ApiProblem(409, {"title": "Not allowed", "errors": [{"rule": "some_rule", "message": "No."}]})

    assert _refusal(problem, LINES).summary() == [{"text": "No."}]
