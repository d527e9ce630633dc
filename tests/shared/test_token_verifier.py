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
