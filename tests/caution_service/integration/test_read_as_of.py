"""`?as_of=`: the caution and its compliance history exactly as the record showed them at that time.

The clock is set by hand before each command, so every `recorded_at` is known. Attendance at
workshop A happens on day 10 but is only recorded the next morning: until then the record did not show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pypdfium2 as pdfium
import pytest

from services.caution_service.api.records import history_check
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, ok, quiet_client
from tests.support import FakeClock, app_state, at, auth, caution_payload, iso

R1 = at(0, 10)  # issued (occurred at the same moment)
R2 = at(1, 9)  # workshop A booked for day 10, 18:00
R3 = at(11, 8)  # workshop A attendance (occurred day 10, 20:00) recorded the next morning
R4 = at(12, 13)  # victim contacted after A (occurred day 12, 12:00)
R5 = at(15, 9)  # workshop B booked for day 40, 18:00
R6 = at(40, 21)  # workshop B attended (occurred day 40, 20:00)
R7 = at(41, 9)  # completed
RECORDED = (R1, R2, R3, R4, R5, R6, R7)
PERIOD_ENDS = "2026-06-22"


@pytest.fixture(params=BACKENDS)
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


def _at(steps: ReadSteps, when: datetime, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    steps.clock.now = when
    ok(steps.post(steps.cid, path, body, headers))


def _live_record(steps: ReadSteps) -> tuple[dict[str, Any], dict[str, Any]]:
    steps.project()
    return ok(steps.get(steps.cid)), ok(steps.history(steps.cid))


def _run_timeline(steps: ReadSteps) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Drives the timeline; returns (caution, history) as read live right after each command."""
    seen = []
    steps.clock.now = R1
    steps.cid = ok(steps.client.post("/v1/cautions", json=caution_payload(R1), headers=steps.police), 201)["id"]
    seen.append(_live_record(steps))
    for when, path, body, who in (
        (R2, "workshops/A/schedule", {"occurred_at": iso(R2), "session_at": iso(at(10, 18)), "venue": "Ely Hub"},
         steps.provider),
        (R3, "workshops/A/attendance", {"occurred_at": iso(at(10, 20))}, steps.provider),
        (R4, "victim-contacts", {"occurred_at": iso(at(12, 12)), "stage": "after_workshop_a", "outcome": "contacted"},
         steps.victim_contact),
        (R5, "workshops/B/schedule", {"occurred_at": iso(R5), "session_at": iso(at(40, 18)), "venue": "Ely Hub"},
         steps.provider),
        (R6, "workshops/B/attendance", {"occurred_at": iso(at(40, 20))}, steps.provider),
        (R7, "completion", {"occurred_at": iso(R7)}, steps.police),
    ):
        _at(steps, when, path, body, who)
        seen.append(_live_record(steps))
    steps.clock.now = at(90)
    return seen


def _caution_as_of(steps: ReadSteps, when: datetime, headers: dict[str, str] | None = None) -> Any:
    return steps.client.get(f"/v1/cautions/{steps.cid}", params={"as_of": iso(when)}, headers=headers or steps.police)


def _history_as_of(steps: ReadSteps, when: datetime) -> Any:
    return steps.history(steps.cid, as_of=iso(when))


def test_as_of_each_recorded_moment_gives_exactly_what_was_read_live_then(steps: ReadSteps) -> None:
    seen = _run_timeline(steps)

    for when, (caution_then, history_then) in zip(RECORDED, seen, strict=True):
        caution = _caution_as_of(steps, when)
        assert caution.headers["etag"] == f'"{caution_then["version"]}"'
        assert ok(caution) == {**caution_then, "as_of": iso(when)}
        assert ok(_history_as_of(steps, when)) == {**history_then, "as_of": iso(when)}


