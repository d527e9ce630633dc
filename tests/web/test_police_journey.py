"""The police in a real browser: the worklist (safeguarding first), issuing a caution (and every failed eligibility
rule shown against its answer), and each decision on a caution, from its page, checked through the API after.

Every page reached is looked at (screenshot, axe-core, no-store), and none shows the victim's contact details,
which the police may not read (they were sent at issue, by `stack.issue`)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from tests.service_processes import wait_until
from tests.support import iso
from tests.web.browser import Journey
from tests.web.stack import Stack

VICTIM_DETAILS = ("Sam Victim", "07700 900123")


def _look(journey: Journey, name: str) -> None:
    journey.look(name)
    html = journey.html()
    assert all(detail not in html for detail in VICTIM_DETAILS), f"{name}: the victim's contact details are shown"


def _caution(stack: Stack, caution: dict[str, Any], force: str = "CAMBS") -> dict[str, Any]:
    answer = stack.caution_call("GET", f"/v1/cautions/{caution['id']}", "police", force)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _call(stack: Stack, path: str, role: str, body: dict[str, Any], force: str = "CAMBS") -> dict[str, Any]:
    answer = stack.caution_call("POST", path, role, force, json=body)
    assert answer.status_code == 200, answer.text
    written: dict[str, Any] = answer.json()
    return written


def _missed_workshop_a(stack: Stack, caution: dict[str, Any]) -> int:
    """The provider books workshop A for the day after the caution and records that the offender missed it; the
    miss's feed position."""
    issued = datetime.fromisoformat(caution["sent"]["occurred_at"])
    path = f"/v1/cautions/{caution['id']}/workshops/A"
    _call(stack, f"{path}/schedule", "provider", {"occurred_at": iso(issued + timedelta(hours=1)),
                                                  "session_at": iso(issued + timedelta(days=1)), "venue": "Hub"})
    missed = _call(stack, f"{path}/non-attendance", "provider", {
        "occurred_at": iso(issued + timedelta(days=1, hours=2)), "reason": "did_not_attend",
        "note": "Phoned to say his shift ran late", "absence_reason": "employment"})
    position: int = missed["position"]
    return position


def _on_worklist(stack: Stack, caution: dict[str, Any], position: int, force: str = "CAMBS") -> None:
    """Wait for the worklist's read model to have the write at `position` and the caution on it."""
    wait_until(lambda: any(item["caution_id"] == caution["id"] for item in stack.caution_call(
        "GET", "/v1/worklist", "police", force, params={"min_position": position, "limit": 500}).json()["items"]),
        what="the caution on the police worklist")


def _worklist_group(journey: Journey, heading: str) -> Any:
    page = journey.page
    return page.locator("table", has=page.locator("caption", has_text=heading))


def _open_decision(journey: Journey, caution: dict[str, Any], link: str) -> None:
    page = journey.go(f"/police/cautions/{caution['id']}")
    _look(journey, "caution")
    page.get_by_role("link", name=link).click()


def _banner(journey: Journey) -> str:
    return journey.page.locator(".govuk-notification-banner").inner_text()


