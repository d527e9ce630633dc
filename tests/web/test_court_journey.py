"""Court liaison in a real browser: find a caution three ways, read its verdict, timeline and integrity check,
see what had happened by a date, and download the signed certificate, in three pages or fewer."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.service_processes import wait_until
from tests.web.browser import Journey
from tests.web.stack import Stack

VICTIM_DETAILS = ("Sam Victim", "07700 900123")


def _listed(stack: Stack, caution: dict[str, object]) -> bool:
    answer = stack.caution_call("GET", "/v1/cautions", "court",
                                params={"police_reference": caution["police_reference"]})
    return bool(answer.json()["items"])


def test_from_police_reference_to_the_signed_certificate_in_three_pages(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    wait_until(lambda: _listed(stack, caution), what="the caution in the read model")
    documents: list[str] = []
    journey.page.on("framenavigated", lambda frame: documents.append(frame.url) if frame.parent_frame is None else None)
    journey.sign_in("court")
    documents.clear()  # counting from the search page
    page = journey.page
    assert page.url.endswith("/court/search")
    journey.look("search")
    page.get_by_label("Police reference", exact=True).fill(str(caution["police_reference"]))
    page.get_by_role("button", name="Find").click()

    assert f"/court/cautions/{caution['id']}" in page.url
    journey.look("caution")
    body = journey.text()
    assert "In progress" in body and "Intact" in body
    assert "Alex Example" in body  # the court sees who the record is about
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed certificate (PDF)").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf  # signed (PAdES)
    assert len(documents) <= 2, documents  # search page, caution page; the download is the third step
    assert all(detail not in journey.html() for detail in VICTIM_DETAILS)


def test_by_name_and_date_of_birth_lists_each_caution_of_the_person(stack: Stack, journey: Journey) -> None:
    name = f"Robin {uuid.uuid4().hex[:6].capitalize()}son"
    offender = {"name": name, "date_of_birth": "1988-02-29"}
    first = stack.issue(days_ago=3, offender=offender)
    stack.caution_call("POST", f"/v1/cautions/{first['id']}/withdrawal", "police",
                       json={"occurred_at": first["sent"]["occurred_at"], "reason": "Issued in error"})
    second = stack.issue(offender={**offender, "reference": first["offender"]["reference"]})
    wait_until(lambda: _listed(stack, second), what="the second caution in the read model")
    journey.sign_in("court")
    page = journey.page
    page.get_by_label("Offender's full name").fill(name.upper())
    page.get_by_label("Day").first.fill("29")
    page.get_by_label("Month").first.fill("2")
    page.get_by_label("Year").first.fill("1988")
    page.get_by_role("button", name="Find").click()

    journey.look("search-results")
    assert "2 cautions found" in journey.text()
    page.get_by_role("link", name=str(second["police_reference"])).click()
    assert f"/court/cautions/{second['id']}" in page.url


def test_what_had_happened_by_a_date_before_the_caution(stack: Stack, journey: Journey) -> None:
    caution = stack.issue(days_ago=2)
    wait_until(lambda: _listed(stack, caution), what="the caution in the read model")
    journey.sign_in("court")
    page = journey.go(f"/court/cautions/{caution['id']}")
    before = date.today() - timedelta(days=10)
    form = page.locator("form", has=page.get_by_role("button", name="Show"))
    form.get_by_label("Day").fill(str(before.day))
    form.get_by_label("Month").fill(str(before.month))
    form.get_by_label("Year").fill(str(before.year))
    page.get_by_role("button", name="Show").click()

    journey.look("on-a-date")
    assert f"?on={before.isoformat()}" in page.url
    assert "had not been issued" in journey.text()


def test_an_empty_search_shows_an_error_summary_linked_to_each_field(stack: Stack, journey: Journey) -> None:
    journey.sign_in("court")
    page = journey.page
    page.get_by_label("Day").first.fill("31")
    page.get_by_label("Month").first.fill("2")
    page.get_by_label("Year").first.fill("1990")
    page.get_by_label("Why are you looking at this record?").fill("")
    page.get_by_role("button", name="Find").click()

    journey.look("search-errors")
    summary = page.locator(".govuk-error-summary")
    assert "Enter the offender's full name" in summary.inner_text()
    assert "The date of birth must be a real date" in summary.inner_text()
    assert "Enter why you are looking at this record" in summary.inner_text()
    assert page.title().startswith("Error: ")
    summary.get_by_role("link", name="Enter the offender's full name").click()
    assert page.evaluate("document.activeElement.id") == "name"


def test_the_search_is_never_in_the_address_and_pages_are_not_cached(stack: Stack, journey: Journey) -> None:
    caution = stack.issue(offender={"name": "Jordan Private"})
    wait_until(lambda: _listed(stack, caution), what="the caution in the read model")
    journey.sign_in("court")
    page = journey.page
    page.get_by_label("PNC reference", exact=True).fill(str(caution["offender"]["reference"]))
    page.get_by_role("button", name="Find").click()

    assert "Jordan" not in page.url and str(caution["offender"]["reference"]) not in page.url
    assert journey.last_response is not None and journey.last_response.headers["cache-control"] == "no-store"
    assert "Jordan Private" in journey.text()
    assert "Jordan" not in stack.web.log() and str(caution["offender"]["reference"]) not in stack.web.log()
