"""The commissioner's outcomes report (issue 19 item 5) equals a reference computed here, in plain Python, from the
events in the store, for random lifecycles over a year, on SQLite and PostgreSQL; a rebuild of its read models gives
the rows live projection gave; CSV parses to the same figures; the PDF renders with its charts; small counts by
gender are withheld; and only police, admin and commissioners read it (a commissioner reads nothing else)."""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.caution_service.config import Settings
from services.caution_service.domain.caution import event_name
from services.caution_service.domain.session import session_event_name
from services.caution_service.main import create_app
from services.caution_service.projections.tables import (
    outcome_cautions,
    outcome_cells,
    outcome_durations,
    outcome_session_cells,
    outcome_sessions,
)
from shared.auth import NATIONAL, Role
from shared.uk_time import uk_date
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.session_steps import add_venue
from tests.support import FakeClock, app_state, auth, caution_payload, iso

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # every lifecycle below happened before this
FORCES = ("CAMBS", "NORFOLK")
GENDERS = ("female", "male", "other", "not_recorded")
OUTCOMES = ("open", "completed", "breached_prosecute", "breached_nfa", "withdrawn", "out_of_time")
UNLIMITED: dict[str, Any] = {"rate_limit_writes": "off", "rate_limit_writes_per_address": "off",
                             "rate_limit_failed_auth": "off", "rate_limit_reads": "off"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def report_client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_schema_url")
    # The monitor records passed deadlines when the test says (deadline_check_seconds: not in the background).
    settings = Settings(environment="test", database_url=url, deadline_check_seconds=3600,
                        national_commissioners=["pcc-office"], **_known(UNLIMITED))
    with TestClient(create_app(settings, FakeClock(NOW)), raise_server_exceptions=False) as client:
        yield client


def _known(settings: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in settings.items() if name in Settings.model_fields}


# ----- random lifecycles, over HTTP ----------------------------------------------------------------------------


class Driver:
    def __init__(self, client: TestClient, force: str) -> None:
        self.client, self.force = client, force
        self.police = auth("police", force, subject=f"officer-{force}")
        self.provider = auth("provider", force, subject=f"provider-{force}")
        self.victim_contact = {**auth("victim_contact", force, subject=f"vc-{force}"), "X-Purpose": "contact call"}
        self.admin = auth("admin", force, subject=f"admin-{force}")

    def ok(self, caution_id: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        response = self.client.post(f"/v1/cautions/{caution_id}/{path}", json=body, headers=headers)
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()

    def issue(self, issued: datetime, gender: str, basis: str) -> str:
        payload = caution_payload(issued, legal_basis=basis)
        payload["offender"]["gender"] = gender
        response = self.client.post("/v1/cautions", json=payload, headers=self.police)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def lifecycle(self, rng: random.Random, issued: datetime) -> str:
        """One caution, taking a random path; every step before NOW."""
        cid = self.issue(issued, rng.choice(("female", "male", "male", "other")),
                         rng.choice(("conditional_caution", "conditional_caution", "diversionary_caution")))
        day = lambda n, hour=11: issued + timedelta(days=n, hours=hour - issued.hour)  # noqa: E731
        room = (NOW - issued).days - 2  # the days the lifecycle may take
        if rng.random() < 0.8 and room > 20:
            if rng.random() < 0.3:
                self.ok(cid, "first-contact", {"occurred_at": iso(day(1)), "method": "phone",
                                               "outcome": "no_response"}, self.provider)
            self.ok(cid, "first-contact", {"occurred_at": iso(day(rng.randint(2, 16))), "method": "phone",
                                           "outcome": "contacted"}, self.provider)
        paths = ["open", "withdraw"] + (["complete", "complete", "complete", "breach", "a_only"] if room > 90 else [])
        path = rng.choice(paths)
        if path == "withdraw":
            self.ok(cid, "withdrawal", {"occurred_at": iso(day(rng.randint(17, 19))), "reason": "new evidence"},
                    self.police)
        elif path in ("complete", "a_only", "breach"):
            a_day = rng.randint(18, 30)
            self.ok(cid, "workshops/A/schedule", {"occurred_at": iso(day(17)), "session_at": iso(day(a_day, 18)),
                                                  "venue": "Cambridge Hub"}, self.provider)
            if path == "breach":
                self.ok(cid, "workshops/A/non-attendance", {"occurred_at": iso(day(a_day, 20)),
                                                            "reason": "did_not_attend", "note": "no call"},
                        self.provider)
                self.ok(cid, "excuse-decisions", {"occurred_at": iso(day(a_day + 2)), "accepted": False,
                                                  "reason": "no excuse"}, self.police)
                self.ok(cid, "breach", {"occurred_at": iso(day(a_day + 3)), "reason": "missed workshop A",
                                        "outcome": rng.choice(("prosecute", "no_further_action"))}, self.police)
            else:
                self.ok(cid, "workshops/A/attendance", {"occurred_at": iso(day(a_day, 20))}, self.provider)
                self.ok(cid, "victim-contacts", {"occurred_at": iso(day(a_day + 2)), "stage": "after_workshop_a",
                                                 "outcome": rng.choice(("contacted", "unable_to_contact", "declined"))},
                        self.victim_contact)
                if path == "complete":
                    b_day = a_day + rng.randint(29, 40)
                    self.ok(cid, "workshops/B/schedule", {"occurred_at": iso(day(a_day + 3)),
                                                          "session_at": iso(day(b_day, 18)), "venue": "Cambridge Hub"},
                            self.provider)
                    self.ok(cid, "workshops/B/attendance", {"occurred_at": iso(day(b_day, 20))}, self.provider)
                    self.ok(cid, "completion", {"occurred_at": iso(day(b_day + rng.randint(1, 5)))}, self.police)
                    if rng.random() < 0.7:
                        self.ok(cid, "victim-contacts", {
                            "occurred_at": iso(day(b_day + 6)), "stage": "on_completion",
                            "outcome": rng.choice(("contacted", "unable_to_contact", "declined"))}, self.victim_contact)
        chance = rng.random()
        if chance < 0.12:
            self.ok(cid, "personal-data/offender/erasure", {"reason": "court order", "legal_basis": "dpa_2018_s47_1"},
                    self.admin)
        elif chance < 0.2:
            self.ok(cid, "personal-data/offender/restriction", {"reason": "accuracy contested",
                                                                "legal_basis": "dpa_2018_s47_4"}, self.admin)
            if rng.random() < 0.5:
                self.ok(cid, "personal-data/offender/restriction-lifting", {"reason": "settled"}, self.admin)
        return cid


def held_session(client: TestClient, clock: FakeClock, driver: Driver, cautions: list[str], capacity: int,
                 booked: int) -> None:
    """A session of workshop A a few days ahead, `booked` of the cautions booked into it, then its register."""
    venue = add_venue(client, driver.force, name=f"Hub {uuid.uuid4().hex[:4]}")
    starts = clock.now + timedelta(days=2)
    planned = client.post("/v1/workshop-sessions", headers=driver.provider, json={
        "workshop": "A", "venue_id": venue, "starts_at": iso(starts), "ends_at": iso(starts + timedelta(hours=2)),
        "capacity": capacity, "group": "mens", "facilitators": ["FAC-1"], "provider": "Respect Partnership"})
    assert planned.status_code == 201, planned.text
    session_id = planned.json()["id"]
    for cid in cautions[:booked]:
        response = client.post(f"/v1/workshop-sessions/{session_id}/bookings", json={"caution_id": cid},
                               headers=driver.provider)
        assert response.status_code == 200, response.text
    clock.now = starts + timedelta(hours=3)
    lines = [{"caution_id": cid, "outcome": "attended"} for cid in cautions[:booked]]
    response = client.post(f"/v1/workshop-sessions/{session_id}/register", json={"lines": lines},
                           headers=driver.provider)
    assert response.status_code == 200, response.text


def drive(client: TestClient, seed: int, per_force: int) -> None:
    rng = random.Random(seed)
    clock: FakeClock = app_state(client).clock
    for force in FORCES:
        driver = Driver(client, force)
        for _ in range(per_force):
            issued = datetime(2026, 1, 5, 10, tzinfo=UTC) + timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 8))
            driver.lifecycle(rng, issued)
    # Sessions in December, with cautions issued in November (the session must fall in their period).
    clock.now = NOW
    driver = Driver(client, "CAMBS")
    fresh = [driver.issue(NOW - timedelta(days=20), "male", "conditional_caution") for _ in range(5)]
    held_session(client, clock, driver, fresh, capacity=8, booked=3)
    held_session(client, clock, driver, fresh[3:], capacity=6, booked=2)
    clock.now += timedelta(days=1)
    app_state(client).deadlines.run_once()  # open cautions whose period ended unmet: out of time
    app_state(client).projector.run_until_caught_up()


