"""/docs and /redoc work without the internet: every script and style they load is served by the service itself,
and no page needs an inline script (so a CSP of script-src 'self' does not blank them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.notification_service.config import Settings as NotifySettings
from services.notification_service.main import create_app as create_notify_app
from tests.support import FakeClock


@pytest.fixture(scope="module", params=["caution", "notification"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('docs')}/db.sqlite3"
    app = (create_app(Settings(environment="test", database_url=url), FakeClock()) if request.param == "caution"
           else create_notify_app(NotifySettings(environment="test", database_url=url, run_workers=False), FakeClock()))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_everything_from_this_origin(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert "cdn" not in text.lower() and "https://" not in text and "http://" not in text
    loaded = re.findall(r'(?:src|href|spec-url|data-openapi-url)="([^"]+)"', text)
    assert loaded
    for link in loaded:
        asset = client.get(urljoin(f"http://testserver{page}", link))
        assert asset.status_code == 200, (link, asset.status_code)
        assert len(asset.content) > 20, link


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_no_page_has_an_inline_script(client: TestClient, page: str) -> None:
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", client.get(page).text, re.S)
    assert scripts
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert "onload=" not in client.get(page).text


def test_swagger_ui_is_started_by_a_script_of_ours(client: TestClient) -> None:
    script = client.get("/docs-static/swagger-init.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle(" in script.text
    assert client.get("/docs-static/swagger-ui-bundle.js").content.count(b"SwaggerUIBundle") > 0
