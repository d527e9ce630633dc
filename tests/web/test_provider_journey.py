"""The workshop provider in a real browser: the sessions of the coming weeks, a session's roster and its register
recorded for the whole group in one form (and corrected), a refusal shown against its row, the worklist's first
contact and booking, and planning a session at a new venue. No offender's name or victim detail on a session page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.web.rendering import uk_day
from shared.uk_time import UK
from tests.web.browser import Journey
from tests.web.provider_data import (
    OFFENDER_NAME,
    VICTIM_DETAILS,
    attended_a,
    book,
    in_days,
    plan,
    provider_worklist,
    session_starting_now_with,
    starting_now,
    venue,
)
from tests.web.stack import Stack


def _no_personal_data(journey: Journey) -> None:
    html = journey.html()
    assert OFFENDER_NAME not in html
    assert all(detail not in html for detail in VICTIM_DETAILS)


def _row(journey: Journey, reference: str) -> Any:
    return journey.page.locator("tr", has_text=reference)


def test_the_sessions_page_lists_a_planned_session_and_opens_it(stack: Stack, journey: Journey) -> None:
    hall = venue(stack)
    session = plan(stack, hall["id"], in_days(3))
    journey.sign_in("provider")
    page = journey.page
    assert page.url.endswith("/provider/sessions")
    journey.look("sessions")
    row = _row(journey, hall["name"])
    assert "Workshop A" in row.inner_text() and "0 of 12" in row.inner_text() and "Planned" in row.inner_text()
    row.get_by_role("link").click()

    assert page.url.endswith(f"/provider/sessions/{session['id']}")
    journey.look("session")
    assert "No one is booked into this session yet." in journey.text()


def test_the_register_records_every_booked_caution_in_one_submit(stack: Stack, journey: Journey) -> None:
    cautions = [stack.issue() for _ in range(3)]
    session = session_starting_now_with(stack, cautions)
    journey.sign_in("provider")
    page = journey.go(f"/provider/sessions/{session['id']}")
    journey.look("session-to-register")
    _no_personal_data(journey)
    refs = [str(c["police_reference"]) for c in cautions]
    page.get_by_label(f"What happened for {refs[0]}").select_option("attended")
    page.get_by_label(f"What happened for {refs[1]}").select_option("did_not_attend")
    page.get_by_label(f"Absence reason for {refs[1]}").select_option("medical")
    page.get_by_label(f"Note for {refs[1]}").fill("Phoned in sick")
    page.get_by_label(f"What happened for {refs[2]}").select_option("arrived_late")
    page.get_by_role("button", name="Record the register").click()

    journey.look("register-recorded")
    assert "Register recorded: 1 attended, 2 missed" in journey.text()
    roster = page.locator("table", has=page.locator("caption", has_text="Cautions booked into this session"))
    assert "Attended" in roster.locator("tr", has_text=refs[0]).inner_text()
    assert "Did not attend" in roster.locator("tr", has_text=refs[1]).inner_text()
    assert "Arrived late" in roster.locator("tr", has_text=refs[2]).inner_text()
    assert page.get_by_role("button", name="Correct the register").is_visible()  # a second register is a correction
    _no_personal_data(journey)
    attended = stack.caution_call("GET", f"/v1/cautions/{cautions[0]['id']}", "police").json()
    assert attended["workshops"]["A"]["attended_at"] is not None
    missed = stack.caution_call("GET", f"/v1/cautions/{cautions[1]['id']}", "police").json()
    assert missed["workshops"]["A"]["attended_at"] is None and missed["pending_excuse_decision"] == "A"


def test_a_register_refusal_is_shown_against_its_row(stack: Stack, journey: Journey) -> None:
    cautions = [stack.issue() for _ in range(2)]
    session = session_starting_now_with(stack, cautions)
    refs = [str(c["police_reference"]) for c in cautions]
    journey.sign_in("provider")
    page = journey.go(f"/provider/sessions/{session['id']}")
    journey.look("session-to-register")
    page.get_by_label(f"What happened for {refs[0]}").select_option("did_not_attend")
    page.get_by_label(f"What happened for {refs[1]}").select_option("attended")
    page.get_by_label(f"Note for {refs[1]}").fill("Was fine")  # a note is for a miss: the caution service refuses
    page.get_by_role("button", name="Record the register").click()

    journey.look("register-refused")
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    message = f"{refs[1]} attended: an absence reason and a note are only for a miss"
    assert message in summary.inner_text()
    summary.get_by_role("link", name=message).click()
    row_field = page.get_by_label(f"What happened for {refs[1]}").get_attribute("id")
    assert page.evaluate("document.activeElement.id") == row_field
    assert page.get_by_label(f"Note for {refs[1]}").input_value() == "Was fine"  # what was typed is kept
    assert stack.caution_call("GET", f"/v1/workshop-sessions/{session['id']}", "provider").json()["register"] == []


def test_a_recorded_register_is_corrected_with_its_reason(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    session = book(stack, plan(stack, venue(stack)["id"], starting_now()), caution)
    recorded = stack.caution_call("POST", f"/v1/workshop-sessions/{session['id']}/register", "provider",
                                  json={"lines": [{"caution_id": caution["id"], "outcome": "did_not_attend"}]})
    assert recorded.status_code == 200, recorded.text
    journey.sign_in("provider")
    page = journey.go(f"/provider/sessions/{session['id']}")
    journey.look("session-to-correct")
    ref = str(caution["police_reference"])
    page.get_by_label(f"What happened for {ref}").select_option("attended")
    page.get_by_label("Why is the register being corrected?").fill("Marked absent by mistake")
    page.get_by_role("button", name="Correct the register").click()

    journey.look("register-corrected")
    assert "Register corrected: 1 attended, 0 missed" in journey.text()
    assert "Attended" in _row(journey, ref).first.inner_text()
    after = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()
    assert after["workshops"]["A"]["attended_at"] is not None


def test_recording_a_first_contact_from_the_worklist_takes_it_off(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    ref = str(caution["police_reference"])
    assert any(i["caution_id"] == caution["id"] for i in provider_worklist(stack, caution["position"])["first_contact"])
    journey.sign_in("provider")
    page = journey.go("/provider/worklist")
    journey.look("worklist")
    page.get_by_role("link", name=f"Record first contact for {ref}").click()
    journey.look("first-contact")
    when = datetime.now(UTC).astimezone(UK) - timedelta(hours=1)
    page.get_by_label("Day").fill(str(when.day))
    page.get_by_label("Month").fill(str(when.month))
    page.get_by_label("Year").fill(str(when.year))
    page.get_by_label("Time").fill(f"{when:%H:%M}")
    page.get_by_label("Phone").check()
    page.get_by_label("Contact made", exact=True).check()
    page.get_by_role("button", name="Record first contact").click()

    assert page.url.endswith("/provider/worklist")
    journey.look("first-contact-recorded")
    assert f"First contact recorded for {ref}" in journey.text()
    first_contacts = page.locator("table", has=page.locator("caption", has_text="waiting for first contact"))
    assert ref not in (first_contacts.inner_text() if first_contacts.count() else "")
    after = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police").json()
    assert after["first_contact"]["made_at"] is not None


def test_an_empty_first_contact_shows_each_error_against_its_field(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("provider")
    page = journey.go(f"/provider/cautions/{caution['id']}/first-contact")
    journey.look("first-contact")
    page.get_by_role("button", name="Record first contact").click()

    journey.look("first-contact-errors")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert all(message in summary for message in ("Enter the time", "Choose how you contacted them",
                                                  "Choose what happened"))


def test_booking_from_the_worklist_puts_the_caution_on_the_roster(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    ref = str(caution["police_reference"])
    hall = venue(stack)
    session = plan(stack, hall["id"], in_days(4))
    assert any(i["caution_id"] == caution["id"] for i in provider_worklist(stack, caution["position"])["booking"])
    journey.sign_in("provider")
    page = journey.go("/provider/worklist")
    journey.look("worklist")
    page.get_by_role("link", name=f"Book workshop A for {ref}").click()
    journey.look("book")
    page.get_by_label(hall["name"]).check()
    page.get_by_role("button", name="Book").click()

    assert page.url.endswith(f"/provider/sessions/{session['id']}")
    journey.look("booked")
    assert f"{ref} is booked into workshop A" in journey.text()
    assert "Yes" in _row(journey, ref).first.inner_text()
    _no_personal_data(journey)


def test_a_booking_refusal_shows_on_the_form_and_the_reason_overrides_it(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()  # the offender's recorded gender is male
    ref = str(caution["police_reference"])
    hall = venue(stack)
    session = plan(stack, hall["id"], in_days(5), group="womens")
    journey.sign_in("provider")
    page = journey.go(f"/provider/cautions/{caution['id']}/book/A")
    journey.look("book")
    page.get_by_label(hall["name"]).check()
    page.get_by_role("button", name="Book").click()

    journey.look("book-refused")
    summary = page.locator(".govuk-error-summary")
    assert "This group's gender does not match" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "group-override"
    page.get_by_label(hall["name"]).check()
    page.get_by_label("Reason for joining a group of another gender (optional)").fill("Agreed with the facilitators")
    page.get_by_role("button", name="Book").click()
    assert page.url.endswith(f"/provider/sessions/{session['id']}")
    journey.look("booked-with-reason")
    assert ref in _row(journey, ref).first.inner_text()


def test_workshop_b_is_offered_only_from_the_days_after_workshop_a(stack: Stack, journey: Journey) -> None:
    caution = attended_a(stack, stack.issue(days_ago=12), days_ago=10)  # B from 18 days ahead
    ref = str(caution["police_reference"])
    too_soon, hall = venue(stack), venue(stack)
    plan(stack, too_soon["id"], in_days(5), workshop="B")
    plan(stack, hall["id"], in_days(20), workshop="B")
    line = next(i for i in provider_worklist(stack)["booking"] if i["caution_id"] == caution["id"])
    book_from = (datetime.now(UK).date() + timedelta(days=18)).isoformat()
    assert (line["workshop"], line["book_from"]) == ("B", book_from)
    journey.sign_in("provider")
    page = journey.go("/provider/worklist")
    journey.look("worklist-b")
    bookings = page.locator("table", has=page.locator("caption", has_text="with a workshop to book"))
    assert uk_day(book_from) in bookings.locator("tr", has_text=ref).inner_text()  # the earliest day, with the last
    page.get_by_role("link", name=f"Book workshop B for {ref}").click()

    journey.look("book-b")
    assert f"Sessions from {uk_day(book_from)} to {uk_day(line['book_by'])}." in journey.text()
    assert page.get_by_label(hall["name"]).count() == 1
    assert page.get_by_label(too_soon["name"]).count() == 0  # inside the 28 days: not offered


def test_planning_a_session_at_a_new_venue(stack: Stack, journey: Journey) -> None:
    journey.sign_in("provider")
    page = journey.page
    journey.look("sessions")
    page.get_by_role("link", name="Plan a session").click()
    journey.look("plan-first")
    page.get_by_role("link", name="Add a venue").first.click()
    journey.look("add-venue")
    name = f"Library {datetime.now(UTC):%H%M%S%f}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Address").fill("2 Church Lane\nEly")
    page.get_by_label("Postcode").fill("CB7 4AA")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Add the venue").click()

    journey.look("plan")
    assert f"Venue added: {name}" in journey.text()
    day = in_days(10)
    page.get_by_label("Workshop B").check()
    page.get_by_label("Venue").select_option(label=f"{name}, CB7 4AA (step-free)")
    page.get_by_label("Day", exact=True).fill(str(day.day))
    page.get_by_label("Month", exact=True).fill(str(day.month))
    page.get_by_label("Year", exact=True).fill(str(day.year))
    page.get_by_label("Start time").fill("6pm")
    page.get_by_label("End time").fill("8:30pm")
    page.get_by_label("Men's group", exact=True).check()
    page.get_by_label("Provider running the session").fill("Respect Partnership")
    page.get_by_role("button", name="Plan the session").click()

    journey.look("planned")
    assert "Session planned" in journey.text() and name in journey.text()
    assert "/provider/sessions/" in page.url
