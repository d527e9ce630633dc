"""`?on=`: what had happened by a date, as the record knows it now (entries recorded later included, and marked).

The court's question is "was he compliant on 5 March?". Workshop A was attended on 3 March but entered only on
10 March: as recorded on 5 March (`as_of`) it had not happened; as known now (`on`) it had.

Timeline (T0 is Monday 2 March 2026, 10:00 UTC; the clocks go forward on 29 March):
  1 issued 2 Mar 10:00        2 A booked for 3 Mar 18:00      3 B booked for 1 Apr 18:00 (both recorded 2 Mar)
  4 A attended 3 Mar 20:00, recorded 10 Mar 09:00              5 victim contacted 11 Mar 09:00 (recorded 10:00)
  6 B attended 1 Apr 20:00 UTC, recorded 1 Apr 23:30 UTC (00:30 BST on 2 April)
  7 completed 2 Apr 10:00
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, ok, quiet_client
from tests.support import FakeClock, at, auth, caution_payload, iso

A_ATTENDED, A_ENTERED = at(1, 20), at(8, 9)
B_ATTENDED, B_ENTERED = at(30, 20), at(30, 23) + timedelta(minutes=30)
ISSUED_ON = "2 March 2026"


@pytest.fixture(params=BACKENDS)
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


def _record(steps: ReadSteps, when: datetime, path: str, body: dict[str, Any], who: dict[str, str]) -> None:
    steps.clock.now = when
    ok(steps.post(steps.cid, path, body, who))


def _timeline(steps: ReadSteps) -> str:
    steps.clock.now = at(0)
    steps.cid = ok(steps.client.post("/v1/cautions", json=caution_payload(at(0)), headers=steps.police), 201)["id"]
    for when, path, body, who in (
        (at(0, 12), "workshops/A/schedule",
         {"occurred_at": iso(at(0, 12)), "session_at": iso(at(1, 18)), "venue": "Ely Hub"}, steps.provider),
        (at(0, 13), "workshops/B/schedule",
         {"occurred_at": iso(at(0, 13)), "session_at": iso(at(30, 18)), "venue": "Ely Hub"}, steps.provider),
        (A_ENTERED, "workshops/A/attendance", {"occurred_at": iso(A_ATTENDED)}, steps.provider),
        (at(9, 10), "victim-contacts",
         {"occurred_at": iso(at(9, 9)), "stage": "after_workshop_a", "outcome": "contacted"}, steps.victim_contact),
        (B_ENTERED, "workshops/B/attendance", {"occurred_at": iso(B_ATTENDED)}, steps.provider),
        (at(31, 10), "completion", {"occurred_at": iso(at(31, 10))}, steps.police),
    ):
        _record(steps, when, path, body, who)
    steps.clock.now = at(60)
    steps.project()
    return steps.cid


def _history(steps: ReadSteps, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(steps.history(steps.cid, **params))
    return body


def _caution(steps: ReadSteps, headers: dict[str, str] | None = None, cid: str | None = None, **params: Any) -> Any:
    return steps.client.get(f"/v1/cautions/{cid or steps.cid}", params=params, headers=headers or steps.police)


def _types(history: dict[str, Any]) -> list[str]:
    return [e["event_type"] for e in history["entries"]]


def test_attended_on_3_march_entered_on_10_march_counts_on_5_march_not_as_of_5_march(steps: ReadSteps) -> None:
    _timeline(steps)

    as_recorded = _history(steps, as_of="2026-03-05")
    assert _types(as_recorded) == ["CautionIssued", "WorkshopScheduled", "WorkshopScheduled"]
    assert "Not yet met: workshop A not attended." in as_recorded["verdict"]["reasons"]
    assert all("recorded_after" not in e for e in as_recorded["entries"])  # only `on` marks them
    assert ok(_caution(steps, as_of="2026-03-05"))["workshops"]["A"]["attended_at"] is None

    known_now = _history(steps, on="2026-03-05")
    assert _types(known_now) == ["CautionIssued", "WorkshopScheduled", "WorkshopScheduled", "WorkshopAAttended"]
    assert [e["recorded_after"] for e in known_now["entries"]] == [False, False, False, True]
    assert known_now["entries"][3]["recorded_at"] == iso(A_ENTERED)
    assert known_now["verdict"]["outcome"] == "in_progress"
    assert "Not yet met: workshop A not attended." not in known_now["verdict"]["reasons"]
    assert "Not yet met: victim not contacted after workshop A." in known_now["verdict"]["reasons"]
    assert (known_now["exists"], known_now["statement"], known_now["as_of"]) == (True, None, None)
    assert known_now["on"] == "2026-03-06T00:00:00+00:00"  # the end of 5 March in the UK (GMT)
    caution = ok(_caution(steps, on="2026-03-05"))
    assert caution["workshops"]["A"]["attended_at"] == iso(A_ATTENDED)
    assert (caution["status"], caution["victim_contacted_after_workshop_a"]) == ("active", False)
    assert caution["on"] == "2026-03-06T00:00:00+00:00"


def test_on_as_the_record_stood_at_as_of(steps: ReadSteps) -> None:
    _timeline(steps)

    then = _history(steps, as_of="2026-03-05", on="2026-03-05")  # not entered yet, so not known then
    assert _types(then) == ["CautionIssued", "WorkshopScheduled", "WorkshopScheduled"]
    assert [e["recorded_after"] for e in then["entries"]] == [False, False, False]

    later = _history(steps, as_of="2026-03-12", on="2026-03-05")
    assert _types(later)[-1] == "WorkshopAAttended" and later["entries"][-1]["recorded_after"] is True
    # The victim contact (11 March) is in the record of 12 March but had not happened by 5 March: not shown,
    # yet the digest is the head of the whole prefix recorded by 12 March, which covers it.
    record_then = _history(steps, as_of="2026-03-12")
    assert _types(record_then)[-1] == "VictimContacted"
    assert later["digest"] == record_then["digest"] != later["entries"][-1]["hash"]
    assert (len(later["entries"]), later["digest_covers"], record_then["digest_covers"]) == (4, 5, 5)


def test_a_day_is_the_whole_uk_day_and_a_time_is_exact(steps: ReadSteps) -> None:
    _timeline(steps)

    # B was attended at 21:00 BST on 1 April and entered at 00:30 BST on 2 April (23:30 UTC on 1 April).
    as_recorded = _history(steps, as_of="2026-04-01")
    assert as_recorded["as_of"] == "2026-04-02T00:00:00+01:00"
    assert "WorkshopBAttended" not in _types(as_recorded)
    assert "WorkshopBAttended" in _types(_history(steps, as_of=iso(B_ENTERED)))
    assert "WorkshopBAttended" not in _types(_history(steps, as_of=iso(B_ENTERED - timedelta(seconds=1))))

    known_now = _history(steps, on="2026-04-01")
    assert _types(known_now)[-1] == "WorkshopBAttended" and known_now["entries"][-1]["recorded_after"] is True
    assert "WorkshopBAttended" not in _types(_history(steps, on=iso(B_ATTENDED - timedelta(seconds=1))))
    at_the_minute = _history(steps, on=iso(B_ATTENDED))
    assert _types(at_the_minute)[-1] == "WorkshopBAttended"


@pytest.mark.parametrize("param", ["as_of", "on"])
@pytest.mark.parametrize("value", ["0", "1772445600", "today", "5 March 2026", "2026-03-05T10:00:00", "20260305"])
def test_numbers_and_bare_text_are_refused(steps: ReadSteps, param: str, value: str) -> None:
    steps.cid = steps.issue()["id"]
    steps.project()
    query: dict[str, Any] = {param: value}
    for response in (steps.history(steps.cid, **query), _caution(steps, **query),
                     steps.client.get(f"/v1/cautions/{steps.cid}/compliance-history/verification",
                                      params={param: value}, headers=steps.court)):
        problem = assert_problem(response, 422)
        assert any("YYYY-MM-DD" in e["message"] and "RFC 3339" in e["message"] for e in problem["errors"]), problem


@pytest.mark.parametrize("param", ["as_of", "on"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                   "0001-01-01", "9999-12-31"])
def test_times_at_the_ends_of_the_calendar_are_refused_not_a_500(steps: ReadSteps, param: str, value: str) -> None:
    """Their UK or UTC time lies outside the calendar: turning them into a UK day raised (a 500 on each route)."""
    steps.cid = steps.issue()["id"]
    steps.project()
    query: dict[str, Any] = {param: value}
    for response in (steps.history(steps.cid, **query), _caution(steps, **query),
                     steps.history(steps.cid, headers={**steps.court, "Accept": "application/pdf"}, **query),
                     steps.client.get(f"/v1/cautions/{steps.cid}/compliance-history/verification",
                                      params=query, headers=steps.court)):
        problem = assert_problem(response, 422)
        assert any("between 1900-01-01 and 9999-12-30" in e["message"] for e in problem["errors"]), problem


def test_before_the_caution_existed_the_answer_says_so_not_404(steps: ReadSteps) -> None:
    _timeline(steps)

    history = _history(steps, on="2026-03-01")
    statement = f"On 1 March 2026 this caution had not been issued: it was issued on {ISSUED_ON}."
    assert (history["exists"], history["statement"]) == (False, statement)
    assert (history["entries"], history["verdict"], history["offender"]) == ([], None, None)
    assert ok(_caution(steps, on="2026-03-01")) == {
        "id": steps.cid, "exists": False, "statement": statement, "as_of": None, "on": "2026-03-02T00:00:00+00:00"}

    just_before = _history(steps, on="2026-03-02T09:59:00Z")
    assert just_before["statement"] == ("At 2 March 2026, 09:59 GMT this caution had not been issued: it was "
                                        "issued at 2 March 2026, 10:00 GMT.")

    not_recorded = _history(steps, as_of="2026-03-01")
    assert not_recorded["statement"] == ("On 1 March 2026 the record did not yet hold this caution: it was first "
                                         f"recorded on {ISSUED_ON}.")
    assert (not_recorded["exists"], not_recorded["entries"], not_recorded["digest"]) == (False, [], "0" * 64)
    assert ok(_caution(steps, as_of="2026-03-01"))["statement"] == not_recorded["statement"]

    # Another force's caution, or an unknown id, stays 404 whatever the date: nothing is revealed.
    essex_court, essex_police = auth("court", "ESSEX"), auth("police", "ESSEX")
    unknown = "6a1f0b8e-0000-4000-8000-000000000000"
    asked: list[dict[str, Any]] = [{"on": "2026-03-01"}, {"as_of": "2026-03-01"}, {"on": "2026-03-05"}]
    for params in asked:
        assert_problem(steps.history(steps.cid, headers=essex_court, **params), 404)
        assert_problem(steps.history(unknown, **params), 404)
        assert_problem(_caution(steps, essex_police, **params), 404)
        assert_problem(_caution(steps, cid=unknown, **params), 404)


def test_a_caution_completed_later_was_in_progress_on_an_earlier_date(steps: ReadSteps) -> None:
    _timeline(steps)
    assert _history(steps)["verdict"]["outcome"] == "complied"

    on_20_march = _history(steps, on="2026-03-20")
    assert on_20_march["verdict"] == {"outcome": "in_progress", "decision": None, "reasons": [
        "Not yet met: workshop B not attended.", "The caution period ends on 2026-06-22."]}
    assert ok(_caution(steps, on="2026-03-20"))["status"] == "active"
    assert _history(steps, on="2026-04-02")["verdict"]["outcome"] == "complied"
    assert ok(_caution(steps, on="2026-04-02"))["status"] == "completed"


def test_the_verification_path_returns_the_digest_of_the_history_that_gave_it(steps: ReadSteps) -> None:
    _timeline(steps)
    asked: list[dict[str, str]] = [{}, {"as_of": "2026-03-05"}, {"on": "2026-03-05"},
                                   {"as_of": "2026-03-12", "on": "2026-03-05"}, {"as_of": iso(at(9, 10))},
                                   {"on": "2026-03-01"}]
    paths = {}
    for params in asked:
        history = _history(steps, **params)
        path = history["verification_path"]
        assert re.fullmatch(rf"/v1/cautions/{steps.cid}/compliance-history/verification\?as_of=[0-9T:.-]+Z"
                            r"(&on=[0-9T:.Z-]+)?", path), path
        report = ok(steps.client.get(path, headers=steps.court))
        assert (report["intact"], report["digest"]) == (True, history["digest"]), params
        assert report["on"] == history["on"]
        paths[path] = history["digest"]

    # Entries recorded later change the history now, never what an address already given returns.
    steps.clock.now = at(33, 10)
    ok(steps.post(steps.cid, "victim-contacts", {"occurred_at": iso(at(33, 9)), "stage": "on_completion",
                                                  "outcome": "contacted"}, steps.victim_contact))
    steps.project()
    for path, digest in paths.items():
        assert ok(steps.client.get(path, headers=steps.court))["digest"] == digest
    now = _history(steps)
    assert now["digest"] not in paths.values()
    assert ok(steps.client.get(now["verification_path"], headers=steps.court))["digest"] == now["digest"]


def test_consultations_name_the_axes_read(steps: ReadSteps) -> None:
    _timeline(steps)
    _history(steps, as_of="2026-03-12", on="2026-03-05")
    ok(_caution(steps, steps.court, on=iso(at(5))))
    entries = ok(steps.client.get("/v1/consultations", params={"caution_id": steps.cid},
                                  headers=auth("admin")))["items"]
    details = {(e["what"], e["detail"]) for e in entries}
    assert ("compliance_history", "as_of=2026-03-12 on=2026-03-05") in details
    assert ("personal_data", f"on={iso(at(5))}") in details


def test_a_past_read_shows_no_data_restricted_since(steps: ReadSteps) -> None:
    """Restriction (DPA 2018 s.47) governs what is shown today: the record of a past day is no way round it."""
    steps.clock.now = at(0)
    steps.cid = steps.issue(occurred_at=at(0))["id"]
    assert ok(_caution(steps, as_of=iso(at(0))))["offender"]["name"] == "Alex Example"
    steps.clock.now = at(5)
    ok(steps.client.post(f"/v1/cautions/{steps.cid}/personal-data/offender/restriction",
                         headers=auth("admin", subject="dpo-1"),
                         json={"reason": "accuracy contested", "legal_basis": "dpa_2018_s47_4"}))
    steps.project()
    asked: list[dict[str, Any]] = [
        {"as_of": iso(at(1))}, {"on": "2026-03-03"}, {"as_of": iso(at(1)), "on": "2026-03-03"}]
    for params in asked:
        caution = ok(_caution(steps, **params))
        assert caution["offender"]["name"] is None and caution["offender"]["date_of_birth"] is None, params
        assert caution["personal_data"]["offender"]["state"] == "restricted", params
        history = _history(steps, **params)
        assert history["offender"]["name"] is None and history["personal_data"]["offender"]["state"] == "restricted"
