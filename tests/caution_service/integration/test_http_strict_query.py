"""Unknown query parameters are a 400 problem naming them, on every route of both services."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.notification_service.config import Settings as NotifySettings
from services.notification_service.main import create_app as create_notify_app
from tests.caution_fixtures import assert_problem
from tests.support import FakeClock, auth

PATH_VALUES = {"workshop": "A", "person": "offender"}


@pytest.fixture(scope="module")
def cautions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('strict')}/cautions.sqlite3"
    with TestClient(create_app(Settings(environment="test", database_url=url), FakeClock()),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def notify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('strict-n')}/n.sqlite3"
    settings = NotifySettings(environment="test", database_url=url, run_workers=False)
    with TestClient(create_notify_app(settings, FakeClock()), raise_server_exceptions=False) as c:
        yield c


def _url(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), str(uuid.uuid4())), template)


def _every_route(client: TestClient) -> list[tuple[str, str]]:
    """Every route the service documents (the API, health), each method."""
    paths = client.get("/openapi.json").json()["paths"]
    return [(method.upper(), _url(template)) for template, operations in paths.items() for method in operations]


@pytest.mark.parametrize("service", ["cautions", "notify"])
def test_every_route_refuses_an_unknown_query_parameter(service: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(service)
    routes = _every_route(client)
    assert len(routes) > 5
    for method, url in routes:
        response = client.request(method, url, params={"format": "csv"}, headers=auth("admin"), json={})
        body = assert_problem(response, 400)
        assert body["type"] == "/problems/unknown-query-parameter", (method, url, body)
        assert body["parameters"] == ["format"]


@pytest.mark.parametrize("query", [{"month": "2026-03"}, {"format": "csv"}, {"Status": "active"},
                                   {"status": "active", "sort": "name"}])
def test_the_caution_list_names_what_it_does_not_take(cautions: TestClient, query: dict[str, str]) -> None:
    body = assert_problem(cautions.get("/v1/cautions", params=query, headers=auth("police")), 400)
    unknown = sorted(set(query) - {"status"})
    assert body["parameters"] == unknown
    assert all(name in body["detail"] for name in unknown)


def test_declared_parameters_still_work(cautions: TestClient, notify: TestClient) -> None:
    ok = cautions.get("/v1/cautions", params={"status": "active", "limit": 5, "overdue": "false"},
                      headers=auth("police"))
    assert ok.status_code == 200, ok.text
    assert cautions.get("/readyz", params={"exclude": "projections"}).status_code in (200, 503)
    assert notify.get("/v1/notifications", params={"limit": 5}, headers=auth("provider")).status_code == 200


def test_a_name_in_the_url_still_says_where_to_search(cautions: TestClient) -> None:
    body = assert_problem(cautions.get("/v1/cautions", params={"name": ""}, headers=auth("police")), 400)
    assert body["type"] == "/problems/search-by-post"


@pytest.mark.parametrize("path", ["/openapi.json", "/metrics"])
def test_routes_outside_the_api_are_left_alone(cautions: TestClient, path: str) -> None:
    assert cautions.get(path, params={"anything": "1"}).status_code == 200
