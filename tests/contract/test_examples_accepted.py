"""Each request body's example in the OpenAPI document is accepted as sent by a real app: what "Try it out" in
/docs sends is never refused as invalid (before, with no examples, the body made up from the schema was)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.notification_service.config import Settings as NotifySettings
from services.notification_service.main import create_app as create_notify_app
from tests.support import FakeClock, auth

AFTER_THE_EXAMPLES = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ROLES = ["police", "provider", "victim_contact", "admin", "court", "sar"]
INVALID = {"/problems/validation-failed", "/problems/malformed-json"}


def body_examples(document: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                found.append((operation["operationId"], method, path, media.get("example")))
    return found


def send(client: TestClient, method: str, url: str, body: Any) -> Any:
    """As the first role the route lets in; the victim contact role says why it reads."""
    response = None
    for role in ROLES:
        headers = {**auth(role), "X-Purpose": "trying the docs"}
        response = client.request(method.upper(), url, json=body, headers=headers)
        if response.status_code != 403:
            return response
    return response


def assert_accepted(operation_id: str, response: Any) -> None:
    kind = response.json().get("type") if response.headers["content-type"].startswith("application/problem") else None
    assert response.status_code < 500 and kind not in INVALID, (operation_id, response.status_code, response.text)
    assert response.status_code not in (401, 403), (operation_id, response.text)  # else the body went unread


@pytest.fixture(scope="module")
def cautions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('examples')}/cautions.sqlite3"
    with TestClient(create_app(Settings(environment="test", database_url=url), FakeClock(AFTER_THE_EXAMPLES)),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def notify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('examples-n')}/n.sqlite3"
    settings = NotifySettings(environment="test", database_url=url, run_workers=False)
    with TestClient(create_notify_app(settings, FakeClock(AFTER_THE_EXAMPLES)), raise_server_exceptions=False) as c:
        yield c


def test_every_caution_service_body_example_is_accepted(cautions: TestClient) -> None:
    examples = body_examples(cautions.get("/openapi.json").json())
    assert len(examples) >= 15
    assert all(example is not None for *_, example in examples), [e[0] for e in examples if e[3] is None]
    issue = next(e for e in examples if e[0] == "issueCaution")
    issued = send(cautions, issue[1], issue[2], issue[3])
    assert issued.status_code == 201, issued.text  # the issue example is a caution that can be given
    venue = send(cautions, "post", "/v1/venues", next(e[3] for e in examples if e[0] == "addVenue"))
    assert venue.status_code == 201, venue.text
    plan = next(e for e in examples if e[1] == "post" and e[2] == "/v1/workshop-sessions")
    session = send(cautions, "post", plan[2], {**plan[3], "venue_id": venue.json()["id"]})
    assert session.status_code == 201, session.text  # the plan example is a session that can be planned
    values = {"caution_id": issued.json()["id"], "workshop": "A", "person": "offender", "venue_id": venue.json()["id"],
              "session_id": session.json()["id"], "entry": "2"}
    for operation_id, method, path, example in examples:
        if operation_id != "issueCaution":
            url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
            assert_accepted(operation_id, send(cautions, method, url, example))


def test_the_schedule_example_is_recorded(cautions: TestClient) -> None:
    document = cautions.get("/openapi.json").json()
    examples = {e[0]: e for e in body_examples(document)}
    _, method, path, body = examples["issueCaution"]
    # Another case: the example's police reference and offender already have the caution issued above
    another = {**body, "police_reference": "CC-2026-000124", "offender": {**body["offender"], "reference": "PNC-EX-2"}}
    issued = send(cautions, method, path, another).json()
    _, method, path, body = examples["scheduleWorkshop"]
    url = path.replace("{caution_id}", issued["id"]).replace("{workshop}", "A")
    scheduled = send(cautions, method, url, body)
    assert scheduled.status_code == 200, scheduled.text


def test_every_notification_service_body_example_is_accepted(notify: TestClient) -> None:
    examples = body_examples(notify.get("/openapi.json").json())
    assert examples and all(example is not None for *_, example in examples)
    for operation_id, method, path, example in examples:
        assert_accepted(operation_id, send(notify, method, path, example))
