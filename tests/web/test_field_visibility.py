"""The field-by-role table (README, Personal data; services/caution_service/disclosure.py) holds in the HTML: each
role's pages about one caution show what that role may see and nothing it may not. Distinctive values are issued,
then every role's page for the caution is read in a real browser and searched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service_processes import wait_until
from tests.web.browser import Journey
from tests.web.stack import Stack

OFFENDER = "Quentin Zephyrsmith"
DESCRIPTION = "Threw a zebra-striped mug across the kitchen"
VICTIM_NAME, VICTIM_PHONE = "Vivienne Quillfeather", "07700 900987"
# role -> (its page about the caution, {value: whether that role's page may show it})
SEEN: dict[str, tuple[str, dict[str, bool]]] = {
    "police": ("/police/cautions/{id}", {OFFENDER: True, DESCRIPTION: True, VICTIM_NAME: False, VICTIM_PHONE: False}),
    "court": ("/court/cautions/{id}", {OFFENDER: True, VICTIM_NAME: False, VICTIM_PHONE: False}),
    "provider": ("/provider/cautions/{id}/first-contact",
                 {OFFENDER: True, DESCRIPTION: False, VICTIM_NAME: False, VICTIM_PHONE: False}),
    "victim_contact": ("/victim-contact/cautions/{id}",
                       {OFFENDER: False, DESCRIPTION: False, VICTIM_NAME: True, VICTIM_PHONE: True}),
    "commissioner": ("/commissioner/outcomes", {OFFENDER: False, DESCRIPTION: False, VICTIM_NAME: False}),
    "admin": ("/admin/personal-data/cautions/{id}", {OFFENDER: False, DESCRIPTION: False, VICTIM_NAME: False}),
}


@pytest.fixture(scope="module")
def caution(stack: Stack) -> dict[str, Any]:
    issued = stack.issue(offender={"name": OFFENDER}, offence={"description": DESCRIPTION},
                         victim={"contact_details": {"name": VICTIM_NAME, "phone": VICTIM_PHONE}})
    wait_until(lambda: stack.caution_call("GET", "/v1/cautions", "court", params={
        "police_reference": issued["police_reference"]}).json()["items"], what="the caution in the read model")
    return issued


@pytest.mark.parametrize("role", list(SEEN))
def test_each_roles_page_shows_only_what_the_role_may_see(stack: Stack, journey: Journey, caution: dict[str, Any],
                                                          role: str) -> None:
    path, expected = SEEN[role]
    journey.sign_in(role)
    page = journey.go(path.format(id=caution["id"]))
    assert journey.last_response is not None and journey.last_response.status == 200, page.url
    journey.look(f"{role}-caution")
    html = journey.html()
    shown = {value: value in html for value in expected}
    assert shown == expected
    assert all(value not in page.url for value in (OFFENDER, VICTIM_NAME, VICTIM_PHONE))
