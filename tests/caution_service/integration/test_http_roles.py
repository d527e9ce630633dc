"""Who may do what over HTTP: roles (403), tokens (401), forces (404) and victim details (victim contact only)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any

import jwt
import pytest

from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, FORCE_CLAIM, ROLE_CLAIM
from tests.caution_fixtures import Steps, assert_problem, recorded_events
from tests.support import app_state, at, auth, caution_payload, iso

ALL_ROLES = ("police", "provider", "victim_contact", "court", "subscriber", "admin", "sar")
VICTIM_PHONE = "07700 900123"  # from caution_payload()
SECRET_NOTE = "victim-note-" + uuid.uuid4().hex


def _occurred() -> dict[str, Any]:
    return {"occurred_at": iso(at(0, 11))}


# (path under the caution, or None for issuing; body; roles allowed)
COMMAND_ROUTES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("workshops/A/schedule", {**_occurred(), "session_at": iso(at(10, 18)), "venue": "Hub"}, {"provider"}),
    ("workshops/B/attendance", _occurred(), {"provider"}),
    ("workshops/A/non-attendance", {**_occurred(), "reason": "did_not_attend", "note": "no show"}, {"provider"}),
    ("excuse-decisions", {**_occurred(), "accepted": True, "reason": "ill"}, {"police"}),
    ("victim-contacts", {**_occurred(), "stage": "after_workshop_a", "outcome": "contacted"}, {"victim_contact"}),
    ("variations", {**_occurred(), "period_ends_on": "2026-06-01", "reason": "r", "authorised_by": "INSP-1"},
     {"police"}),
    ("breach", {**_occurred(), "outcome": "prosecute", "reason": "r"}, {"police"}),
    ("completion", _occurred(), {"police", "provider"}),
    ("withdrawal", {**_occurred(), "reason": "issued in error"}, {"police"}),
    ("corrections", {"corrects_entry": 1, "reason": "typo"}, {"police", "provider"}),
]


@pytest.fixture(scope="module")
def steps(module_steps: Steps) -> Steps:
    """One app for the module; each test works on its own caution and counts only its events."""
    return module_steps


@pytest.fixture
def caution_id(steps: Steps) -> str:
    steps.tick(at(0, 11))  # the route bodies below happened then
    return steps.issue()["id"]


@pytest.mark.parametrize(("path", "body", "allowed"), COMMAND_ROUTES, ids=[r[0] for r in COMMAND_ROUTES])
def test_each_command_refuses_the_wrong_roles_with_403(
    steps: Steps, caution_id: str, path: str, body: dict[str, Any], allowed: set[str]
) -> None:
    for role in set(ALL_ROLES) - allowed:
        response = steps.post(caution_id, path, body, auth(role))
        problem = assert_problem(response, 403)
        assert problem["type"].endswith("forbidden"), role
    assert len(recorded_events(steps.client, caution_id)) == 1


@pytest.mark.parametrize(("path", "body", "allowed"), COMMAND_ROUTES, ids=[r[0] for r in COMMAND_ROUTES])
def test_each_command_admits_its_roles(
    steps: Steps, caution_id: str, path: str, body: dict[str, Any], allowed: set[str]
) -> None:
    for role in allowed:
        response = steps.post(caution_id, path, body, auth(role))
        assert response.status_code not in (401, 403, 404), (role, response.text)
        assert response.status_code < 500, response.text


def test_issuing_is_for_police_only(steps: Steps) -> None:
    before = len(recorded_events(steps.client))
    for role in set(ALL_ROLES) - {"police"}:
        assert_problem(steps.client.post("/v1/cautions", json=caution_payload(), headers=auth(role)), 403)
    assert len(recorded_events(steps.client)) == before


def test_reading_a_caution_refuses_subscriber_and_shows_admin_nothing_personal(steps: Steps, caution_id: str) -> None:
    for role in ("police", "provider", "court", "victim_contact", "admin"):
        assert steps.get(caution_id, {**auth(role), "X-Purpose": "a check"}).status_code == 200, role
    assert_problem(steps.get(caution_id, auth("subscriber")), 403)
    seen = steps.get(caution_id, auth("admin")).json()
    assert seen["offender"]["name"] is None and seen["victim"]["contact_details"] is None
    assert seen["offence"]["description"] is None and seen["history"] is None
    assert seen["personal_data"]["victim"]["state"] == "held" and isinstance(seen["version"], int)


def _token(**claims: Any) -> str:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "officer-1", ROLE_CLAIM: "police", FORCE_CLAIM: "CAMBS", "iss": DEFAULT_ISSUER,
            "aud": DEFAULT_AUDIENCE, "iat": now, "exp": now + 600}
    base.update(claims)
    secret = base.pop("_secret", DEV_JWT_SECRET)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, secret, algorithm="HS256")


BAD_TOKENS = {
    "bad signature": _token(_secret="not-the-key-" + "x" * 32),
    "expired": _token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "wrong issuer": _token(iss="someone-else"),
    "wrong audience": _token(aud="other-system"),
    "unknown role": _token(**{ROLE_CLAIM: "superuser"}),
    "no force": _token(**{FORCE_CLAIM: None}),
    "no expiry": _token(exp=None),
    "garbage": "not.a.jwt",
    # "": no key
    "alg none": jwt.encode({"sub": "x", ROLE_CLAIM: "police", FORCE_CLAIM: "CAMBS"}, "", algorithm="none"),
}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_refused_tokens_get_401_with_a_challenge(steps: Steps, caution_id: str, name: str) -> None:
    bearer = {"Authorization": f"Bearer {BAD_TOKENS[name]}"}
    for response in (
        steps.get(caution_id, bearer),
        steps.client.post("/v1/cautions", json=caution_payload(), headers=bearer),
        steps.post(caution_id, "completion", _occurred(), bearer),
    ):
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert len(recorded_events(steps.client, caution_id)) == 1


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer "])
def test_missing_or_non_bearer_credentials_get_401(steps: Steps, caution_id: str, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}

    response = steps.get(caution_id, headers or {"X-Nothing": "1"})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_another_forces_caution_is_not_found_for_reads_and_commands(steps: Steps, caution_id: str) -> None:
    for role in ("police", "provider", "court", "victim_contact"):
        assert_problem(steps.get(caution_id, auth(role, force="ESSEX")), 404)
    for path, body, allowed in COMMAND_ROUTES:
        for role in allowed:
            response = steps.post(caution_id, path, body, auth(role, force="ESSEX"))
            problem = assert_problem(response, 404)
            assert problem["type"].endswith("not-found")
    assert len(recorded_events(steps.client, caution_id)) == 1


def test_an_unknown_caution_and_another_forces_caution_answer_alike(steps: Steps, caution_id: str) -> None:
    foreign = steps.get(caution_id, auth("police", force="ESSEX"))
    unknown = steps.get(str(uuid.uuid4()), auth("police", force="ESSEX"))

    assert foreign.status_code == unknown.status_code == 404
    assert {k: v for k, v in foreign.json().items() if k != "instance"} == {
        k: v for k, v in unknown.json().items() if k != "instance"}


# ----- victim details -------------------------------------------------------------------


def _walk_to_completion_with_notes(steps: Steps) -> tuple[str, list[Any]]:
    """A completed caution whose victim contacts carry notes; returns every response seen on the way."""
    cid = steps.issue()["id"]
    seen = [steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40), steps.attend(cid, "A", 10)]
    seen.append(steps.contact_victim(cid, 12, notes=SECRET_NOTE, headers={"Idempotency-Key": f"vc-{cid}"}))
    seen += [steps.attend(cid, "B", 40), steps.complete(cid, 40)]
    seen.append(steps.contact_victim(cid, 42, stage="on_completion", notes=SECRET_NOTE))
    for response in seen:
        assert response.status_code == 200, response.text
    return cid, seen


def test_victim_details_are_shown_to_victim_contact_only(steps: Steps) -> None:
    cid, _ = _walk_to_completion_with_notes(steps)

    for role in ("police", "provider", "court"):
        response = steps.get(cid, auth(role))
        assert response.json()["victim"]["contact_details"] is None, role
        assert VICTIM_PHONE not in response.text and "Sam Victim" not in response.text, role
    without_a_reason = steps.get(cid, auth("victim_contact"))
    assert assert_problem(without_a_reason, 400)["type"] == "/problems/purpose-required"
    assert VICTIM_PHONE not in without_a_reason.text
    as_victim_contact = steps.get(cid, {**auth("victim_contact"), "X-Purpose": "safety call"}).json()
    assert as_victim_contact["victim"]["contact_details"] == {"name": "Sam Victim", "phone": VICTIM_PHONE}


def test_issue_and_command_responses_to_other_roles_carry_no_victim_details(steps: Steps) -> None:
    issued = steps.client.post("/v1/cautions", json=caution_payload(), headers=steps.police)
    cid = issued.json()["id"]
    scheduled = steps.schedule(cid, "A", 10)
    as_of = steps.client.get(f"/v1/cautions/{cid}", params={"as_of": iso(steps.clock.now)}, headers=steps.court)

    for response in (issued, scheduled, as_of):
        assert response.status_code in (200, 201), response.text
        assert VICTIM_PHONE not in response.text and "Sam Victim" not in response.text
        assert response.json()["victim"]["contact_details"] is None


def test_victim_notes_and_details_never_reach_other_roles_on_any_route(steps: Steps) -> None:
    cid, seen = _walk_to_completion_with_notes(steps)
    replay = steps.contact_victim(cid, 12, notes=SECRET_NOTE, headers={"Idempotency-Key": f"vc-{cid}"})
    assert replay.headers["idempotent-replayed"] == "true"
    # Not even the caller's own role gets them in a command's answer: only a read does, and it is logged.
    assert replay.json()["victim"]["contact_details"] is None and VICTIM_PHONE not in replay.text
    app_state(steps.client).projector.run_until_caught_up()
    others = [r for r in seen if r.request.headers["authorization"] != steps.victim_contact["Authorization"]]
    for role in ("police", "provider", "court", "subscriber", "admin"):
        headers = auth(role)
        others += [
            steps.get(cid, headers),
            steps.client.get(f"/v1/cautions/{cid}", params={"as_of": iso(steps.clock.now)}, headers=headers),
            steps.client.get("/v1/cautions", params={"limit": 100}, headers=headers),
            steps.client.get(f"/v1/cautions/{cid}/compliance-history", headers=headers),
            steps.client.get(f"/v1/cautions/{cid}/compliance-history/verification", headers=headers),
            steps.client.get("/v1/events", params={"after": 0, "limit": 1000}, headers=headers),
            steps.client.get("/v1/statistics", headers=headers),
        ]
    assert sum(r.status_code == 200 for r in others) >= 20  # most of these were answered, not refused

    for response in others:
        where = (str(response.request.url), response.status_code)
        assert response.status_code < 500, where
        assert SECRET_NOTE not in response.text, where
        assert VICTIM_PHONE not in response.text and "Sam Victim" not in response.text, where


def test_victim_details_and_notes_are_not_stored_in_plain_text(steps: Steps) -> None:
    """Encrypted at rest: neither the event store nor the Idempotency-Key records hold them readable."""
    cid, _ = _walk_to_completion_with_notes(steps)  # its keyed victim contact stores a detail-bearing response
    database = app_state(steps.client).settings.database_url.removeprefix("sqlite:///")
    db = sqlite3.connect(database)  # reads through the WAL too
    try:
        rows = db.execute("SELECT state FROM cautions_events").fetchall()
        keyed = db.execute("SELECT headers || body FROM cautions_idempotency WHERE key = ?", (f"vc-{cid}",)).fetchall()
    finally:
        db.close()
    dump = "\n".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for (v,) in rows + keyed)

    assert len(keyed) == 1 and "Sgt Jo Bloggs" in dump  # the rows are there, read as stored
    assert SECRET_NOTE not in dump
    assert VICTIM_PHONE not in dump and "Sam Victim" not in dump
