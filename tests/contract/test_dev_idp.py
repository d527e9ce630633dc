"""The development identity provider compose starts (shared/dev_idp.py), over real HTTP: the caution service, set
up as compose sets it up, accepts the tokens it mints; the notification service's client gets its feed tokens from
it; and it will not start in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from services.notification_service.feed_auth import ClientCredentials
from tests.service_processes import CautionProcess, free_port, wait_until
from tests.support import caution_payload

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = {"notification-service": {"secret": "notify-client-dev", "role": "subscriber", "force": "*"}}


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def idp() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_DEV_IDP_ISSUER": f"{url}/",
           "CARA_DEV_IDP_CLIENTS": json.dumps(CLIENTS)}
    env.pop("CARA_ENVIRONMENT", None)
    process = subprocess.Popen([sys.executable, "-m", "shared.dev_idp", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"{url}/.well-known/jwks.json"), what="the identity provider to listen")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_caution_service_accepts_its_tokens_through_its_jwks(idp: str, tmp_path: Path) -> None:
    service = CautionProcess.on_sqlite(tmp_path / "c.sqlite3", tmp_path / "caution.log",
                                       CARA_JWT_JWKS_URL=f"{idp}/.well-known/jwks.json",
                                       CARA_JWT_ALGORITHMS='["RS256"]', CARA_JWT_ISSUER=f"{idp}/",
                                       CARA_JWT_AUDIENCE="cara")
    try:
        service.start()
        token = httpx.get(f"{idp}/token", params={"role": "police", "force": "CAMBS"}, timeout=5).text
        issued = httpx.post(f"{service.url}/v1/cautions", json=caution_payload(),
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert issued.status_code == 201, issued.text
        claims = jwt.decode(token, options={"verify_signature": False})
        forged = jwt.encode(claims, "a-guessed-secret-of-thirty-two-bytes")
        refused = httpx.post(f"{service.url}/v1/cautions", json=caution_payload(),
                             headers={"Authorization": f"Bearer {forged}"}, timeout=10)
        assert refused.status_code == 401
    finally:
        service.stop()
    assert httpx.get(f"{idp}/token", params={"role": "emperor", "force": "CAMBS"}, timeout=5).status_code == 400


def test_the_notification_service_client_gets_feed_tokens_and_no_one_else(idp: str) -> None:
    token = ClientCredentials(f"{idp}/oauth2/token", "notification-service", "notify-client-dev", None)()
    keys = jwt.PyJWKSet.from_dict(httpx.get(f"{idp}/.well-known/jwks.json", timeout=5).json())
    claims = jwt.decode(token, keys.keys[0].key, algorithms=["RS256"], audience="cara", issuer=f"{idp}/")
    assert claims["cara_role"] == "subscriber" and claims["cara_force"] == "*" and claims["iat"] <= claims["exp"]
    wrong = httpx.post(f"{idp}/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=("notification-service", "guessed"), timeout=5)
    assert wrong.status_code == 401


def test_it_refuses_to_start_in_production() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_ENVIRONMENT": "production"}
    done = subprocess.run([sys.executable, "-m", "shared.dev_idp", "--port", str(free_port())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "refuses to start" in done.stderr