def test_an_urgent_concern_tops_the_worklist_and_acknowledging_it_records_it(stack: Stack, journey: Journey) -> None:
    caution = stack.issue(force="BEDS", days_ago=2)
    now = datetime.now().astimezone()
    concerns_path = f"/v1/cautions/{caution['id']}/safeguarding-concerns"
    _call(stack, concerns_path, "victim_contact", {"occurred_at": iso(now - timedelta(days=1)), "category": "other",
                                                    "urgency": "routine"}, force="BEDS")
    urgent = _call(stack, concerns_path, "victim_contact", {
        "occurred_at": iso(now - timedelta(minutes=5)), "category": "threat_by_offender", "urgency": "urgent",
        "details": "Said he would go round tonight"}, force="BEDS")
    _on_worklist(stack, caution, urgent["position"], "BEDS")
    journey.sign_in("police", force="BEDS")
    page = journey.page
    assert page.url.endswith("/police/worklist")
    _look(journey, "worklist")
    rows = _worklist_group(journey, "Safeguarding concerns to acknowledge").locator("tbody tr")
    assert "Urgent" in rows.nth(0).inner_text() and "Threat by offender" in rows.nth(0).inner_text()
    assert "Overdue" in rows.nth(1).inner_text() and "Urgent" not in rows.nth(1).inner_text()  # raised yesterday
    assert "Said he would go round" not in journey.html()  # what was said is for the victim contact service
    acknowledge = f"/police/cautions/{caution['id']}/concerns/{urgent['version']}/acknowledge"
    assert rows.nth(0).get_by_role("link", name="Acknowledge").get_attribute("href") == acknowledge

    rows.nth(0).get_by_role("link", name=re.compile("^" + re.escape(caution["police_reference"]))).click()
    _look(journey, "caution-with-concerns")
    page.locator("tr", has_text="Urgent").get_by_role("link", name="Acknowledge").click()
    _look(journey, "acknowledge")
    page.get_by_role("button", name="Acknowledge the concern").click()
    _look(journey, "acknowledge-empty")
    assert "Enter what action you took" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("What action did you take?").fill("Spoke to the victim contact service; patrol arranged")
    page.get_by_role("button", name="Acknowledge the concern").click()

    assert page.url.endswith(f"/police/cautions/{caution['id']}")
    _look(journey, "acknowledged")
    assert "Safeguarding concern acknowledged" in _banner(journey)
    assert [c["urgency"] for c in _caution(stack, caution, "BEDS")["open_safeguarding_concerns"]] == ["routine"]
    journey.go("/police/worklist")
    _look(journey, "worklist-after")
    left = _worklist_group(journey, "Safeguarding concerns to acknowledge").inner_text()
    assert caution["police_reference"] in left and "Urgent" not in left


def test_an_empty_worklist_says_so(stack: Stack, journey: Journey) -> None:
    journey.sign_in("police", force="CUMBRIA")
    _look(journey, "worklist-empty")
    assert "There is nothing for the police to do" in journey.text()


def _fill_caution(journey: Journey, reference: str, born: date, consulted: str = "Yes") -> None:
    page = journey.page
    given = date.today() - timedelta(days=1)
    committed = given - timedelta(days=10)
    for prefix, day in (("committed", committed), ("given", given), ("dob", born)):
        page.locator(f"#{prefix}-day").fill(str(day.day))
        page.locator(f"#{prefix}-month").fill(str(day.month))
        page.locator(f"#{prefix}-year").fill(str(day.year))
    page.get_by_label("What time was the caution given?").fill("10:30am")
    page.get_by_label("PNC reference").fill(f"PNC-{reference}")
    page.get_by_label("Offender's full name").fill("Casey Webform")
    page.locator("#gender").check()
    page.get_by_label("Offence category").select_option("common_assault")
    page.get_by_label("What happened").fill("Pushed partner during an argument")
    page.get_by_label("Offender's relationship to the victim").select_option("former_partner")
    for question, answer in (("admitted", "Yes"), ("evidence", "Yes"), ("community-sentence", "No"),
                             ("consulted", consulted), ("agrees", "Yes"), ("authorised", "No")):
        page.locator(f"#{question}" if answer == "Yes" else f"#{question}-2").check()
    page.get_by_label("Who agreed the charge decision?").fill("CPS")
    page.get_by_label("Victim reference").fill(f"V-{reference}")
    page.locator("#dash-risk").check()
    page.get_by_label("Officer ID or collar number").fill("SGT-1001")
    page.get_by_label("Officer's name").fill("Sgt Jo Bloggs")
    page.get_by_label("Rank").select_option("sergeant")
    page.locator("#legal-basis").check()
    page.get_by_label("Police reference").fill(f"CC-{reference}")


