"""Property-based contract tests: schemathesis drives the ASGI app from the OpenAPI document it serves.

Every generated request (valid and deliberately invalid) must get an answer that is documented:
no 5xx, a documented status code, the documented content type and a body matching the schema.
Requests are authenticated with a valid token of a role the operation admits, and path ids are
sometimes replaced by real cautions so the command routes are exercised beyond 404.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.support import T0, FakeClock, auth, caution_payload, token

FORCE = "CAMBS"
OTHER_FORCE = "ESSEX"

# One fresh SQLite file per pytest run; the clock stands still 60 days after the seeded cautions were issued.
_DB_DIR = tempfile.TemporaryDirectory(prefix="cara-contract-")
CLOCK = FakeClock(T0 + timedelta(days=60))
APP = create_app(Settings(environment="test", database_url=f"sqlite:///{_DB_DIR.name}/contract.sqlite3"), CLOCK)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    ignored_auth,
]

# Cautions that exist in various states; refilled before each operation's run by the `caution_pool` fixture.
CAUTION_IDS: list[str] = []


def role_for(path: str) -> str:
    """A role the operation admits (see the `allow(...)` dependencies of the routes)."""
    if path.endswith(("/schedule", "/attendance", "/non-attendance")):
        return "provider"
    if path.endswith("/victim-contacts"):
        return "victim_contact"
    return "police"


@schema.auth(refresh_interval=None)
class RoleToken:
    """A valid bearer token for a role the operation admits, in force CAMBS."""

    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
        return token(role_for(ctx.operation.path), FORCE, subject="contract-test")

    def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _valid_time() -> st.SearchStrategy[str]:
    """A time after the pool's cautions were issued and not after the clock: what a real caller sends."""
    minutes = int((CLOCK.now - T0).total_seconds() // 60)
    return st.integers(0, minutes).map(lambda m: (T0 + timedelta(minutes=m)).isoformat())


def _new_caution() -> st.SearchStrategy[dict]:
    """A caution that passes every eligibility rule (random bodies almost never do)."""
    return st.tuples(st.uuids(), _valid_time()).map(lambda t: {
        **caution_payload(occurred_at=T0),
        "police_reference": f"CC-{t[0].hex[:10]}",
        "occurred_at": t[1],
        "offender": {**caution_payload()["offender"], "reference": f"PNC-{t[0].hex[10:18]}"},
    })


@schema.hook
def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> st.SearchStrategy:
    """Steer part of the cases past the 404s and rule refusals, so successful answers get checked too.

    Negative cases keep whatever makes them invalid: a negative path keeps its id, a negative body its body.
    """
    meta = case.meta
    if meta is None or not CAUTION_IDS:
        return st.just(case)
    positive = meta.generation.mode is GenerationMode.POSITIVE
    has_id = isinstance(case.path_parameters, dict) and "caution_id" in case.path_parameters
    aim_id = has_id and not meta.is_negative_at(ParameterLocation.PATH)
    body_is_object = isinstance(case.body, dict)
    issuing = case.operation.method.upper() == "POST" and case.operation.path == "/v1/cautions"

    def steer(choice: tuple[bool, str, bool, str, dict]) -> schemathesis.Case:
        use_pool, cid, fix_time, when, fresh = choice
        if aim_id and use_pool:
            case.path_parameters = {**case.path_parameters, "caution_id": cid}
        if positive and issuing and fix_time:
            case.body = fresh
        elif positive and body_is_object and fix_time and "occurred_at" in case.body:
            case.body = {**case.body, "occurred_at": when}
        return case

    return st.tuples(
        # Hypothesis leans to its simplest values (0, False), so those mean "steer".
        st.integers(0, 3).map(lambda i: i < 3), st.sampled_from(CAUTION_IDS), st.booleans().map(lambda b: not b),
        _valid_time(), _new_caution(),
    ).map(steer)


def _seed(client: TestClient) -> list[str]:
    """Cautions in the states the commands care about, issued at T0 and moved on over the following weeks."""
    police, provider = auth("police", FORCE, subject="seeder"), auth("provider", FORCE, subject="seeder-provider")
    victim_contact = auth("victim_contact", FORCE, subject="seeder-vc")

    def at(days: int) -> str:
        return (T0 + timedelta(days=days)).isoformat()

    def issue(headers: dict[str, str] = police) -> str:
        response = client.post("/v1/cautions", json=caution_payload(occurred_at=T0), headers=headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def do(cid: str, path: str, body: dict, headers: dict[str, str]) -> None:
        response = client.post(f"/v1/cautions/{cid}/{path}", json=body, headers=headers)
        assert response.status_code == 200, (path, response.text)

    def book(cid: str, workshop: str, day: int) -> None:
        do(cid, f"workshops/{workshop}/schedule", {"occurred_at": at(0), "session_at": at(day), "venue": "Ely"}, provider)

    fresh, booked, attended_a, missed_a, breach_referred, ready, completed = (issue() for _ in range(7))
    for cid in (booked, attended_a, missed_a, breach_referred, ready, completed):
        book(cid, "A", 2)
    for cid in (attended_a, ready, completed):
        do(cid, "workshops/A/attendance", {"occurred_at": at(2)}, provider)
    for cid in (missed_a, breach_referred):
        do(cid, "workshops/A/non-attendance", {"occurred_at": at(2), "reason": "did_not_attend", "note": "No show"},
           provider)
    do(breach_referred, "excuse-decisions", {"occurred_at": at(3), "accepted": False, "reason": "No excuse"}, police)
    for cid in (ready, completed):
        do(cid, "victim-contacts", {"occurred_at": at(4), "stage": "after_workshop_a", "outcome": "contacted"},
           victim_contact)
        book(cid, "B", 35)
        do(cid, "workshops/B/attendance", {"occurred_at": at(35)}, provider)
    do(completed, "completion", {"occurred_at": at(36)}, police)
    other_force = issue(auth("police", OTHER_FORCE, subject="seeder-essex"))  # must look absent to CAMBS callers
    return [fresh, booked, attended_a, missed_a, breach_referred, ready, completed, other_force]


@pytest.fixture(autouse=True)
def caution_pool() -> None:
    """A fresh set of cautions for each operation, so earlier operations' changes (withdrawals...) do not starve it."""
    with TestClient(APP, raise_server_exceptions=False) as client:
        CAUTION_IDS[:] = _seed(client)


@schema.parametrize()
@hypothesis.settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
