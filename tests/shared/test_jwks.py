"""Tokens verified with the identity provider's published keys (JWKS), fetched from a real HTTP server the
tests run: rotation, the provider being down, and keys that must not be accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.notification_service.config import Settings as NotifySettings
from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, FORCE_CLAIM, ROLE_CLAIM
from shared.jwks import JwksKeys
from tests.caution_fixtures import assert_problem
from tests.json_server import Answer, Asked, JsonServer
from tests.support import FakeClock, app_state


@dataclass
class SigningKey:
    kid: str
    private: Any
    algorithm: str

    @classmethod
    def rsa(cls) -> SigningKey:
        return cls(uuid.uuid4().hex[:8], rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")

    @classmethod
    def ec(cls) -> SigningKey:
        return cls(uuid.uuid4().hex[:8], ec.generate_private_key(ec.SECP256R1()), "ES256")

    def jwk(self) -> dict[str, Any]:
        to_jwk = RSAAlgorithm.to_jwk if self.algorithm == "RS256" else ECAlgorithm.to_jwk
        return {**to_jwk(self.private.public_key(), as_dict=True), "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def token(self, role: str = "police", force: str = "CAMBS", kid: str | None = None) -> str:
        claims = {"sub": f"{role}-1", ROLE_CLAIM: role, FORCE_CLAIM: force, "iss": DEFAULT_ISSUER,
                  "aud": DEFAULT_AUDIENCE, "exp": int(time.time()) + 600}
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": kid or self.kid})


@dataclass
class IdentityProvider:
    """Serves a JWKS document of `published` keys; `up = False` makes it answer 503."""

    published: list[SigningKey] = field(default_factory=list)
    up: bool = True
    fetched: int = 0

    def __post_init__(self) -> None:
        self.server = JsonServer(self._answer)
        self.url = self.server.url("/.well-known/jwks.json")

    def _answer(self, asked: Asked) -> Answer:
        if not self.up:
            return 503, None
        self.fetched += 1
        return 200, {"keys": [key.jwk() for key in self.published]}

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider([SigningKey.rsa()])
    yield provider
    provider.stop()


@pytest.fixture
def client(idp: IdentityProvider, tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3", run_projections=False,
                        jwt_jwks_url=idp.url, jwt_algorithms=["RS256", "ES256"], jwt_jwks_min_refetch_seconds=0.2)
    with TestClient(create_app(settings, FakeClock())) as running:
        _wait_for(lambda: running.get("/readyz").status_code == 200, "the keys to load")
        yield running


def _wait_for(condition: Any, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _keys(client: TestClient) -> JwksKeys:
    keys = app_state(client).verifier.key_set
    assert keys is not None
    return keys


def _hs256_signed_with(secret: bytes, kid: str) -> str:
    """What an attacker builds from a published public key: PyJWT itself refuses to sign it."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"sub": "x", ROLE_CLAIM: "police", FORCE_CLAIM: "CAMBS", "iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE,
              "exp": int(time.time()) + 600}
    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{part(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _list(client: TestClient, token: str) -> Any:
    return client.get("/v1/cautions", headers={"Authorization": f"Bearer {token}"})


def test_a_token_signed_with_a_published_key_is_accepted_and_others_are_not(
    client: TestClient, idp: IdentityProvider
) -> None:
    (key,) = idp.published
    assert _list(client, key.token()).status_code == 200
    stranger = SigningKey.rsa()
    refused = assert_problem(_list(client, stranger.token(kid=key.kid)), 401)  # a published kid, a forged signature
    assert "Signature verification failed" in refused["detail"]
    public_pem = key.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    confused = assert_problem(_list(client, _hs256_signed_with(public_pem, key.kid)), 401)
    assert confused["detail"] == "The token was refused: The specified alg value is not allowed"


def test_a_rotated_key_is_fetched_when_a_token_first_names_it(client: TestClient, idp: IdentityProvider) -> None:
    old = idp.published[0]
    new = SigningKey.ec()
    early = assert_problem(_list(client, new.token()), 401)  # not published yet
    assert f"no key {new.kid!r}" in early["detail"]
    fetched = idp.fetched
    idp.published.append(new)
    _wait_for(lambda: _list(client, new.token()).status_code == 200, "the new key to be fetched")
    assert idp.fetched > fetched
    assert _list(client, old.token()).status_code == 200
    idp.published.remove(old)  # the provider retires the old key
    _keys(client).refresh()  # its periodic fetch, now
    # A new token signed with the retired key (one already verified stays good until its exp: retiring a key
    # is not revoking its tokens).
    assert f"no key {old.kid!r}" in assert_problem(_list(client, old.token(force="KENT")), 401)["detail"]


def test_keys_already_known_keep_working_while_the_provider_is_down(client: TestClient, idp: IdentityProvider) -> None:
    (key,) = idp.published
    idp.up = False
    with pytest.raises(RuntimeError, match="could not be read"):
        _keys(client).refresh()
    assert _list(client, key.token()).status_code == 200
    assert client.get("/readyz").status_code == 200


def test_until_the_keys_are_loaded_the_service_is_not_ready_and_asks_callers_to_retry(
    idp: IdentityProvider, tmp_path: Any
) -> None:
    idp.up = False
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3", run_projections=False,
                        jwt_jwks_url=idp.url, jwt_algorithms=["RS256"], jwt_jwks_min_refetch_seconds=0.2)
    with TestClient(create_app(settings, FakeClock())) as client:
        _wait_for(lambda: _keys(client).last_error, "the first fetch to fail")
        not_ready = assert_problem(client.get("/readyz"), 503)
        assert "signing keys are not loaded" in not_ready["detail"]
        answer = _list(client, idp.published[0].token())
        assert assert_problem(answer, 503)["type"] == "/problems/keys-unavailable"
        assert answer.headers["retry-after"] == "5"
        idp.up = True  # the provider comes back: the fetch is retried with backoff (1 s, then 2 s ...)
        _wait_for(lambda: client.get("/readyz").status_code == 200, "the keys to load", timeout=15)
        assert _list(client, idp.published[0].token()).status_code == 200


@pytest.mark.parametrize("given,problem", [
    ({"jwt_jwks_url": "https://idp.example/jwks", "jwt_algorithms": ["HS256"]}, "public-key ones"),
    ({"jwt_jwks_url": "https://idp.example/jwks", "jwt_public_key": "PEM", "jwt_algorithms": ["RS256"]}, "not both"),
])
def test_settings_refuse_a_key_set_with_hmac_or_with_a_fixed_key(given: dict[str, Any], problem: str) -> None:
    for settings in (Settings, NotifySettings):
        with pytest.raises(ValueError, match=problem):
            settings(environment="test", **given)