def test_issue_a_caution_through_the_form(stack: Stack, journey: Journey) -> None:
    reference = datetime.now().strftime("%H%M%S%f")
    journey.sign_in("police")
    page = journey.go("/police/cautions/new")
    _look(journey, "issue-form")
    _fill_caution(journey, reference, date(1990, 5, 17))
    page.get_by_label("Victim's name").fill("Sam Victim")
    page.get_by_label("Victim's phone number").fill("07700 900123")
    page.get_by_role("button", name="Issue the caution").click()

    assert "/police/cautions/" in page.url and page.url.split("/")[-1] != "new"
    _look(journey, "issued")  # and the victim's details, sent just now, are not shown back
    assert f"Caution CC-{reference} issued" in _banner(journey)
    assert "Casey Webform" in journey.text()
    issued = _caution(stack, {"id": page.url.split("/")[-1]})
    assert issued["police_reference"] == f"CC-{reference}" and issued["offence"]["relationship"] == "former_partner"
    assert issued["issuing_officer"]["rank"] == "sergeant" and issued["victim"]["contact_details"] is None
    assert "Casey Webform" not in stack.web.log() and "Sam Victim" not in stack.web.log()


def test_a_caution_breaking_two_rules_shows_both_against_their_answers_and_records_nothing(
        stack: Stack, journey: Journey) -> None:
    reference = datetime.now().strftime("%H%M%S%f")
    journey.sign_in("police")
    page = journey.go("/police/cautions/new")
    _fill_caution(journey, reference, date.today() - timedelta(days=16 * 365), consulted="No")
    page.get_by_role("button", name="Issue the caution").click()

    _look(journey, "issue-refused")
    assert page.url.endswith("/police/cautions/new") and page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    adult = summary.get_by_role("link", name="CARA is for adults (18+)")
    consulted = summary.get_by_role("link", name="The victim must have been consulted and must agree")
    assert adult.get_attribute("href") == "#dob-day" and consulted.get_attribute("href") == "#consulted"
    assert "CARA is for adults" in page.locator("#dob-error").inner_text()
    assert "must have been consulted" in page.locator("#consulted-error").inner_text()
    consulted.click()
    assert page.evaluate("document.activeElement.id") == "consulted"
    # Nothing was recorded: the police reference is still free.
    fresh = stack.issue(police_reference=f"CC-{reference}")
    assert fresh["police_reference"] == f"CC-{reference}"


def test_an_empty_caution_form_says_what_to_enter_before_asking_the_service(stack: Stack, journey: Journey) -> None:
    journey.sign_in("police")
    page = journey.go("/police/cautions/new")
    page.locator("#dob-day").fill("31")
    page.locator("#dob-month").fill("2")
    page.locator("#dob-year").fill("1990")
    page.get_by_role("button", name="Issue the caution").click()

    _look(journey, "issue-empty")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter the date of the offence" in summary and "The date of birth must be a real date" in summary
    assert "Enter the police reference" in summary and "Select the legal basis" in summary
    first = summary.index("Enter the date of the offence")
    assert first < summary.index("Select the legal basis") < summary.index("Enter the police reference")  # page order


def test_decide_an_excuse_after_a_missed_workshop(stack: Stack, journey: Journey) -> None:
    caution = stack.issue(days_ago=3)
    _on_worklist(stack, caution, _missed_workshop_a(stack, caution))
    journey.sign_in("police")
    page = journey.page
    _look(journey, "worklist")
    _worklist_group(journey, "Excuse decisions due").get_by_role("link", name=caution["police_reference"]).click()
    _look(journey, "caution")
    page.get_by_role("link", name="Decide on the excuse for the missed workshop").click()
    _look(journey, "excuse")
    assert "Phoned to say his shift ran late" in journey.text()
    page.get_by_label("Yes, accept it").check()
    page.get_by_label("Reasons for your decision").fill("Shift confirmed by employer")
    page.get_by_role("button", name="Record the decision").click()

    _look(journey, "excuse-decided")
    assert "Excuse accepted" in _banner(journey)
    after = _caution(stack, caution)
    assert after["status"] == "active" and after["round"] == 2 and after["pending_excuse_decision"] is None