def test_before_the_caution_was_recorded_the_answer_says_so_not_404(steps: ReadSteps) -> None:
    _run_timeline(steps)
    just_before = R1 - timedelta(seconds=1)
    statement = ("At 2 March 2026, 09:59 GMT the record did not yet hold this caution: it was first recorded at "
                 "2 March 2026, 10:00 GMT.")
    assert ok(_caution_as_of(steps, just_before)) == {
        "id": steps.cid, "exists": False, "statement": statement, "as_of": iso(just_before), "on": None}
    history = ok(_history_as_of(steps, just_before))
    assert (history["exists"], history["statement"], history["entries"], history["verdict"]) == (
        False, statement, [], None)
    assert_problem(steps.history(steps.cid, as_of="2026-03-02T10:00:00"), 422)  # no offset: refused
    assert_problem(_caution_as_of(steps, just_before, auth("police", "ESSEX")), 404)  # another force's: as ever
    assert_problem(steps.history(steps.cid, headers=auth("court", "ESSEX"), as_of=iso(just_before)), 404)


def test_a_bare_date_is_the_record_at_the_end_of_that_uk_day(steps: ReadSteps) -> None:
    _run_timeline(steps)
    end_of_day_12 = at(13, 0)  # midnight GMT, when 14 March 2026 (day 12) ended
    by_date = ok(steps.history(steps.cid, as_of="2026-03-14"))
    assert by_date == {**ok(_history_as_of(steps, end_of_day_12)), "as_of": "2026-03-15T00:00:00+00:00"}
    assert [e["recorded_at"] for e in by_date["entries"]] == [iso(r) for r in RECORDED[:4]]
    assert ok(_caution_as_of(steps, end_of_day_12))["version"] == 4
    assert ok(steps.client.get(f"/v1/cautions/{steps.cid}", params={"as_of": "2026-03-14"},
                               headers=steps.police))["version"] == 4


def test_an_as_of_history_names_the_verification_that_returns_its_digest(steps: ReadSteps) -> None:
    """It gave a 4-entry digest, and a verification address with no as_of, which returns the 7-entry one."""
    _run_timeline(steps)
    then = ok(_history_as_of(steps, R4))
    assert len(then["entries"]) == 4
    unpinned = ok(steps.client.get(f"/v1/cautions/{steps.cid}/compliance-history/verification",
                                   headers=steps.court))
    assert (unpinned["entries_checked"], unpinned["digest"] != then["digest"]) == (7, True)  # the record now

    report = ok(steps.client.get(then["verification_path"], headers=steps.court))
    assert (report["intact"], report["entries_checked"], report["digest"]) == (True, 4, then["digest"])
    assert report["as_of"] == "2026-03-14T13:00:00+00:00"


def test_an_as_of_certificate_gives_the_address_that_returns_its_digest(steps: ReadSteps) -> None:
    _run_timeline(steps)
    pdf = steps.history(steps.cid, headers={**steps.court, "Accept": "application/pdf"}, as_of=iso(R4))
    assert pdf.status_code == 200, pdf.text
    document = pdfium.PdfDocument(pdf.content)
    text = re.sub(r"\s+", "", "".join(document[i].get_textpage().get_text_range() for i in range(len(document))))
    digest = ok(_history_as_of(steps, R4))["digest"]
    assert digest in text
    found = re.search(r"https?://[^/]+(/v1/cautions/[0-9a-f-]+/compliance-history/verification"
                      r"(\?as_of=[0-9T:.Z%-]+(&on=[0-9T:.Z%-]+)?)?)", text)
    assert found is not None, text
    assert ok(steps.client.get(found.group(1), headers=steps.court))["digest"] == digest


def _action(caution: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in caution["required_actions"] if a["action"] == name)
    return found


