"""The data protection / system administrator in a real browser: webhooks (add, with the secret shown once; delete
after confirming), the consultation log with its integrity check, and erasing a person's data after confirming."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shared.catalogue import CATALOGUE
from tests.service_processes import wait_until
from tests.support import auth
from tests.web.browser import Journey
from tests.web.stack import Stack

# Webhook journeys run in a force no other journey issues cautions in, so nothing is ever delivered to their
# (public, literal) address; each subscription is deleted before the test ends.
WEBHOOK_FORCE = "DORSET"
RECEIVER = "https://93.184.215.14/cara"


def _notify(stack: Stack, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{stack.notify.url}{path}", headers=auth("admin", WEBHOOK_FORCE), timeout=10,
                         **kwargs)


def _subscription(stack: Stack, url: str) -> dict[str, Any] | None:
    found = [s for s in _notify(stack, "GET", "/v1/subscriptions").json()["items"] if s["url"] == url]
    return found[0] if found else None


def test_add_a_webhook_shows_its_secret_once_and_lists_it(stack: Stack, journey: Journey) -> None:
    url = f"{RECEIVER}/{uuid.uuid4().hex[:8]}"
    journey.sign_in("admin", force=WEBHOOK_FORCE)
    page = journey.page
    assert page.url.endswith("/admin/webhooks")
    journey.look("webhooks")
    page.get_by_role("button", name="Add a webhook").click()
    journey.look("add-webhook")
    page.get_by_label("Address deliveries are sent to").fill(url)
    page.get_by_label("Completed", exact=True).check()
    page.get_by_label("Breached", exact=True).check()
    page.get_by_role("button", name="Add webhook").click()

    journey.look("webhook-added")
    assert "will not be shown again" in journey.text()
    secret = page.locator("#signing-secret").inner_text()
    assert len(secret) >= 16
    page.reload()
    journey.look("webhook-added-reloaded")
    assert secret not in journey.html()
    page.get_by_role("link", name="Back to webhooks").click()
    journey.look("webhooks-listed")
    assert url in journey.text()
    try:
        created = _subscription(stack, url)
        assert created is not None and created["active"]
        assert set(created["event_types"]) == {CATALOGUE["Completed"].type, CATALOGUE["Breached"].type}
    finally:
        if created := _subscription(stack, url):
            _notify(stack, "DELETE", f"/v1/subscriptions/{created['id']}")


def test_delete_a_webhook_after_confirming(stack: Stack, journey: Journey) -> None:
    url = f"{RECEIVER}/{uuid.uuid4().hex[:8]}"
    answer = _notify(stack, "POST", "/v1/subscriptions", json={"url": url, "event_types": []})
    assert answer.status_code == 201, answer.text
    journey.sign_in("admin", force=WEBHOOK_FORCE)
    page = journey.page
    page.get_by_role("link", name=url).click()
    journey.look("webhook")
    assert "Nothing has been sent to this address yet" in journey.text()
    page.get_by_role("button", name="Delete this webhook").click()
    journey.look("delete-confirmation")
    page.get_by_role("button", name="Yes, delete this webhook").click()

    journey.look("webhooks-after-delete")
    assert page.url.endswith("/admin/webhooks")
    assert "Webhook deleted" in journey.text()
    assert _notify(stack, "GET", f"/v1/subscriptions/{answer.json()['id']}").json()["active"] is False


def test_a_webhook_to_an_internal_address_is_refused_on_its_field(stack: Stack, journey: Journey) -> None:
    journey.sign_in("admin", force=WEBHOOK_FORCE)
    page = journey.go("/admin/webhooks/new")
    page.get_by_label("Address deliveries are sent to").fill("http://127.0.0.1:9/hook")
    page.get_by_role("button", name="Add webhook").click()

    journey.look("add-webhook-refused")
    summary = page.locator(".govuk-error-summary")
    assert "cannot receive webhooks" in summary.inner_text() and "loopback" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "url"


def test_the_consultation_log_lists_a_court_read_and_is_intact(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    purpose = f"Hearing {uuid.uuid4().hex[:6]} at Cambridge Magistrates"
    read = httpx.get(f"{stack.caution.url}/v1/cautions/{caution['id']}",
                     headers={**auth("court"), "X-Purpose": purpose}, timeout=10)
    assert read.status_code == 200, read.text
    journey.sign_in("admin")
    page = journey.go("/admin/consultations")
    journey.look("consultations")
    page.get_by_label("Only the entries about one caution").fill(str(caution["id"]))
    page.get_by_role("button", name="Filter").click()

    journey.look("consultations-of-a-caution")
    assert page.url.endswith(f"/admin/consultations?caution={caution['id']}")
    row = page.get_by_role("row").filter(has_text=purpose)
    assert "Court" in row.inner_text() and "Personal data read" in row.inner_text()
    assert page.locator("#log-integrity .govuk-tag").inner_text() == "Intact"


def test_erase_the_victims_data_after_confirming(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("admin")
    page = journey.go("/admin/personal-data")
    journey.look("personal-data")
    page.get_by_label("Caution id").fill(str(caution["id"]))
    page.get_by_role("button", name="Find caution").click()
    journey.look("caution")
    page.get_by_role("link", name="Erase the victim's data").click()
    journey.look("erase-form")
    page.get_by_label("A court order").check()
    page.get_by_label("Reason").fill("Court order 2026/123")
    page.get_by_role("button", name="Continue").click()
    journey.look("erase-confirmation")
    assert "cannot be undone" in journey.text()
    page.get_by_role("button", name="Erase the victim's data").click()

    journey.look("erased")
    assert page.url.endswith(f"/admin/personal-data/cautions/{caution['id']}")
    assert "The victim's personal data was erased" in journey.text()
    victim_row = page.get_by_role("row").filter(has_text="Victim")
    assert "Erased" in victim_row.inner_text()
    seen = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()
    assert seen["personal_data"]["victim"]["state"] == "erased"
    assert seen["personal_data"]["offender"]["state"] == "held"


def test_a_second_erasure_is_refused_with_the_services_reason(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    first = stack.caution_call("POST", f"/v1/cautions/{caution['id']}/personal-data/offender/erasure", "admin",
                               json={"reason": "Court order 2026/1", "legal_basis": "court_order"})
    assert first.status_code == 200, first.text
    journey.sign_in("admin")
    page = journey.go(f"/admin/personal-data/cautions/{caution['id']}/offender/erasure")
    page.get_by_label("A court order").check()
    page.get_by_label("Reason").fill("Court order 2026/2")
    page.get_by_role("button", name="Continue").click()
    journey.look("erase-again-confirmation")
    page.get_by_role("button", name="Erase the offender's data").click()

    journey.look("erase-again-refused")
    assert "The offender's personal data was erased on" in page.locator(".govuk-error-summary").inner_text()


def test_the_erasure_form_asks_for_the_law_and_the_reason(stack: Stack, journey: Journey) -> None:
    journey.sign_in("admin")
    page = journey.go(f"/admin/personal-data/cautions/{uuid.uuid4()}/victim/erasure")
    page.get_by_role("button", name="Continue").click()

    journey.look("erase-form-errors")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Select the law this is done under" in summary and "Enter the reason" in summary
    assert page.title().startswith("Error: ")


def test_restrict_the_offenders_data_then_lift_the_restriction(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("admin")
    page = journey.go(f"/admin/personal-data/cautions/{caution['id']}")
    page.get_by_role("link", name="Restrict the offender's data").click()
    journey.look("restrict-form")
    page.get_by_label("Section 47(4)").check()
    page.get_by_label("Reason").fill("Accuracy contested, request 2026/7")
    page.get_by_role("button", name="Continue").click()
    journey.look("restrict-confirmation")
    page.get_by_role("button", name="Restrict the offender's data").click()
    journey.look("restricted")
    assert "Restricted" in page.get_by_role("row").filter(has_text="Offender").inner_text()
    assert stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()["offender"]["name"] is None

    page.get_by_role("link", name="Lift restriction on the offender's data").click()
    journey.look("lift-form")
    page.get_by_label("Reason").fill("Accuracy confirmed")
    page.get_by_role("button", name="Continue").click()
    journey.look("lift-confirmation")
    page.get_by_role("button", name="Lift the restriction").click()

    journey.look("lifted")
    assert "The restriction on the offender's personal data was lifted" in journey.text()
    seen = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()
    assert seen["personal_data"]["offender"]["state"] == "held" and seen["offender"]["name"]


def test_find_a_caution_by_its_police_reference_and_read_its_state(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    wait_until(lambda: stack.caution_call("GET", "/v1/cautions", "admin", params={
        "police_reference": caution["police_reference"]}).json()["items"], what="the caution in the read model")
    journey.sign_in("admin")
    page = journey.go("/admin/personal-data")
    page.get_by_label("Caution id or police reference").fill(str(caution["police_reference"]))
    page.get_by_role("button", name="Find caution").click()

    journey.look("caution-by-reference")
    assert page.url.endswith(f"/admin/personal-data/cautions/{caution['id']}")
    assert "Held" in page.get_by_role("row").filter(has_text="Victim").inner_text()
    assert "Not yet: the caution is open" in journey.text()
    assert "Sam Victim" not in journey.html() and "Alex Example" not in journey.html()


def test_a_change_made_meanwhile_is_shown_not_overwritten(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("admin")
    page = journey.go(f"/admin/personal-data/cautions/{caution['id']}/offender/restriction")
    page.get_by_label("Section 47(4)").check()
    page.get_by_label("Reason").fill("Accuracy contested, request 2026/8")
    page.get_by_role("button", name="Continue").click()
    meanwhile = stack.caution_call("POST", f"/v1/cautions/{caution['id']}/personal-data/victim/restriction", "admin",
                                   json={"reason": "Another request", "legal_basis": "court_order"})
    assert meanwhile.status_code == 200, meanwhile.text
    page.get_by_role("button", name="Restrict the offender's data").click()

    journey.look("changed-meanwhile")
    assert "This caution changed since you opened the page" in page.locator(".govuk-error-summary").inner_text()
    seen = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()
    assert seen["personal_data"]["offender"]["state"] == "held"
