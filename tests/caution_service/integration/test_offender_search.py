"""Finding a caution by the offender's name and date of birth without clear text (issue 14 item 6): a keyed blind
index that erasure and restriction remove and a rebuild does not bring back. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.caution_service.projections.tables import offender_search
from tests.caution_fixtures import Steps, assert_problem
from tests.support import FakeClock, app_state, auth

NAME, BORN = "Siobhán O'Brien-Quixote", "1987-03-29"
ERASE = {"reason": "processing no longer lawful", "legal_basis": "dpa_2018_s47_1"}
RESTRICT = {"reason": "accuracy contested", "legal_basis": "dpa_2018_s47_4"}


@pytest.fixture
def client(client_on_database: TestClient) -> TestClient:
    return client_on_database  # both databases; `steps` (tests/caution_fixtures.py) drives it


def _issue(s: Steps, name: str = NAME, born: str = BORN) -> str:
    caution: dict[str, Any] = s.issue(offender={"name": name, "date_of_birth": born, "gender": "female"})
    return str(caution["id"])


def _project(s: Steps) -> None:
    app_state(s.client).projector.run_until_caught_up()


def _search(s: Steps, name: str, born: str = BORN, headers: dict[str, str] | None = None, **more: Any) -> list[str]:
    _project(s)
    response = s.client.post("/v1/cautions/search", json={"name": name, "date_of_birth": born, **more},
                             headers=headers or s.court)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _rows(s: Steps, caution_id: str | None = None) -> list[Any]:
    query = select(offender_search)
    if caution_id is not None:
        query = query.where(offender_search.c.caution_id == caution_id)
    with app_state(s.client).cautions.engine.connect() as connection:
        return list(connection.execute(query))


def _admin(s: Steps) -> dict[str, str]:
    return auth("admin", s.force, subject="dpo-1")


def _data_command(s: Steps, cid: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = s.client.post(f"/v1/cautions/{cid}/personal-data/offender/{path}", json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_found_by_name_and_date_of_birth_however_the_name_is_written(steps: Steps) -> None:
    cid, other = _issue(steps), _issue(steps, name="Alex Example")
    for asked in (NAME, "siobhan o'brien-quixote", "SIOBHÁN  O’BRIEN QUIXOTE", " Siobhan OBrien-Quixote "):
        for headers in (steps.court, steps.police, steps.provider):
            assert _search(steps, asked, headers=headers) == [cid], asked
    assert _search(steps, "Alex Example") == [other]
    listed = steps.client.get("/v1/cautions", headers=steps.court).json()["items"]
    found = steps.client.post("/v1/cautions/search", json={"name": NAME, "date_of_birth": BORN},
                              headers=steps.court).json()["items"]
    assert found == [item for item in listed if item["id"] == cid]  # the list's own summaries


def test_not_found_with_another_date_of_birth_or_first_name_unless_by_surname(steps: Steps) -> None:
    cid = _issue(steps)
    assert _search(steps, NAME, "1987-03-30") == []
    assert _search(steps, "Sinead O'Brien-Quixote") == []
    assert _search(steps, "Sinead O'Brien-Quixote", match="surname") == [cid]
    assert _search(steps, "Sinead O'Brien-Quixote", "1987-03-30", match="surname") == []


def test_another_forces_caution_is_not_found(steps: Steps, client: TestClient, clock: FakeClock) -> None:
    theirs = Steps(client, clock, force="ESSEX")
    _issue(theirs)
    assert _search(steps, NAME) == []
    assert len(_search(theirs, NAME)) == 1


def test_the_index_holds_no_clear_text(steps: Steps) -> None:
    cid = _issue(steps)
    _project(steps)
    rows = _rows(steps, cid)
    assert len(rows) == 2  # full name + date of birth, surname + date of birth
    stored = " ".join(str(value) for row in rows for value in row).casefold()
    for clear in ("siobh", "brien", "quixote", "1987", "03-29", "19870329"):
        assert clear not in stored
    assert all(len(row.term) == 64 and int(row.term, 16) >= 0 for row in rows)


def test_after_erasure_not_found_no_rows_and_a_rebuild_brings_nothing_back(steps: Steps) -> None:
    cid, kept = _issue(steps), _issue(steps)
    assert sorted(_search(steps, NAME)) == sorted([cid, kept])

    _data_command(steps, cid, "erasure", ERASE, _admin(steps))
    assert _search(steps, NAME) == [kept]
    assert _rows(steps, cid) == []

    projector = app_state(steps.client).projector
    projector.rebuild(["offender_search"])
    assert _rows(steps, cid) == [] and len(_rows(steps, kept)) == 2
    projector.rebuild()
    assert _rows(steps, cid) == [] and _search(steps, NAME) == [kept]


def test_after_rectification_found_by_the_new_name_and_not_the_old(steps: Steps) -> None:
    cid = _issue(steps)
    _data_command(steps, cid, "rectification", {"name": "Siobhan Quixote", "reason": "name misspelt"},
                  steps.police)
    assert _search(steps, "Siobhan Quixote") == [cid]
    assert _search(steps, NAME) == []
    _data_command(steps, cid, "rectification", {"date_of_birth": "1988-04-01", "reason": "wrong date"}, steps.police)
    assert _search(steps, "Siobhan Quixote") == [] and _search(steps, "Siobhan Quixote", "1988-04-01") == [cid]
    assert len(_rows(steps, cid)) == 2
    app_state(steps.client).projector.rebuild(["offender_search"])
    assert _search(steps, "Siobhan Quixote", "1988-04-01") == [cid] and _search(steps, NAME) == []


def test_restriction_hides_the_caution_from_search_until_lifted(steps: Steps) -> None:
    cid = _issue(steps)
    _data_command(steps, cid, "restriction", RESTRICT, _admin(steps))
    assert _search(steps, NAME) == [] and _rows(steps, cid) == []
    app_state(steps.client).projector.rebuild(["offender_search"])
    assert _rows(steps, cid) == []
    _data_command(steps, cid, "restriction-lifting", {"reason": "accuracy settled"}, _admin(steps))
    assert _search(steps, NAME) == [cid]


def test_a_search_is_for_the_roles_that_see_the_offender_identity_and_is_logged(steps: Steps) -> None:
    cid = _issue(steps)
    _project(steps)
    body = {"name": NAME, "date_of_birth": BORN}
    for headers in (steps.victim_contact, _admin(steps)):
        assert_problem(steps.client.post("/v1/cautions/search", json=body, headers=headers), 403)
    assert _search(steps, NAME, headers={**steps.court, "X-Purpose": "plea hearing"}) == [cid]
    log = steps.client.get("/v1/consultations", params={"caution_id": cid}, headers=_admin(steps))
    assert log.status_code == 200, log.text
    entries = [e for e in log.json()["items"] if e["what"] == "offender_search"]
    assert [(e["purpose"], e["role"]) for e in entries] == [("plea hearing", "court")]


def test_names_are_refused_in_a_url_and_a_search_must_give_both(steps: Steps) -> None:
    _issue(steps)
    refused = steps.client.get("/v1/cautions", params={"offender_name": NAME, "offender_date_of_birth": BORN},
                               headers=steps.court)
    assert assert_problem(refused, 400)["type"].endswith("search-by-post")
    for body in ({"name": NAME}, {"date_of_birth": BORN}, {"name": NAME, "date_of_birth": "29/03/1987"},
                 {"name": " ", "date_of_birth": BORN}, {"name": NAME, "date_of_birth": BORN, "match": "first"}):
        assert_problem(steps.client.post("/v1/cautions/search", json=body, headers=steps.court), 422)
    assert_problem(steps.client.post("/v1/cautions/search", json={"name": "--", "date_of_birth": BORN},
                                     headers=steps.court), 422)


def test_results_are_paged(steps: Steps) -> None:
    ids = {_issue(steps) for _ in range(3)}
    _project(steps)
    first = steps.client.post("/v1/cautions/search", json={"name": NAME, "date_of_birth": BORN, "limit": 2},
                              headers=steps.court).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = steps.client.post("/v1/cautions/search", headers=steps.court, json={
        "name": NAME, "date_of_birth": BORN, "limit": 2, "cursor": first["next_cursor"]}).json()
    assert rest["next_cursor"] is None
    assert {item["id"] for item in first["items"] + rest["items"]} == ids


def test_the_index_counts_two_terms_per_caution_held(steps: Steps) -> None:
    for _ in range(3):
        _issue(steps)
    _project(steps)
    with app_state(steps.client).cautions.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(offender_search)).scalar_one() == 6


def test_a_seal_that_does_not_open_leaves_its_caution_unsearchable_and_the_read_models_going(
        steps: Steps, caplog: pytest.LogCaptureFixture) -> None:
    from datetime import UTC, datetime

    from bench.workload import issue_time, new_caution

    app = app_state(steps.client).cautions
    forged = app.issue(lambda: new_caution(issue_time(), datetime.now(UTC), 1)).caution.id  # a stand-in seal
    found = _issue(steps)
    _project(steps)
    assert _rows(steps, str(forged)) == [] and _rows(steps, found)
    assert "does not open" in caplog.text and str(forged) in caplog.text
    assert _search(steps, NAME) == [found]
