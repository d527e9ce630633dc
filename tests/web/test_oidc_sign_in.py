"""Signing in to the web application through an OpenID Connect provider the test starts (shared/dev_idp.py run as a
process): authorization code with PKCE, the ID token checked, and the access token the services then accept,
as a force's identity provider would be used in production."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.service_processes import ROOT, CautionProcess, WebProcess, free_port, wait_until
from tests.support import caution_payload
from tests.web.browser import Journey

CLIENT_ID = "cara-web"


@dataclass
class OidcStack:
    idp: str
    caution: CautionProcess
    web: WebProcess


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcStack]:
    directory = tmp_path_factory.mktemp("oidc")
    idp_port, web_port = free_port(), free_port()
    idp = f"http://127.0.0.1:{idp_port}"
    clients = {CLIENT_ID: {"redirect_uris": [f"http://127.0.0.1:{web_port}/sign-in/callback"],
                           "post_logout_redirect_uris": [f"http://127.0.0.1:{web_port}/signed-out"]}}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_DEV_IDP_ISSUER": f"{idp}/",
           "CARA_DEV_IDP_WEB_CLIENTS": json.dumps(clients)}
    env.pop("CARA_ENVIRONMENT", None)
    provider = subprocess.Popen([sys.executable, "-m", "shared.dev_idp", "--port", str(idp_port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caution = CautionProcess.on_sqlite(directory / "c.sqlite3", directory / "caution.log",
                                       CARA_JWT_JWKS_URL=f"{idp}/.well-known/jwks.json",
                                       CARA_JWT_ALGORITHMS='["RS256"]', CARA_JWT_ISSUER=f"{idp}/",
                                       CARA_JWT_AUDIENCE="cara")
    web = WebProcess({"CARA_WEB_ENVIRONMENT": "test", "CARA_WEB_OIDC_ISSUER": f"{idp}/",
                      "CARA_WEB_OIDC_CLIENT_ID": CLIENT_ID}, directory / "web.log")
    try:
        wait_until(lambda: _answers(f"{idp}/.well-known/openid-configuration"), what="the identity provider")
        caution.start()
        web.env["CARA_WEB_CAUTION_URL"] = caution.url
        web.start(port=web_port)
        yield OidcStack(idp, caution, web)
    finally:
        web.stop()
        caution.stop()
        provider.terminate()
        provider.wait(timeout=10)


def _idp_token(oidc: OidcStack, role: str) -> str:
    return httpx.get(f"{oidc.idp}/token", params={"role": role, "force": "CAMBS"}, timeout=5).text


def test_court_liaison_signs_in_at_the_identity_provider_and_reads_a_caution(oidc: OidcStack,
                                                                             journey: Journey) -> None:
    issued = httpx.post(f"{oidc.caution.url}/v1/cautions", json=caution_payload(),
                        headers={"Authorization": f"Bearer {_idp_token(oidc, 'police')}"}, timeout=10)
    assert issued.status_code == 201, issued.text
    page = journey.page
    page.goto(oidc.web.url + "/")
    journey.look("start")
    page.get_by_role("button", name="Sign in").click()

    assert page.url.startswith(f"{oidc.idp}/authorize?")
    assert "code_challenge_method=S256" in page.url and "nonce=" in page.url
    page.get_by_label("Role").select_option("court")
    page.get_by_label("Force").select_option("CAMBS")
    page.get_by_label("Name").fill("Casey Liaison")
    page.get_by_role("button", name="Continue").click()

    assert page.url == f"{oidc.web.url}/court/search"
    journey.look("signed-in")
    assert "Signed in as Casey Liaison (Court, CAMBS)" in journey.text(), journey.text()[:600]
    page.get_by_label("Police reference", exact=True).fill(issued.json()["police_reference"])
    wait_until(lambda: httpx.get(f"{oidc.caution.url}/v1/cautions", params={
        "police_reference": issued.json()["police_reference"]}, headers={
        "Authorization": f"Bearer {_idp_token(oidc, 'court')}"}, timeout=5).json()["items"], what="the read model")
    page.get_by_role("button", name="Find").click()
    assert f"/court/cautions/{issued.json()['id']}" in page.url


def test_signing_out_signs_out_at_the_identity_provider_too(oidc: OidcStack, journey: Journey) -> None:
    documents: list[str] = []  # every address the browser asked for a page at, redirects included
    page = journey.page
    page.on("request", lambda request: documents.append(request.url) if request.is_navigation_request() else None)
    page.goto(oidc.web.url + "/sign-in")
    page.get_by_label("Role").select_option("provider")
    page.get_by_label("Force").select_option("CAMBS")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{oidc.web.url}/provider/sessions")
    assert journey.last_response is not None
    assert f"form-action 'self' {oidc.idp}" in journey.last_response.headers["content-security-policy"]
    documents.clear()
    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url(f"{oidc.web.url}/signed-out")
    journey.look("signed-out")
    logout = [url for url in documents if url.startswith(f"{oidc.idp}/logout?")]
    assert logout and "client_id=cara-web" in logout[0] and "id_token" not in logout[0]
    assert "You have signed out" in journey.text()
    page.goto(oidc.web.url + "/provider/sessions")
    assert page.url.startswith(f"{oidc.idp}/authorize?")  # signed out here: sent to sign in


def test_the_development_sign_in_does_not_exist_beside_a_real_identity_provider(oidc: OidcStack) -> None:
    with httpx.Client(base_url=oidc.web.url) as browser:
        start = browser.get("/sign-in")
        assert start.status_code == 302 and start.headers["location"].startswith(f"{oidc.idp}/authorize?")
        refused = browser.post("/sign-in/development", data={"role": "police", "force": "CAMBS"})
        assert refused.status_code == 404


def test_a_callback_with_a_forged_state_signs_no_one_in(oidc: OidcStack, journey: Journey) -> None:
    page = journey.page
    page.goto(oidc.web.url + "/sign-in")  # the web application has sent the browser to the provider
    page.goto(oidc.web.url + "/sign-in/callback?code=stolen&state=forged")

    journey.look("sign-in-failed")
    assert "You could not be signed in" in journey.text()
    page.goto(oidc.web.url + "/court/search")
    assert page.url.startswith(f"{oidc.idp}/authorize?")  # still signed out: sent to sign in


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def test_the_provider_gives_tokens_only_for_the_pkce_verifier_and_only_once(oidc: OidcStack) -> None:
    redirect_uri = f"{oidc.web.url}/sign-in/callback"
    verifier = "v" * 64
    request = {"client_id": CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid",
               "state": "s1", "code_challenge": _challenge(verifier), "code_challenge_method": "S256"}
    without_pkce = {k: v for k, v in request.items() if not k.startswith("code_challenge")}
    assert httpx.get(f"{oidc.idp}/authorize", params=without_pkce, timeout=5).status_code == 400

    def code() -> str:
        answer = httpx.post(f"{oidc.idp}/authorize", data={**request, "role": "police", "force": "CAMBS"}, timeout=5)
        assert answer.status_code == 303
        return str(httpx.URL(answer.headers["location"]).params["code"])

    def exchange(code: str, sent_verifier: str) -> httpx.Response:
        return httpx.post(f"{oidc.idp}/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": CLIENT_ID,
            "code_verifier": sent_verifier}, timeout=5)

    assert exchange(code(), "w" * 64).json()["error"] == "invalid_grant"
    first = code()
    tokens = exchange(first, verifier)
    assert tokens.status_code == 200 and {"access_token", "id_token"} <= tokens.json().keys()
    assert exchange(first, verifier).json()["error"] == "invalid_grant"  # a code is good once


