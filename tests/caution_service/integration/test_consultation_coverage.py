"""Every route read as every role (issue 14 item 8): each answer that shows personal data leaves a consultation log
entry naming the caller, role, force, caution and what was seen (disclosure.SEEN_BY decides what a role sees); each
refused read of personal data (401, 403, or 404 for another force's caution) leaves a "denied" entry; the rest leave
none. The GET routes are taken from the app itself: a new one fails here until it is placed in READS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from services.caution_service.consultations import UNKNOWN, consultations
from services.caution_service.disclosure import SEEN_BY, Field
from shared.auth import Role
from shared.docs import STATIC
from tests.caution_fixtures import Steps
from tests.support import app_state, at, auth, iso

FORCE, OTHER = "CAMBS", "KENT"
CALLERS: dict[str, tuple[Role | None, str]] = {
    **{role.value: (role, FORCE) for role in Role},
    "police of another force": (Role.POLICE, OTHER),
    "nobody": (None, UNKNOWN),  # no token: 401
}


def headers_of(caller: str) -> dict[str, str]:
    role, force = CALLERS[caller]
    if role is None:
        return {}
    given = auth(role, force, subject=f"{caller.replace(' ', '-')}-1")
    if role is Role.VICTIM_CONTACT:
        given["X-Purpose"] = "safety planning call"  # required for the victim's details
    return given


def caution_read(role: Role) -> set[str]:
    """What a read of a caution holding every kind of personal data shows `role`, by the disclosure table."""
    fields = {f for f, roles in SEEN_BY.items() if role in roles}
    return ({"victim_details"} if Field.VICTIM_DETAILS in fields else set()) | (
        {"personal_data"} if fields - {Field.VICTIM_DETAILS} else set())


@dataclass(frozen=True)
class Read:
    template: str  # the route's path, as the app declares it
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # what an answered (200) read logs for a role: None for a route that shows no personal data
    shows: Callable[[Role], set[str]] | None = None
    by_caution: bool = False  # the entries name the caution (else "*")
    answered_by_testclient: bool = True  # an endless stream is not: only its refusals are read here


READS = [
    Read("/v1/cautions/{caution_id}", shows=caution_read, by_caution=True),
    Read("/v1/cautions/{caution_id}", params={"as_of": iso(at(0, 12))}, shows=caution_read, by_caution=True),
    Read("/v1/cautions", shows=lambda role: {"caution_list"}),
    Read("/v1/cautions", params={"offender_ref": "PNC-SECRET-1", "status": "active"},
         shows=lambda role: {"caution_list"}),
    Read("/v1/cautions/{caution_id}/compliance-history", shows=lambda role: {"compliance_history"}, by_caution=True),
    Read("/v1/cautions/{caution_id}/compliance-history", headers={"Accept": "application/pdf"},
         shows=lambda role: {"certificate"}, by_caution=True),
    Read("/v1/cautions/{caution_id}/compliance-history/export", shows=lambda role: {"compliance_history"},
         by_caution=True),
    Read("/v1/events", shows=lambda role: {"event_feed"}),
    # What was said in raising a safeguarding concern: the victim contact service's alone (issue 19).
    Read("/v1/cautions/{caution_id}/safeguarding-concerns", shows=lambda role: {"victim_details"}, by_caution=True),
    # The victim contact service's notes of its contacts with the victim: that service's alone, like the above.
    Read("/v1/cautions/{caution_id}/victim-contacts", shows=lambda role: {"victim_details"}, by_caution=True),
    Read("/v1/subject-access", params={"offender_ref": "PNC-COVER-1"}, headers={"X-Purpose": "subject access 2026/7"},
         shows=lambda role: {"subject_access"}, by_caution=True),
    # Its opening is logged like a page (test_feed_stream.py reads it over a real server).
    Read("/v1/events/stream", shows=lambda role: {"event_feed"}, answered_by_testclient=False),
    # No personal data: hashes and counts, aggregates, the log itself (staff ids), health, metrics and the docs.
    Read("/v1/cautions/{caution_id}/compliance-history/verification"),
    Read("/v1/statistics"),
    # Workshop sessions, venues and the provider's worklist name cautions by id and police reference only.
    Read("/v1/workshop-sessions"),
    Read("/v1/workshop-sessions/{session_id}"),
    Read("/v1/venues"),
    Read("/v1/venues/{venue_id}"),
    Read("/v1/provider/worklist"),
    Read("/v1/worklist"),  # every role's required actions: caution id, police reference, action, due date
    Read("/v1/scrutiny/cases"),
    Read("/v1/scrutiny/reviews"),
    # The commissioner's outcomes report: counts per cohort, small counts by gender withheld; no one's data.
    Read("/v1/reports/outcomes"),
    Read("/v1/consultations"),
    Read("/v1/consultations/verification"),
    Read("/livez"),
    Read("/readyz"),
    Read("/metrics"),
    Read("/openapi.json"),
    Read("/docs"),
    Read("/redoc"),
    Read("/problems"),
    Read("/problems/{slug}"),
]


def app_routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """Every route of the app with its methods, through the routers it includes."""
    for route in app.routes:
        contexts: Any = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            yield str(getattr(context, "path", "")), set(getattr(context, "methods", None) or ())


def test_every_get_route_of_the_app_is_read_here_and_every_other_route_is_a_command(steps: Steps) -> None:
    app = steps.client.app
    assert isinstance(app, FastAPI)
    routes = list(app_routes(app))
    gets = {path for path, methods in routes if "GET" in methods}
    assert gets == {read.template for read in READS}, "place each new GET route in READS"
    # Commands answer with what they recorded and open nothing sealed (views.caution_public): never logged. A venue's
    # change (PATCH) is the provider's own data. The docs' scripts and styles (a mount of static files, from a
    # package) show nothing of anyone.
    assert all(methods == {"POST"} or (methods == {"PATCH"} and path == "/v1/venues/{venue_id}")
               for path, methods in routes if "GET" not in methods and path != STATIC)


def _new_entries(steps: Steps, after: int) -> list[dict[str, Any]]:
    with app_state(steps.client).cautions.engine.connect() as connection:
        rows = connection.execute(select(consultations).where(consultations.c.id > after)
                                  .order_by(consultations.c.id)).mappings().all()
    return [dict(row) for row in rows]


def test_every_read_of_personal_data_and_every_refused_one_is_logged_by_every_role(steps: Steps) -> None:
    # holds the offender's identity, the offence, the victim's reference and details
    cid = steps.issue(offender={"reference": "PNC-COVER-1"})["id"]
    steps.client.get(f"/v1/cautions/{cid}/compliance-history", params={"min_position": 1}, headers=steps.police)
    assert _new_entries(steps, 0)[1:] == []  # issuing (a command) logged nothing; the read above did
    last = max(e["id"] for e in _new_entries(steps, 0))
    answered: dict[tuple[str, str], set[str]] = {}
    for read in READS:
        for caller in CALLERS:
            role, force = CALLERS[caller]
            if not read.answered_by_testclient and role in (Role.SUBSCRIBER, Role.ADMIN) and force == FORCE:
                continue
            url = read.template.replace("{caution_id}", cid)
            response = steps.client.get(url, params=read.params, headers={**headers_of(caller), **read.headers})
            entries = _new_entries(steps, last)
            last = max([last, *(e["id"] for e in entries)])
            where = (read.template, read.params, read.headers, caller, response.status_code)
            status = response.status_code
            answered.setdefault((read.template, str(read.params) + str(read.headers)), set()).add(str(status))
            if read.shows is None:
                assert entries == [], where
                continue
            if status == 200:
                assert role is not None
                expected = read.shows(role)
            elif status in (401, 403, 404):
                expected = {"denied"}
            else:
                raise AssertionError(f"unexpected answer {where}: {response.text}")
            assert {e["what"] for e in entries} == expected and len(entries) == len(expected), (where, entries)
            for entry in entries:
                assert entry["route"] == f"GET {read.template}", where
                assert (entry["force"], entry["role"]) == (force, role.value if role else UNKNOWN), where
                assert entry["principal_id"] == (f"{caller.replace(' ', '-')}-1" if role else UNKNOWN), where
                # A refusal names the caution only where the path does (a subject access request names a person).
                named = read.by_caution and (status == 200 or "{caution_id}" in read.template)
                assert entry["caution_id"] == (cid if named else "*"), where
                assert entry["purpose"] == {**headers_of(caller), **read.headers}.get("X-Purpose"), where
                assert "PNC-SECRET-1" not in str(entry), where  # filters are named, never their values
                if entry["what"] == "denied":
                    assert (entry["detail"] or "").startswith(str(status)), where
            if status == 200 and "as_of" in read.params:
                assert all(e["detail"] == f"as_of={read.params['as_of']}" for e in entries), where
    for read in READS:  # each route that shows personal data was both answered and refused above
        if read.shows is not None and read.answered_by_testclient:
            statuses = answered[(read.template, str(read.params) + str(read.headers))]
            assert "200" in statuses and statuses & {"401", "403", "404"}, (read, statuses)
