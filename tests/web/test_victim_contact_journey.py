"""Victim contact service in a real browser: the contacts due, a caution with the victim's details (on this role's
page and no other), recording a contact, raising a safeguarding concern the police then see, and correcting the
victim's phone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.service_processes import wait_until
from tests.web.browser import Journey
from tests.web.stack import Stack


def _workshop_a_attended(stack: Stack, **overrides: Any) -> dict[str, Any]:
    """A caution issued three days ago whose workshop A the provider booked and recorded attended yesterday (UK
    day; 10:00 and 12:00 UTC fall on it all year), so the contact after workshop A is due."""
    caution = stack.issue(days_ago=3, **overrides)
    path = f"/v1/cautions/{caution['id']}/workshops/A"
    session = datetime.combine(date.today() - timedelta(days=1), time(10), UTC)
    booked = stack.caution_call("POST", f"{path}/schedule", "provider", json={
        "occurred_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(), "session_at": session.isoformat(),
        "venue": "Cambridge Hub"})
    assert booked.status_code == 200, booked.text
    attended = stack.caution_call("POST", f"{path}/attendance", "provider",
                                  json={"occurred_at": (session + timedelta(hours=2)).isoformat()})
    assert attended.status_code == 200, attended.text
    return {**caution, "position": attended.json()["position"]}


def _worklist(stack: Stack, role: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = stack.caution_call("GET", "/v1/worklist", role, params=params).json()["items"]
    return items


def _fill_today(journey: Journey) -> None:
    today = date.today()
    page = journey.page
    page.get_by_label("Day", exact=True).fill(str(today.day))
    page.get_by_label("Month", exact=True).fill(str(today.month))
    page.get_by_label("Year", exact=True).fill(str(today.year))


def test_a_contact_due_is_recorded_and_leaves_the_worklist(stack: Stack, journey: Journey) -> None:
    caution = _workshop_a_attended(stack)
    due = _worklist(stack, "victim_contact", min_position=caution["position"])
    assert any(item["caution_id"] == caution["id"] for item in due)
    journey.sign_in("victim_contact")
    page = journey.page
    assert page.url.endswith("/victim-contact/worklist")
    journey.look("worklist")
    row = page.get_by_role("row").filter(has_text=str(caution["police_reference"]))
    assert "After workshop A" in row.inner_text() and "Due" in row.inner_text()
    row.get_by_role("link").click()

    journey.look("caution")
    page.get_by_role("button", name="Record a contact").click()
    assert page.get_by_label("After workshop A").is_checked()  # the stage due is chosen already
    page.get_by_role("button", name="Record the contact").click()
    journey.look("contact-errors")
    assert "Select the outcome of the contact" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Contacted", exact=True).check()
    _fill_today(journey)
    page.get_by_label("Notes (optional)").fill("Spoke to the victim; no concerns.")
    page.get_by_role("button", name="Record the contact").click()

    journey.look("contact-recorded")
    assert page.url.endswith(f"/victim-contact/cautions/{caution['id']}")
    assert "The contact after workshop A is recorded" in journey.text()
    contacts = page.locator(".govuk-summary-card", has_text="After workshop A")
    assert "Contacted" in contacts.inner_text()
    journey.go("/victim-contact/worklist")
    assert str(caution["police_reference"]) not in journey.text()


def test_a_contact_recorded_with_notes_is_listed_on_the_caution_page_with_them(stack: Stack,
                                                                              journey: Journey) -> None:
    caution = _workshop_a_attended(stack)
    notes = f"She asked for calls after 6pm only ({uuid.uuid4().hex[:6]})"
    journey.sign_in("victim_contact")
    page = journey.go(f"/victim-contact/cautions/{caution['id']}")
    assert "No contact has been recorded yet." in journey.text()
    page.get_by_role("button", name="Record a contact").click()
    page.get_by_label("Contacted", exact=True).check()
    _fill_today(journey)
    page.get_by_label("Notes (optional)").fill(notes)
    page.get_by_role("button", name="Record the contact").click()

    journey.look("contact-listed")
    table = page.get_by_role("table", name="Contacts with the victim recorded on this caution")
    row = table.get_by_role("row").filter(has_text=notes)
    cells = [cell.strip() for cell in row.inner_text().split("\t")]
    assert cells[0] == "After workshop A" and cells[2:] == ["Contacted", "No", notes], cells
    assert cells[1].startswith(date.today().strftime("%-d %B %Y")), cells


def test_an_urgent_concern_reaches_the_police_worklist(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("victim_contact")
    page = journey.go(f"/victim-contact/cautions/{caution['id']}")
    page.get_by_role("button", name="Raise a safeguarding concern").click()
    journey.look("concern")
    page.get_by_label("A threat made by the offender").check()
    page.get_by_label("Urgent: the police should act today").check()
    _fill_today(journey)
    page.get_by_label("What was said (optional)").fill("Said he would go round to her house tonight.")
    page.get_by_role("button", name="Raise the concern").click()

    journey.look("concern-raised")
    assert "Safeguarding concern raised" in journey.text()
    row = page.get_by_role("row").filter(has_text="A threat made by the offender")
    assert "Urgent" in row.inner_text() and "Waiting for the police" in row.inner_text()
    police = wait_until(lambda: [item for item in _worklist(stack, "police", action="acknowledge_safeguarding_concern")
                                 if item["caution_id"] == caution["id"]], what="the concern in the police worklist")
    assert police[0]["due_on"] == date.today().isoformat()


def test_correcting_the_victims_phone_shows_the_new_one(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("victim_contact")
    page = journey.go(f"/victim-contact/cautions/{caution['id']}/victim-details")
    assert page.get_by_label("Name").input_value() == "Sam Victim"  # the details held, filled in
    assert page.get_by_label("Phone (optional)").input_value() == "07700 900123"
    page.get_by_label("Phone (optional)").fill("07700 900456")
    page.get_by_role("button", name="Save the corrected details").click()
    journey.look("details-errors")
    summary = page.locator(".govuk-error-summary")
    summary.get_by_role("link", name="Enter why the details are being corrected").click()
    assert page.evaluate("document.activeElement.id") == "reason"
    assert page.get_by_label("Phone (optional)").input_value() == "07700 900456"  # what was typed is kept
    page.get_by_label("Why are the details being corrected?").fill("New phone number")
    page.get_by_role("button", name="Save the corrected details").click()

    journey.look("details-corrected")
    details = page.locator(".govuk-summary-card", has_text="The victim's contact details").inner_text()
    assert "07700 900456" in details and "07700 900123" not in details


def test_the_victims_details_are_on_this_roles_page_and_not_the_courts(stack: Stack, journey: Journey) -> None:
    name, phone = f"Kim {uuid.uuid4().hex[:6].capitalize()}", f"07700 9{uuid.uuid4().int % 10**5:05d}"
    caution = stack.issue(victim={"contact_details": {"name": name, "phone": phone, "email": "kim@example.org"}})
    journey.sign_in("victim_contact")
    journey.go(f"/victim-contact/cautions/{caution['id']}")
    journey.look("victim-details")
    assert name in journey.text() and phone in journey.text() and "kim@example.org" in journey.text()
    assert name not in journey.page.url
    journey.page.get_by_role("button", name="Sign out").click()

    journey.sign_in("court")
    journey.go(f"/court/cautions/{caution['id']}")
    journey.look("court-caution")
    assert "Alex Example" in journey.text()  # the court's own page, with what the court may see
    assert all(detail not in journey.html() for detail in (name, phone, "kim@example.org"))


def test_a_change_made_since_the_form_was_opened_is_shown_not_overwritten(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("victim_contact")
    page = journey.go(f"/victim-contact/cautions/{caution['id']}/victim-details")
    meanwhile = stack.caution_call("POST", f"/v1/cautions/{caution['id']}/safeguarding-concerns", "victim_contact",
                                   json={"occurred_at": datetime.now(UTC).isoformat(), "category": "other",
                                         "urgency": "routine"})
    assert meanwhile.status_code == 200, meanwhile.text
    page.get_by_label("Phone (optional)").fill("07700 900789")
    page.get_by_label("Why are the details being corrected?").fill("New phone number")
    page.get_by_role("button", name="Save the corrected details").click()

    journey.look("changed-meanwhile")
    assert "This caution changed since you opened the page" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_role("button", name="Save the corrected details").click()  # now on the current version
    assert "07700 900789" in page.locator(".govuk-summary-card", has_text="The victim's contact details").inner_text()