def test_hand_computed_timeline(steps: ReadSteps) -> None:
    _run_timeline(steps)

    def state(when: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        return ok(_caution_as_of(steps, when)), ok(_history_as_of(steps, when))

    caution, history = state(R1)
    assert (caution["version"], caution["status"], caution["days_left"]) == (1, "active", 112)
    assert [e["event_type"] for e in history["entries"]] == ["CautionIssued"]
    assert history["verdict"] == {"outcome": "in_progress", "decision": None, "reasons": [
        "Not yet met: workshop A not attended.", "Not yet met: workshop B not attended.",
        "Not yet met: victim not contacted after workshop A.", f"The caution period ends on {PERIOD_ENDS}."]}

    # Day 10, 22:00: A has been attended, but the record does not show it yet.
    caution, history = state(at(10, 22))
    assert caution["version"] == 2 and caution["workshops"]["A"]["attended_at"] is None
    # No first contact is recorded in this timeline: since issue 18 it stays first among the provider's actions.
    assert caution["next_action"] == {"action": "make_first_contact", "role": "provider", "due_on": "2026-03-16",
                                      "overdue": False}
    assert _action(caution, "attend_workshop_a") == {"action": "attend_workshop_a", "role": "provider",
                                                     "due_on": "2026-03-12", "overdue": False}
    assert len(history["entries"]) == 2 and history["digest"] == history["entries"][1]["hash"]
    # Next morning, a minute before it was recorded: the booked session now looks overdue.
    caution, _ = state(R3 - timedelta(minutes=1))
    assert _action(caution, "attend_workshop_a")["overdue"] is True and caution["overdue"] is True

    caution, history = state(R3)
    assert caution["version"] == 3 and caution["workshops"]["A"]["attended_at"] == iso(at(10, 20))
    assert caution["days_left"] == 101
    assert [a["action"] for a in caution["required_actions"]] == [
        "make_first_contact", "schedule_workshop_b", "contact_victim_after_workshop_a"]
    assert history["entries"][-1]["recorded_at"] == iso(R3)

    caution, history = state(R7 - timedelta(seconds=1))
    assert caution["version"] == 6 and caution["status"] == "active"
    assert [a["action"] for a in caution["required_actions"]] == ["make_first_contact", "record_completion"]
    assert history["verdict"] == {"outcome": "in_progress", "decision": None, "reasons": [
        "Every condition is met; completion is yet to be recorded.", f"The caution period ends on {PERIOD_ENDS}."]}

    caution, history = state(R7)
    assert (caution["version"], caution["status"]) == (7, "completed")
    assert history["verdict"]["outcome"] == "complied"
    assert len(history["entries"]) == 7


def test_the_same_instant_in_another_offset_gives_the_same_record(steps: ReadSteps) -> None:
    _run_timeline(steps)
    in_utc = ok(_history_as_of(steps, R3))
    in_bst = ok(_history_as_of(steps, R3.astimezone(timezone(timedelta(hours=1)))))
    assert in_bst["entries"] == in_utc["entries"] and in_bst["verdict"] == in_utc["verdict"]
    assert in_bst["as_of"] == "2026-03-13T09:00:00+01:00"


def test_as_of_in_the_future_is_the_record_now(steps: ReadSteps) -> None:
    _run_timeline(steps)
    now = ok(steps.history(steps.cid))
    later = ok(_history_as_of(steps, at(400)))
    assert later["entries"] == now["entries"] and later["digest"] == now["digest"]


def test_the_check_a_certificate_states_is_of_the_entries_its_digest_covers(steps: ReadSteps) -> None:
    """What `_certificate` should print beside an as_of history's digest: intact over its 4 entries, not 7."""
    _run_timeline(steps)
    then = ok(_history_as_of(steps, R4))
    check = history_check(app_state(steps.client).cautions, UUID(steps.cid), then)
    report = ok(steps.client.get(then["verification_path"], headers=steps.court))
    assert (check.intact, check.entries_checked, check.digest) == (True, 4, then["digest"])
    assert {k: v for k, v in report.items() if k not in ("caution_id", "as_of", "on")} == check.as_dict()
