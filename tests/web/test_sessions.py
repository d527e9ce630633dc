"""The web application's sessions, forms and failure pages, in process (no services needed): the cookie's
attributes, a new session id at sign-in, sign-out and idle timeout ending the session on the server, CSRF on every
form, the development sign-in refused in production, and a service that does not answer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.web.config import WebSettings
from services.web.main import create_app
from services.web.sessions import COOKIE
from tests.service_processes import free_port

SECRET = "s" * 40


def _client(**settings: object) -> TestClient:
    return TestClient(create_app(WebSettings(**{"environment": "test", **settings})), follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture
def web() -> Iterator[TestClient]:
    with _client() as client:
        yield client


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, role: str = "court") -> None:
    token = _csrf(client.get("/sign-in").text)
    answer = client.post("/sign-in/development", data={"csrf_token": token, "role": role, "force": "CAMBS"})
    assert answer.status_code == 303, answer.text


def test_the_cookie_holds_only_a_signed_id_and_is_http_only_and_same_site(web: TestClient) -> None:
    cookie = web.get("/").headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on one machine
    _sign_in(web)
    assert "token" not in web.cookies[COOKIE] and len(web.cookies[COOKIE]) < 100


def test_production_cookies_are_secure() -> None:
    with _client(environment="production", session_secret=SECRET, oidc_issuer="http://idp.invalid/",
                 oidc_client_id="cara-web") as client:
        assert "; Secure" in client.get("/").headers["set-cookie"]


def test_signing_in_starts_a_new_session_id(web: TestClient) -> None:
    web.get("/")
    before = web.cookies[COOKIE]
    _sign_in(web)
    assert web.cookies[COOKIE] != before
    assert web.get("/court/search").status_code == 200


def test_signing_out_ends_the_session_on_the_server(web: TestClient) -> None:
    _sign_in(web)
    stolen = web.cookies[COOKIE]
    token = _csrf(web.get("/court/search").text)
    assert web.post("/sign-out", data={"csrf_token": token}).headers["location"] == "/signed-out"
    web.cookies.clear()
    web.cookies[COOKIE] = stolen
    assert web.get("/court/search").headers["location"] == "/sign-in"


def test_an_idle_session_ends_and_the_sign_in_page_says_why(web: TestClient) -> None:
    _sign_in(web)
    store = web.app.state.sessions  # type: ignore[attr-defined]
    idle = store.idle_seconds
    started = store.clock()
    store.clock = lambda: started + idle - 1
    assert web.get("/court/search").status_code == 200  # used within the timeout: still signed in
    store.clock = lambda: started + 2 * idle
    assert web.get("/court/search").headers["location"] == "/sign-in"
    assert "You were signed out because you had not used the service" in web.get("/sign-in").text


def test_a_tampered_cookie_is_no_session(web: TestClient) -> None:
    _sign_in(web)
    signed = web.cookies[COOKIE]
    web.cookies.clear()
    web.cookies[COOKIE] = signed[:-4] + ("AAAA" if not signed.endswith("AAAA") else "BBBB")
    assert web.get("/court/search").headers["location"] == "/sign-in"


@pytest.mark.parametrize("sent", [None, "not-the-token"])
def test_a_form_without_the_sessions_csrf_token_is_refused(web: TestClient, sent: str | None) -> None:
    _sign_in(web)
    data = {"police": "CC-1", "purpose": "Hearing", **({"csrf_token": sent} if sent else {})}
    answer = web.post("/court/search", data=data)
    assert answer.status_code == 403 and "This form has expired" in answer.text


def test_the_development_sign_in_is_refused_in_production() -> None:
    with _client(environment="production", session_secret=SECRET, oidc_issuer="http://idp.invalid/",
                 oidc_client_id="cara-web") as client:
        answer = client.post("/sign-in/development", data={"role": "police", "force": "CAMBS"})
        assert answer.status_code == 404
        unreachable = client.get("/sign-in")  # the real sign-in, whose provider cannot be reached here
        assert unreachable.status_code == 503 and "identity provider did not answer" in unreachable.text


@pytest.mark.parametrize("settings", [
    {"environment": "production", "oidc_issuer": "http://idp.invalid/", "oidc_client_id": "cara-web"},
    {"environment": "production", "session_secret": SECRET},
])
def test_production_refuses_the_development_secret_and_a_missing_identity_provider(settings: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        WebSettings(**settings)  # type: ignore[arg-type]


def test_a_service_that_does_not_answer_is_a_503_with_retry_after() -> None:
    with _client(caution_url=f"http://127.0.0.1:{free_port()}") as client:
        _sign_in(client)
        token = _csrf(client.get("/court/search").text)
        answer = client.post("/court/search", data={"csrf_token": token, "police": "CC-1", "purpose": "Hearing"})
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert "Sorry, the service is unavailable" in answer.text


def test_an_unknown_page_is_a_404_page_not_a_stack_trace(web: TestClient) -> None:
    answer = web.get("/nowhere")
    assert answer.status_code == 404 and "Page not found" in answer.text
    assert answer.headers["cache-control"] == "no-store"


def test_a_page_for_another_role_is_forbidden(web: TestClient) -> None:
    _sign_in(web, "provider")
    answer = web.get("/court/search")
    assert answer.status_code == 403 and "You cannot see this page" in answer.text


@pytest.mark.parametrize("path,heading", [("/accessibility", "Accessibility statement for CARA compliance"),
                                          ("/cookies", "Cookies")])
def test_the_accessibility_statement_and_cookies_pages_are_linked_from_every_page(web: TestClient, path: str,
                                                                                  heading: str) -> None:
    assert f'href="{path}"' in web.get("/").text
    assert heading in web.get(path).text


def test_probes_and_assets_make_no_sessions(web: TestClient) -> None:
    store = web.app.state.sessions  # type: ignore[attr-defined]
    before = len(store)
    for path in ("/livez", "/metrics", "/static/app.css", "/assets/images/favicon.ico"):
        answer = web.get(path)
        assert answer.status_code == 200 and "set-cookie" not in answer.headers, path
    assert len(store) == before


def test_metrics_count_pages_by_route_template_and_the_sessions_held(web: TestClient) -> None:
    _sign_in(web)
    web.get("/court/cautions/not-an-id")
    metrics = web.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/court/cautions/{caution_id}",status="404"} 1.0' in metrics
    assert "not-an-id" not in metrics
    assert "cara_web_sessions 1.0" in metrics
