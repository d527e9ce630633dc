"""People who cannot use a mouse (WCAG 2.1.1 Keyboard, 2.4.1 Bypass Blocks, 2.4.3 Focus Order): a court liaison
officer's whole journey from sign-in to the certificate, and a facilitator's register, with Tab, arrow keys,
typing and Enter, each control reached in the page's order."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.service_processes import wait_until
from tests.web.browser import Journey
from tests.web.provider_data import session_starting_now_with
from tests.web.stack import Stack

MAX_TABS = 40


def tab_to(page: Page, selector: str) -> None:
    """Tab forward until the focused element matches `selector` (fails if it is never reached)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with the Tab key")


def test_sign_in_search_and_download_with_the_keyboard_alone(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    wait_until(lambda: stack.caution_call("GET", "/v1/cautions", "court", params={
        "police_reference": caution["police_reference"]}).json()["items"], what="the read model")
    page = journey.go("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"

    tab_to(page, "input[name=role]")
    for _ in range(3):  # police, provider, victim contact, court
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "court"
    tab_to(page, "button.govuk-button:not(.govuk-button--secondary)")
    page.keyboard.press("Enter")
    page.wait_for_url("**/court/search")

    tab_to(page, "#police")
    page.keyboard.type(str(caution["police_reference"]))
    tab_to(page, "button.govuk-button:not(.govuk-button--secondary)")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/court/cautions/{caution['id']}")
    journey.look("caution-by-keyboard")

    tab_to(page, "a[href$='certificate.pdf']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.path().read_bytes().startswith(b"%PDF")


def test_a_register_recorded_with_the_keyboard_alone(stack: Stack, journey: Journey) -> None:
    cautions = [stack.issue() for _ in range(2)]
    session = session_starting_now_with(stack, cautions)
    journey.sign_in("provider")
    page = journey.go(f"/provider/sessions/{session['id']}")

    for row in range(len(cautions)):  # each row's outcome: the first after "Choose" is attended
        tab_to(page, f"select[name='outcome-{row}']")
        page.keyboard.press("ArrowDown")
    tab_to(page, "button.govuk-button:not(.govuk-button--secondary)")
    with page.expect_navigation():  # the register's answer redirects back to this same address
        page.keyboard.press("Enter")

    journey.look("register-by-keyboard")
    assert "Register recorded: 2 attended" in journey.text()
    for caution in cautions:
        seen = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()
        assert seen["workshops"]["A"]["attended_at"] is not None
