"""The notification service reads the feed with tokens it asks the identity provider for (OAuth 2.0 client
credentials), from a real token endpoint the tests run, against a real caution service."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest

from services.notification_service.config import Settings
from services.notification_service.consumer import FeedConsumer
from services.notification_service.feed_auth import ClientCredentials, TokenError
from services.notification_service.main import feed_token
from services.notification_service.store import NotificationStore
from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, Role, TokenVerifier, mint_token
from shared.keyring import MasterKeys
from tests.json_server import Answer, Asked, JsonServer
from tests.notification_service.integration.test_notify_consumer import (  # noqa: F401 (fixtures)
    Caution,
    caution_app,
    caution_server,
    notify_settings,
    store,
)
from tests.service_processes import ThreadedUvicorn, free_port

CLIENT_ID, CLIENT_SECRET = "notification-service", "client-secret-that-must-never-be-logged"


@dataclass
class TokenEndpoint:
    """A client-credentials token endpoint: checks the client's Basic credentials and the grant, and mints
    subscriber tokens for force "*" that live `ttl` seconds. `signing_key` can be set to a wrong one."""

    ttl: int = 300
    signing_key: str = DEV_JWT_SECRET
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = JsonServer(self._answer)
        self.url = self.server.url("/oauth2/token")

    def _answer(self, asked: Asked) -> Answer:
        form = {k: v[0] for k, v in parse_qs(asked.body.decode()).items()}
        basic = asked.headers.get("authorization", "").removeprefix("Basic ")
        client = base64.b64decode(basic).decode() if basic else ""
        self.requests.append({"form": form, "client": client})
        if client != f"{CLIENT_ID}:{CLIENT_SECRET}":
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        token = mint_token(self.signing_key, role=Role.SUBSCRIBER, force="*", issuer=DEFAULT_ISSUER,
                           audience=DEFAULT_AUDIENCE, subject=CLIENT_ID, ttl_seconds=self.ttl)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl}

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def endpoint() -> Any:
    running = TokenEndpoint()
    yield running
    running.stop()


def test_a_token_is_asked_for_once_and_renewed_before_it_expires(endpoint: TokenEndpoint) -> None:
    now = [1000.0]
    tokens = ClientCredentials(endpoint.url, CLIENT_ID, CLIENT_SECRET, "cara.feed", clock=lambda: now[0])
    first = tokens()
    principal = TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE).verify(first)
    assert (principal.role, principal.force) == (Role.SUBSCRIBER, "*")
    assert endpoint.requests == [{"form": {"grant_type": "client_credentials", "scope": "cara.feed"},
                                  "client": f"{CLIENT_ID}:{CLIENT_SECRET}"}]
    now[0] += 239  # 300 s tokens are renewed 60 s before they run out
    assert tokens() == first and len(endpoint.requests) == 1
    now[0] += 1
    tokens()
    assert len(endpoint.requests) == 2 and tokens.fetched == 2
    tokens.invalidate()
    tokens()
    assert len(endpoint.requests) == 3


def test_refused_credentials_are_a_clear_error_that_never_shows_the_secret(endpoint: TokenEndpoint) -> None:
    wrong = "not-the-secret-either-and-never-logged"
    with pytest.raises(TokenError) as refused:
        ClientCredentials(endpoint.url, CLIENT_ID, wrong)()
    assert str(refused.value) == f"the token endpoint refused client '{CLIENT_ID}': HTTP 401 invalid_client"
    with pytest.raises(TokenError) as unreachable:
        ClientCredentials(f"http://127.0.0.1:{free_port()}/token", CLIENT_ID, CLIENT_SECRET)()
    assert "could not be reached (ConnectError)" in str(unreachable.value)
    assert wrong not in str(refused.value) and CLIENT_SECRET not in str(unreachable.value)


def test_the_consumer_keeps_reading_the_feed_as_its_tokens_expire_and_are_revoked(
    caution_server: ThreadedUvicorn, store: NotificationStore, tmp_path: Any  # noqa: F811 (the fixtures imported above)
) -> None:
    endpoint = TokenEndpoint(ttl=2, signing_key="a-key-the-caution-service-does-not-trust-0123")
    try:
        settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/unused.sqlite3",
                            feed_token_url=endpoint.url, feed_client_id=CLIENT_ID, feed_client_secret=CLIENT_SECRET)
        tokens = feed_token(settings)
        assert isinstance(tokens, ClientCredentials)
        consumer = FeedConsumer(store, caution_server.url, tokens, 0.2)
        Caution(caution_server.url)
        with pytest.raises(Exception, match="401"):
            consumer.poll_once(wait=0)  # the first token is one the caution service rejects
        endpoint.signing_key = DEV_JWT_SECRET
        assert consumer.poll_once(wait=0) == 1  # the 401 made it ask for a new token at once
        assert len(endpoint.requests) == 2
        for _ in range(3):  # 2 s tokens, renewed after 1 s
            threading.Event().wait(1.1)
            Caution(caution_server.url)
            assert consumer.poll_once(wait=0) == 1
        assert len(endpoint.requests) >= 4 and store.position() == 4
    finally:
        endpoint.stop()


MASTER = MasterKeys.generate("2026-12")
IDP_KEY: dict[str, Any] = {"jwt_public_key": "-----BEGIN PUBLIC KEY-----", "jwt_algorithms": ["RS256"]}


def test_production_needs_its_own_master_keys_for_webhook_secrets() -> None:
    with pytest.raises(ValueError, match="CARA_NOTIFY_MASTER_KEYS"):
        Settings(environment="production", **IDP_KEY, feed_token="fixed")


@pytest.mark.parametrize("given,problem", [
    ({"feed_token_url": "https://idp.example/token"}, "need CARA_NOTIFY_FEED_TOKEN_URL"),
    ({"feed_token_url": "https://idp.example/token", "feed_client_id": "x", "feed_client_secret": "y",
      "feed_token": "z"}, "not both"),
    ({}, "production needs client credentials"),
    ({"source": "nats"}, "also fills gaps when events come through NATS"),  # the gap filler reads the feed
])
def test_production_refuses_half_given_or_missing_feed_credentials(given: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Settings(environment="production", **IDP_KEY, master_keys=MASTER, **given)


def test_a_fixed_feed_token_is_still_accepted() -> None:
    settings = Settings(environment="production", **IDP_KEY, feed_token="fixed",
                        master_keys=MASTER)
    assert feed_token(settings)() == "fixed"
    assert "fixed" not in repr(settings)
