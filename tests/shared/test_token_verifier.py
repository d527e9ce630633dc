"""The verifier remembers tokens that passed, but never past their expiry, and never unboundedly."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, InvalidToken, Role, TokenVerifier, mint_token


def _verifier(cache_size: int = 4096) -> TokenVerifier:
    return TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE, cache_size=cache_size)


def _token(ttl: int = 3600, subject: str = "pc-1") -> str:
    return mint_token(DEV_JWT_SECRET, role=Role.POLICE, force="CAMBS", issuer=DEFAULT_ISSUER,
                      audience=DEFAULT_AUDIENCE, subject=subject, ttl_seconds=ttl)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)  # the module shared.auth calls
    return calls


def test_a_token_that_passed_is_not_checked_again(decodes: list[str]) -> None:
    verifier, token = _verifier(), _token()
    first = verifier.verify(token)
    assert verifier.verify(token) == first
    assert first.id == "pc-1" and first.role is Role.POLICE and first.force == "CAMBS"
    assert len(decodes) == 1


def test_a_remembered_token_is_refused_once_it_expires(decodes: list[str]) -> None:
    verifier, token = _verifier(), _token(ttl=1)
    verifier.verify(token)
    time.sleep(1.6)
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)
    assert len(decodes) == 2


def test_a_refused_token_is_not_remembered(decodes: list[str]) -> None:
    verifier = _verifier()
    forged = _token()[:-4] + "AAAA"
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(forged)
    assert len(decodes) == 2


def test_the_memory_is_bounded_and_forgets_the_oldest(decodes: list[str]) -> None:
    verifier = _verifier(cache_size=2)
    tokens = [_token(subject=f"pc-{n}") for n in range(3)]
    for token in tokens:
        verifier.verify(token)
    verifier.verify(tokens[2])  # still remembered
    verifier.verify(tokens[0])  # forgotten: checked again
    assert decodes == [tokens[0], tokens[1], tokens[2], tokens[0]]


def _signed(**claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "pc-1", "cara_role": "police", "cara_force": "CAMBS", "iss": DEFAULT_ISSUER,
            "aud": DEFAULT_AUDIENCE, "iat": now, "exp": now + 3600, **claims}
    return jwt.encode({k: v for k, v in base.items() if v is not None}, DEV_JWT_SECRET, algorithm="HS256")


def test_a_token_older_than_the_maximum_age_is_refused_whatever_its_expiry() -> None:
    verifier = TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE, max_age_seconds=3600,
                             leeway_seconds=30)
    now = int(time.time())
    ten_years = now + 10 * 365 * 86400
    with pytest.raises(InvalidToken, match="more than 3600 seconds ago"):
        verifier.verify(_signed(iat=now - 3600 - 31, exp=ten_years))
    assert verifier.verify(_signed(iat=now - 3600 + 5, exp=ten_years)).id == "pc-1"  # within the leeway
    with pytest.raises(InvalidToken, match="not yet valid"):  # issued in the future, past the leeway
        verifier.verify(_signed(iat=now + 120))
    assert verifier.verify(_signed(iat=now + 20, sub="pc-2")).id == "pc-2"  # a clock a little ahead


def test_a_remembered_token_is_refused_once_it_reaches_the_maximum_age(decodes: list[str]) -> None:
    verifier = TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE, max_age_seconds=60)
    token = _signed(iat=int(time.time()) - 59, exp=int(time.time()) + 3600)
    verifier.verify(token)
    time.sleep(1.6)
    with pytest.raises(InvalidToken, match="more than 60 seconds ago"):
        verifier.verify(token)
    assert len(decodes) == 2


def test_iat_is_required_only_where_asked_for() -> None:
    no_iat = _signed(iat=None, exp=int(time.time()) + 10 * 365 * 86400)
    assert _verifier().verify(no_iat).id == "pc-1"
    strict = TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE, require_iat=True,
                           max_age_seconds=43200)
    with pytest.raises(InvalidToken, match="iat"):
        strict.verify(no_iat)
    assert strict.verify(_token()).id == "pc-1"  # the development tokens carry one


@pytest.mark.parametrize(("claims", "national"), [
    ({"sub": "feed-1"}, True),
    ({"sub": "opaque-7", "client_id": "feed-1"}, True),
    ({"sub": "opaque-7", "azp": "feed-1"}, True),
    ({"sub": "someone-else"}, False),
    ({"sub": "feed-1", "cara_role": "admin"}, False),
    ({"sub": "feed-1", "cara_role": "police"}, False),
    ({"sub": "feed-1", "cara_force": "CAMBS"}, False),
    ({"sub": "opaque-7", "client_id": ["feed-1"]}, False),
])
def test_national_scope_is_granted_to_a_listed_subscriber_for_every_force_only(
    claims: dict[str, Any], national: bool
) -> None:
    verifier = TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE,
                             national_subscribers=["feed-1"])
    principal = verifier.verify(_signed(**{"cara_role": "subscriber", "cara_force": "*", **claims}))
    assert principal.national is national