def test_vary_the_conditions(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    ends = date.fromisoformat(caution["period_ends_on"]) + timedelta(days=14)
    journey.sign_in("police")
    _open_decision(journey, caution, "Vary the conditions")
    page = journey.page
    _look(journey, "vary")
    page.locator("#ends-day").fill(str(ends.day))
    page.locator("#ends-month").fill(str(ends.month))
    page.locator("#ends-year").fill(str(ends.year))
    page.get_by_label("Reason for the variation").fill("Workshop B moved by the provider")
    page.get_by_label("Authorised by").fill("INSP-2002")
    page.get_by_role("button", name="Vary the conditions").click()

    _look(journey, "varied")
    assert "Conditions varied" in _banner(journey)
    assert _caution(stack, caution)["period_ends_on"] == ends.isoformat()


def test_decide_a_breach_after_a_rejected_excuse(stack: Stack, journey: Journey) -> None:
    caution = stack.issue(days_ago=3)
    _missed_workshop_a(stack, caution)
    rejected = _call(stack, f"/v1/cautions/{caution['id']}/excuse-decisions", "police", {
        "occurred_at": iso(datetime.now().astimezone()), "accepted": False, "reason": "No evidence of the shift"})
    _on_worklist(stack, caution, rejected["position"])
    journey.sign_in("police")
    page = journey.page
    _look(journey, "worklist")
    _worklist_group(journey, "Breach referrals to decide").get_by_role("link", name=caution["police_reference"]).click()
    _look(journey, "caution")
    page.get_by_role("link", name="Decide on a breach").click()
    _look(journey, "breach")
    page.get_by_label("Prosecute for the original offence").check()
    page.get_by_label("Reasons for your decision").fill("Missed workshop A without excuse")
    page.get_by_role("button", name="Record the decision").click()

    _look(journey, "breach-decided")
    assert "Breach decided: prosecute" in _banner(journey)
    after = _caution(stack, caution)
    assert after["status"] == "breached" and after["breach_outcome"] == "prosecute"


def test_withdraw_a_caution(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("police")
    _open_decision(journey, caution, "Withdraw the caution")
    page = journey.page
    _look(journey, "withdraw")
    page.get_by_label("Why is the caution withdrawn?").fill("Issued in error: wrong offender")
    page.get_by_role("button", name="Withdraw the caution").click()

    _look(journey, "withdrawn")
    assert "Caution withdrawn" in _banner(journey)
    assert _caution(stack, caution)["status"] == "withdrawn"


def test_a_caution_changed_meanwhile_is_refused_and_shown_again(stack: Stack, journey: Journey) -> None:
    caution = stack.issue()
    journey.sign_in("police")
    _open_decision(journey, caution, "Withdraw the caution")
    page = journey.page
    _call(stack, f"/v1/cautions/{caution['id']}/first-contact", "provider", {
        "occurred_at": iso(datetime.now().astimezone()), "method": "phone", "outcome": "contacted"})
    page.get_by_label("Why is the caution withdrawn?").fill("Issued in error")
    page.get_by_role("button", name="Withdraw the caution").click()

    _look(journey, "withdraw-stale")
    assert "This caution changed since you opened the page" in page.locator(".govuk-error-summary").inner_text()
    assert _caution(stack, caution)["status"] == "active"
    page.get_by_role("button", name="Withdraw the caution").click()  # drawn again from the caution as it is now
    assert "Caution withdrawn" in _banner(journey)


def test_correct_an_entry_recorded_in_error(stack: Stack, journey: Journey) -> None:
    caution = stack.issue(days_ago=3)
    _missed_workshop_a(stack, caution)
    journey.sign_in("police")
    _open_decision(journey, caution, "Correct an entry")
    page = journey.page
    _look(journey, "correct")
    page.get_by_role("radio", name="3. Workshop A missed").check()
    page.get_by_label("It was recorded in error: it did not happen").check()
    page.get_by_label("Reason for the correction").fill("Recorded against the wrong offender")
    page.get_by_role("button", name="Record the correction").click()

    _look(journey, "corrected")
    assert "Entry 3 corrected" in _banner(journey)
    after = _caution(stack, caution)
    assert after["status"] == "active" and after["pending_excuse_decision"] is None
    assert "Corrected by entry 4" in journey.text()