# ----- the reference: straight from the events -----------------------------------------------------------------


def stored_events(client: TestClient) -> list[Any]:
    cautions = app_state(client).cautions
    notifications = cautions.recorder.select_notifications(start=1, limit=1_000_000)
    return [cautions.mapper.to_domain_event(n) for n in notifications]


def reference_rows(client: TestClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per caution and per session, what the report counts, from the events alone."""
    cautions: dict[Any, dict[str, Any]] = {}
    sessions: dict[Any, dict[str, Any]] = {}
    gender_given = {}
    for e in stored_events(client):
        if "session" in type(e).__module__:
            name = session_event_name(e)
            if e.originator_version == 1:
                sessions[e.originator_id] = {"force": e.force, "month": uk_date(e.starts_at).strftime("%Y-%m"),
                                             "capacity": e.capacity, "held": False, "filled": 0}
            elif name == "SessionRegisterRecorded" and not sessions[e.originator_id]["held"]:
                sessions[e.originator_id].update(held=True, filled=len(e.lines))
            continue
        name = event_name(e)
        if name == "CautionIssued":
            identity = app_state(client).cautions.personal.open_sealed(e.offender.identity_sealed)
            gender_given[e.originator_id] = identity["gender"] if identity else None
            issued_on = uk_date(e.occurred_at)
            cautions[e.originator_id] = {
                "force": e.force, "month": issued_on.strftime("%Y-%m"), "issued_on": issued_on,
                "legal_basis": e.legal_basis.value, "offender_data": "held", "closed": None, "deadline": False,
                "first_contact": None, "workshop_a": None, "completion": None, "contacts": Counter(),
                "concerns": {}}
            continue
        c = cautions[e.originator_id]
        days = lambda moment: (uk_date(moment) - c["issued_on"]).days  # noqa: E731,B023
        if name == "FirstContactRecorded" and e.outcome.value == "contacted" and c["first_contact"] is None:
            c["first_contact"] = days(e.occurred_at)
        elif name == "WorkshopAAttended" and c["workshop_a"] is None:
            c["workshop_a"] = days(e.occurred_at)
        elif name == "Completed":
            c["closed"], c["completion"] = "completed", days(e.occurred_at)
        elif name == "Breached":
            c["closed"] = "breached_prosecute" if e.outcome.value == "prosecute" else "breached_nfa"
        elif name == "Withdrawn":
            c["closed"] = "withdrawn"
        elif name == "ComplianceDeadlinePassed":
            c["deadline"] = True
        elif name == "VictimContacted":
            c["contacts"][(e.stage.value, e.outcome.value)] += 1
        elif name == "SafeguardingConcernRaised":
            c["concerns"][e.originator_version] = [e.recorded_at, None]
        elif name == "SafeguardingConcernAcknowledged":
            raised = c["concerns"][e.concern]
            raised[1] = max(0, int((e.occurred_at - raised[0]).total_seconds() // 60))
        elif name in ("PersonalDataErased", "ProcessingRestricted", "RestrictionLifted") and e.person.value == \
                "offender":
            c["offender_data"] = {"PersonalDataErased": "erased", "ProcessingRestricted": "restricted"}.get(
                name, "held" if c["offender_data"] != "erased" else "erased")
    rows = []
    for cid, c in cautions.items():
        outcome = c["closed"] or ("out_of_time" if c["deadline"] else "open")
        gender = gender_given[cid] if c["offender_data"] == "held" else "not_recorded"
        rows.append({**c, "outcome": outcome, "gender": gender})
    return rows, list(sessions.values())


def nearest(values: list[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def share(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def counts_of(rows: list[dict[str, Any]]) -> dict[str, int]:
    found = Counter(r["outcome"] for r in rows)
    return {"issued": len(rows), **{o: found[o] for o in OUTCOMES}}


def rates_of(k: dict[str, int]) -> dict[str, float | None]:
    breached = k["breached_prosecute"] + k["breached_nfa"]
    closed = k["completed"] + breached + k["withdrawn"]
    return {"completion_rate_of_closed": share(k["completed"], closed),
            "breach_rate_of_closed": share(breached, closed),
            "completion_rate_of_cohort": share(k["completed"], k["issued"]),
            "breach_rate_of_cohort": share(breached, k["issued"])}


def gender_split(rows: list[dict[str, Any]]) -> dict[str, Any]:
    raw = {g: counts_of([r for r in rows if r["gender"] == g]) for g in GENDERS}
    hidden: dict[str, set[str]] = {g: set() for g in GENDERS}
    secondary: dict[str, set[str]] = {g: set() for g in GENDERS}
    for measure in ("issued", *OUTCOMES):
        small = [g for g in GENDERS if 1 <= raw[g][measure] <= 4]
        for g in small:
            hidden[g].add(measure)
        if len(small) == 1:
            rest = sorted((raw[g][measure], g) for g in GENDERS if g not in small and raw[g][measure] > 0)
            if rest:
                hidden[rest[0][1]].add(measure)
                secondary[rest[0][1]].add(measure)
    answer = {}
    for g in GENDERS:
        cells: dict[str, Any] = {}
        for m in ("issued", *OUTCOMES):
            cells[m] = {"count": None if m in hidden[g] else raw[g][m], "suppressed": m in hidden[g]}
            if m in secondary[g]:
                cells[m]["secondary"] = True
        off = bool(hidden[g] - {"open", "out_of_time"})
        cells.update({name: {"rate": None if off else value, "suppressed": off}
                      for name, value in rates_of(raw[g]).items()})
        answer[g] = cells
    return answer


def expected_period(rows: list[dict[str, Any]], sessions: list[dict[str, Any]], label: str) -> dict[str, Any]:
    k = counts_of(rows)
    concerns = [c for r in rows for c in r["concerns"].values()]
    acknowledged = [minutes for _, minutes in concerns if minutes is not None]
    held = [s for s in sessions if s["held"]]
    places, filled = sum(s["capacity"] for s in held), sum(s["filled"] for s in held)
    stage = lambda name: {short: sum(r["contacts"][(name, long)] for r in rows)  # noqa: E731
                          for short, long in (("contacted", "contacted"), ("unable", "unable_to_contact"),
                                              ("declined", "declined"))}
    return {
        "period": label,
        "cohort": k,
        "rates": rates_of(k),
        "by_legal_basis": {b: {**counts_of(sub), **rates_of(counts_of(sub))}
                           for b in ("conditional_caution", "diversionary_caution")
                           for sub in [[r for r in rows if r["legal_basis"] == b]]},
        "by_gender": gender_split(rows),
        "days": {m: {"median": nearest(values, 0.5), "p90": nearest(values, 0.9), "counted": len(values)}
                 for m in ("first_contact", "workshop_a", "completion")
                 for values in [[r[m] for r in rows if r[m] is not None]]},
        "victim_contacts": {"after_workshop_a": stage("after_workshop_a"), "on_completion": stage("on_completion")},
        "safeguarding": {"concerns": len(concerns), "acknowledged": len(acknowledged),
                         "acknowledgement_minutes": {"median": nearest(acknowledged, 0.5),
                                                     "p90": nearest(acknowledged, 0.9)}},
        "sessions": {"held": len(held), "places": places, "filled": filled, "fill_rate": share(filled, places)},
    }


def expected(rows: list[dict[str, Any]], sessions: list[dict[str, Any]], force: str | None,
             groups: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    mine = [r for r in rows if force is None or r["force"] == force]
    theirs = [s for s in sessions if force is None or s["force"] == force]
    return [expected_period([r for r in mine if r["month"] in months], [s for s in theirs if s["month"] in months],
                            label) for label, months in groups]


def without_months(period: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in period.items() if name != "months"}


MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
QUARTERS = [(f"2026-Q{q}", MONTHS[3 * (q - 1):3 * q]) for q in range(1, 5)]
COMMISSIONER = auth(Role.COMMISSIONER, NATIONAL, subject="pcc-office")


def outcome_rows(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    tables = (outcome_cautions, outcome_cells, outcome_durations, outcome_sessions, outcome_session_cells)
    with app_state(client).cautions.engine.connect() as connection:
        return {t.name: sorted(tuple(row) for row in connection.execute(select(t))) for t in tables}


# ----- the tests ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [19])
def test_the_report_equals_a_reference_computed_from_the_events(report_client: TestClient, seed: int) -> None:
    client = report_client
    drive(client, seed, per_force=30)
    rows, sessions = reference_rows(client)
    assert {r["outcome"] for r in rows} >= {"open", "completed", "withdrawn", "out_of_time"}  # the paths were taken
    assert any(r["gender"] == "not_recorded" for r in rows)
    for headers, force in ((auth("police", "CAMBS"), "CAMBS"), (auth("admin", "NORFOLK"), "NORFOLK"),
                           (COMMISSIONER, None), (auth(Role.COMMISSIONER, "CAMBS"), "CAMBS")):
        for by, groups in (("month", [(m, [m]) for m in MONTHS]), ("quarter", QUARTERS)):
            response = client.get("/v1/reports/outcomes", params={"from": "2026-01", "to": "2026-12", "by": by},
                                  headers=headers)
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["scope"] == (force or "national")
            assert [without_months(p) for p in answer["periods"]] == expected(rows, sessions, force, groups)
            total = expected(rows, sessions, force, [("2026-01 to 2026-12" if by == "month" else "2026-Q1 to 2026-Q4",
                                                      MONTHS)])[0]
            assert without_months(answer["total"]) == total
    named = client.get("/v1/reports/outcomes", params={"from": "2026-01", "to": "2026-12", "force": "NORFOLK"},
                       headers=COMMISSIONER).json()
    assert named["scope"] == "NORFOLK"
    assert without_months(named["total"]) == expected(rows, sessions, "NORFOLK", [("2026-01 to 2026-12", MONTHS)])[0]

    # The read models rebuilt from the store are the rows live projection kept.
    live = outcome_rows(client)
    assert len(live["outcome_cautions"]) == len(rows) and live["outcome_session_cells"]
    app_state(client).projector.rebuild(["outcomes"])
    assert outcome_rows(client) == live


def test_the_table_links_to_no_caution(report_client: TestClient) -> None:
    client = report_client
    cid = Driver(client, "CAMBS").issue(NOW - timedelta(days=3), "female", "conditional_caution")
    app_state(client).projector.run_until_caught_up()
    (row,) = outcome_rows(client)["outcome_cautions"]
    assert cid not in repr(row) and cid.replace("-", "") not in repr(row)
    assert all("PNC-" not in str(value) and "CC-" not in str(value) for value in row)


def _issue_many(client: TestClient, force: str, genders: dict[str, int]) -> None:
    driver = Driver(client, force)
    for gender, n in genders.items():
        for _ in range(n):
            driver.issue(datetime(2026, 11, 10, 10, tzinfo=UTC), gender, "conditional_caution")
    app_state(client).projector.run_until_caught_up()


def test_small_counts_by_gender_are_withheld_in_json_csv_and_pdf(report_client: TestClient) -> None:
    client = report_client
    _issue_many(client, "KENT", {"male": 7, "other": 6, "female": 2})
    params = {"from": "2026-11", "to": "2026-11"}
    headers = auth("police", "KENT")
    body = client.get("/v1/reports/outcomes", params=params, headers=headers).json()
    split = body["periods"][0]["by_gender"]
    assert split["female"]["issued"] == {"count": None, "suppressed": True}
    assert split["other"]["issued"] == {"count": None, "suppressed": True, "secondary": True}  # else 15 - 7 - 6
    assert split["male"]["issued"] == {"count": 7, "suppressed": False}
    assert split["female"]["completion_rate_of_cohort"] == {"rate": None, "suppressed": True}
    assert body["periods"][0]["cohort"]["issued"] == 15  # totals count no one by a characteristic
    assert "2" not in {str(v["count"]) for g in split.values() for k, v in g.items() if "count" in v}

    text = client.get("/v1/reports/outcomes", params=params, headers={**headers, "Accept": "text/csv"}).text
    by = {(r["period"], r["section"], r["group"], r["measure"]): r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert by[("2026-11", "gender", "female", "issued")] == "<5"
    assert by[("2026-11", "gender", "other", "issued")] == "c"
    assert by[("2026-11", "gender", "male", "issued")] == "7"
    pdf = client.get("/v1/reports/outcomes", params=params, headers={**headers, "Accept": "application/pdf"}).content
    document = pdfium.PdfDocument(pdf)
    words = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "<5" in words


def test_csv_parses_to_the_json_figures_and_the_pdf_renders_its_charts(report_client: TestClient) -> None:
    client = report_client
    drive(client, 7, per_force=8)
    params = {"from": "2026-01", "to": "2026-12", "by": "quarter"}
    answer = client.get("/v1/reports/outcomes", params=params, headers=COMMISSIONER).json()
    response = client.get("/v1/reports/outcomes", params=params, headers={**COMMISSIONER, "Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and set(rows[0]) == {"period", "section", "group", "measure", "value"}
    by = {(r["period"], r["section"], r["group"], r["measure"]): r["value"] for r in rows}
    for period in answer["periods"]:
        for name, value in period["cohort"].items():
            assert by[(period["period"], "cohort", "all", name)] == str(value)
        rate = period["rates"]["completion_rate_of_closed"]
        assert by[(period["period"], "rates", "all", "completion_rate_of_closed")] == ("" if rate is None
                                                                                      else f"{rate:.4f}")
        assert by[(period["period"], "sessions", "all", "held")] == str(period["sessions"]["held"])

    pdf = client.get("/v1/reports/outcomes", params=params, headers={**COMMISSIONER, "Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(pdf.content)
    assert len(document) >= 2
    page = document[0]
    text = page.get_textpage().get_text_range()
    assert "Cautions issued in each period, by outcome so far" in text
    assert "Completion and breach rates by period" in text
    assert "All forces" in text and "2026-Q3" in text
    # The charts are drawn, not pictures: stacked bars and the lines are path objects on page 1.
    paths = sum(1 for o in page.get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_PATH)
    bars = sum(1 for p in answer["periods"] for v in p["cohort"].values() if v) - len(answer["periods"])
    assert paths > bars + 3 * len(answer["periods"])
    image = page.render(scale=1).to_pil().convert("RGB")
    assert image.size[0] > 500 and len(image.getcolors(maxcolors=1 << 16) or []) > 10  # colours, not a blank page


def test_periods_are_checked(report_client: TestClient) -> None:
    client = report_client
    headers = auth("police", "CAMBS")
    for params, rule in (({"from": "2026-05", "to": "2026-04"}, "to:before_from"),
                         ({"from": "2010-01", "to": "2026-04"}, "to:too_far"),
                         ({"from": "2026-02", "to": "2026-06", "by": "quarter"}, "by:partial_quarter")):
        problem = assert_problem(client.get("/v1/reports/outcomes", params=params, headers=headers), 422)
        assert problem["errors"][0]["rule"] == rule
    for params in ({"from": "2026-13"}, {"to": "26-01"}, {"by": "week"}):
        assert_problem(client.get("/v1/reports/outcomes", params=params, headers=headers), 422)
    default = client.get("/v1/reports/outcomes", headers=headers).json()
    assert (default["from"], default["to"], len(default["periods"])) == ("2026-01", "2026-12", 12)
    # Nothing issued yet: the PDF still renders, saying so where a line would be.
    empty = client.get("/v1/reports/outcomes", headers={**headers, "Accept": "application/pdf"})
    assert empty.status_code == 200, empty.text
    assert "has closed yet" in pdfium.PdfDocument(empty.content)[0].get_textpage().get_text_range()


def test_who_reads_the_report(report_client: TestClient) -> None:
    client = report_client
    _issue_many(client, "CAMBS", {"male": 5})
    _issue_many(client, "KENT", {"female": 6})
    route = "/v1/reports/outcomes"
    params = {"from": "2026-11", "to": "2026-11"}

    def issued(headers: dict[str, str], **extra: str) -> Any:
        response = client.get(route, params={**params, **extra}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["total"]["cohort"]["issued"]

    assert issued(auth("police", "CAMBS")) == 5
    assert issued(auth("admin", "KENT")) == 6
    assert issued(auth(Role.COMMISSIONER, "KENT")) == 6
    assert issued(COMMISSIONER) == 11
    assert issued(COMMISSIONER, force="KENT") == 6
    for role in ("provider", "victim_contact", "court", "subscriber", "sar"):
        assert assert_problem(client.get(route, headers=auth(role, "CAMBS")), 403)["type"] == "/problems/forbidden"
    assert_problem(client.get(route, params={"force": "KENT"}, headers=auth("police", "CAMBS")), 403)
    for headers in (auth("police", NATIONAL), auth(Role.COMMISSIONER, NATIONAL, subject="not-listed"),
                    auth("subscriber", NATIONAL, subject="pcc-office")):
        assert assert_problem(client.get(route, headers=headers), 403)["type"] in ("/problems/national-scope",
                                                                                   "/problems/forbidden")
    assert_problem(client.get(route), 401)
    # A commissioner reads the report and nothing else, nationally or for a force.
    for headers in (COMMISSIONER, auth(Role.COMMISSIONER, "CAMBS")):
        for method, path in (("GET", "/v1/cautions"), ("GET", "/v1/statistics"), ("GET", "/v1/events"),
                             ("GET", "/v1/workshop-sessions"), ("GET", "/v1/consultations"),
                             ("GET", "/v1/subject-access?offender_ref=X"), ("POST", "/v1/cautions")):
            response = client.request(method, path, headers=headers, json=caution_payload())
            assert_problem(response, 403)


def test_safeguarding_concerns_and_their_acknowledgement_times_count_in_the_cohort(report_client: TestClient) -> None:
    client = report_client
    driver = Driver(client, "CAMBS")
    cid = driver.issue(datetime(2026, 10, 1, 10, tzinfo=UTC), "male", "conditional_caution")
    for path, body in (("workshops/A/schedule", {"occurred_at": "2026-10-02T10:00:00Z",
                                                 "session_at": "2026-10-10T18:00:00Z", "venue": "Hub"}),
                       ("workshops/A/attendance", {"occurred_at": "2026-10-10T20:00:00Z"})):
        driver.ok(cid, path, body, driver.provider)
    driver.ok(cid, "victim-contacts", {"occurred_at": "2026-10-12T10:00:00Z", "stage": "after_workshop_a",
                                       "outcome": "contacted", "safeguarding_concern": True}, driver.victim_contact)
    app_state(client).projector.run_until_caught_up()
    rows, sessions = reference_rows(client)
    answer = client.get("/v1/reports/outcomes", params={"from": "2026-10", "to": "2026-10"},
                        headers=driver.police).json()
    assert answer["periods"][0]["safeguarding"]["concerns"] == 1
    assert without_months(answer["periods"][0]) == expected(rows, sessions, "CAMBS", [("2026-10", ["2026-10"])])[0]
