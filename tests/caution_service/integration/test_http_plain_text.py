"""Free text refuses what would hide or rewrite it when shown (control, bidi and invisible characters), and is
stored NFC-normalised: a name with a right-to-left override or a NUL was stored and printed into the court's PDF."""

from __future__ import annotations

from typing import Any

import pytest

from tests.caution_fixtures import Steps, assert_problem
from tests.support import at, caution_payload, iso

RLO, NUL = "\u202e", "\u0000"


@pytest.fixture(scope="module")
def steps(module_steps: Steps) -> Steps:
    return module_steps


def _refused_naming(response: Any, field: str) -> None:
    body = assert_problem(response, 422)
    assert body["type"] == "/problems/validation-failed"
    assert any(e["rule"].startswith(f"{field}:") for e in body["errors"]), body


@pytest.mark.parametrize("bad", [f"Alex {RLO}htimS", f"Alex{NUL}Smith", "Alex\u2066Smith", "Alex\u200bSmith",
                                 "Alex\u0085Smith", "Alex\nSmith", "Alex\tSmith", "\u001b[31mAlex"],
                         ids=["rlo", "nul", "isolate", "zero-width-space", "c1-next-line", "newline", "tab", "escape"])
def test_an_offender_name_with_a_hidden_character_is_refused(steps: Steps, bad: str) -> None:
    response = steps.client.post("/v1/cautions", json=caution_payload(offender={"name": bad}), headers=steps.police)
    _refused_naming(response, "offender.name")


@pytest.mark.parametrize(("field", "part", "bad"), [
    ("police_reference", None, f"CC-1{RLO}2"), ("offender.reference", "offender", "PNC\u200d1"),
    ("victim.contact_details.name", "victim", f"Sam{NUL}"), ("offence.description", "offence", f"x{RLO}y"),
    ("issuing_officer.name", "issuing_officer", "Jo\u2069"),
])
def test_every_text_field_of_an_issue_is_checked(steps: Steps, field: str, part: str | None, bad: str) -> None:
    leaf = field.rsplit(".", 1)[-1]
    payload = caution_payload()
    if part is None:
        payload[leaf] = bad
    elif part == "victim":
        payload["victim"]["contact_details"]["name"] = bad
    else:
        payload[part][leaf] = bad
    _refused_naming(steps.client.post("/v1/cautions", json=payload, headers=steps.police), field)


def test_names_are_stored_nfc_and_notes_keep_their_lines(steps: Steps) -> None:
    decomposed = "Jose\u0301 Nu\u0301n\u0303ez"
    caution = steps.issue(offender={"name": decomposed}, offence={"description": "Pushed.\r\nThen left.\tOK"})
    read = steps.get(caution["id"]).json()
    assert read["offender"]["name"] == "José Núñez"
    assert read["offence"]["description"] == "Pushed.\nThen left.\tOK"


def test_commands_and_rectification_refuse_hidden_characters(steps: Steps) -> None:
    caution = steps.issue()
    cid = caution["id"]
    schedule = steps.schedule_body(10)
    _refused_naming(steps.post(cid, "workshops/A/schedule", {**schedule, "venue": f"Hub{NUL}"}, steps.provider),
                    "venue")
    withdraw = {"occurred_at": iso(steps.tick(at(2))), "reason": f"Issued{NUL} in error"}
    _refused_naming(steps.post(cid, "withdrawal", withdraw, steps.police), "reason")
    rectify = {"name": f"Alex {RLO}htimS", "reason": "Spelling"}
    _refused_naming(steps.post(cid, "personal-data/offender/rectification", rectify, steps.police), "name")
    search = {"name": f"Alex{RLO}", "date_of_birth": "1990-05-17"}
    _refused_naming(steps.client.post("/v1/cautions/search", json=search, headers=steps.police), "name")
