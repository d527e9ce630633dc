"""The commissioner's outcomes dashboard in a real browser: headline figures and charts from the outcomes report, a
filter in the address, and the report's own CSV and PDF as downloads."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.service_processes import wait_until
from tests.web.browser import Journey
from tests.web.stack import Stack

FORCE = "DORSET"  # a force no other journey issues in: the report counts exactly this test's cautions


def _counted(stack: Stack, force: str) -> int:
    answer = stack.caution_call("GET", "/v1/reports/outcomes", "commissioner", force)
    count: int = answer.json()["total"]["cohort"]["issued"]
    return count


def test_the_dashboard_shows_the_cautions_issued_with_charts_and_tables(stack: Stack, journey: Journey) -> None:
    for _ in range(2):
        stack.issue(force=FORCE)
    wait_until(lambda: _counted(stack, FORCE) == 2, what="both cautions in the outcomes report")
    issued = 2
    journey.sign_in("commissioner", force=FORCE)
    page = journey.page
    assert page.url.endswith("/commissioner/outcomes")
    journey.look("dashboard")
    headline = page.locator("p", has_text="cautions issued").first.inner_text()
    assert headline.split()[0] == f"{issued:,}"
    charts = page.locator("svg.app-chart[role=img]")
    assert charts.count() == 3
    assert all(charts.nth(i).get_attribute("aria-label") for i in range(3))
    outcomes = page.get_by_role("table", name="Outcomes of the cautions issued")
    assert outcomes.get_by_role("row", name=f"Issued {issued:,}").count() == 1


def test_a_filter_by_quarter_is_in_the_address_and_a_bad_month_is_an_error(stack: Stack, journey: Journey) -> None:
    journey.sign_in("commissioner")
    page = journey.page
    year = date.today().year
    page.locator("#from-month").fill("1")
    page.locator("#from-year").fill(str(year))
    page.locator("#to-month").fill("12")
    page.locator("#to-year").fill(str(year))
    page.get_by_label("Quarter").check()
    page.get_by_role("button", name="Show the outcomes").click()

    journey.look("by-quarter")
    assert f"from-year={year}" in page.url and "by=quarter" in page.url
    assert page.get_by_role("table", name="Cautions issued in each quarter, and what became of them").count() == 1
    page.locator("#to-month").fill("13")
    page.get_by_role("button", name="Show the outcomes").click()
    journey.look("filter-error")
    assert "The end month must be a real month" in page.locator(".govuk-error-summary").inner_text()


def test_the_csv_download_has_a_header_row(stack: Stack, journey: Journey) -> None:
    stack.issue()
    journey.sign_in("commissioner")
    with journey.page.expect_download() as download:
        journey.page.get_by_role("link", name="Download these figures (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0] == ["period", "section", "group", "measure", "value"]
    assert any(row[1:4] == ["cohort", "all", "issued"] for row in rows[1:])


def test_the_pdf_download_is_a_pdf(stack: Stack, journey: Journey) -> None:
    journey.sign_in("commissioner")
    with journey.page.expect_download() as download:
        journey.page.get_by_role("link", name="Download the report with charts (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF")


def test_a_national_commissioner_chooses_the_force(stack: Stack, journey: Journey) -> None:
    stack.issue(force=FORCE)
    wait_until(lambda: _counted(stack, FORCE) >= 1, what="the caution in the outcomes report")
    journey.sign_in("commissioner", force="*")
    page = journey.page
    page.get_by_label("Force").select_option(FORCE)
    page.get_by_role("button", name="Show").click()

    journey.look("national-by-force")
    assert "force=DORSET" in page.url
    assert "Dorset" in page.locator("h1, .govuk-caption-l, .govuk-caption-m").first.inner_text() + journey.text()


def test_only_a_commissioner_signs_in_for_all_forces(stack: Stack, journey: Journey) -> None:
    journey.sign_in("police", force="*")
    journey.look("national-refused")
    assert "Only a commissioner may sign in for all forces" in journey.text()
