"""The token's display claims (name; for police rank and collar number), read into the Principal so each event
records who, by name, recorded it: optional, one line of text, bounded; a claim unfit to print refuses the token
(issue 17 item 7). The development token tools add them."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import jwt
import pytest

from shared.auth import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    DEV_JWT_SECRET,
    InvalidToken,
    Principal,
    Role,
    TokenVerifier,
    mint_token,
)
from shared.dev_idp import person_display


def _verify(role: Role = Role.POLICE, **display: Any) -> Principal:
    token = mint_token(DEV_JWT_SECRET, role=role, force="CAMBS", issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE,
                       subject="pc-1", display=display)
    return TokenVerifier(DEV_JWT_SECRET, ["HS256"], DEFAULT_ISSUER, DEFAULT_AUDIENCE).verify(token)


def test_the_display_claims_are_read_into_the_principal() -> None:
    p = _verify(name="Jo Bloggs", rank="Sergeant", collar_number="4471")
    assert (p.id, p.name, p.rank, p.collar_number) == ("pc-1", "Jo Bloggs", "Sergeant", "4471")


def test_they_are_optional_and_an_empty_one_counts_as_absent() -> None:
    assert _verify() == Principal("pc-1", Role.POLICE, "CAMBS")
    p = _verify(name="  ", rank="", collar_number=" 4471 ")
    assert (p.name, p.rank, p.collar_number) == (None, None, "4471")


def test_a_name_is_kept_in_one_normal_form() -> None:
    assert _verify(name="Zoe\u0301 Ćosić").name == "Zoé Ćosić"  # NFC: e + combining acute is é


@pytest.mark.parametrize("claim, value, why", [
    ("name", "Jo\nBloggs", "control character"),
    ("name", "Jo \u202eBloggs", "bidirectional"),
    ("rank", "Sergeant\x00", "control character"),
    ("name", "J" * 201, "at most 200"),
    ("rank", "R" * 65, "at most 64"),
    ("collar_number", "1" * 33, "at most 32"),
    ("collar_number", 4471, "must be text"),
    ("name", ["Jo"], "must be text"),
])
def test_a_claim_unfit_to_print_refuses_the_token_naming_it(claim: str, value: Any, why: str) -> None:
    with pytest.raises(InvalidToken, match=f"the {claim} claim.*{why}"):
        _verify(**{claim: value})


def test_the_longest_claims_allowed_are_taken() -> None:
    p = _verify(name="J" * 200, rank="R" * 64, collar_number="1" * 32)
    assert (len(p.name or ""), len(p.rank or ""), len(p.collar_number or "")) == (200, 64, 32)


def _claims_of_cli_token(*args: str) -> dict[str, Any]:
    printed = subprocess.run([sys.executable, "-m", "shared.token_cli", *args], capture_output=True, text=True,
                             check=True).stdout.strip()
    return jwt.decode(printed, options={"verify_signature": False})


def test_make_token_gives_police_a_development_name_rank_and_collar_number_unless_told() -> None:
    claims = _claims_of_cli_token("--role", "police", "--force", "CAMBS")
    assert (claims["name"], claims["rank"], claims["collar_number"]) == ("Dev Officer", "PC", "1234")
    claims = _claims_of_cli_token("--role", "police", "--force", "CAMBS", "--name", "Jo Bloggs", "--rank", "",
                                  "--collar-number", "4471")
    assert (claims["name"], claims.get("rank"), claims["collar_number"]) == ("Jo Bloggs", None, "4471")
    assert "name" not in _claims_of_cli_token("--role", "court", "--force", "CAMBS")


def test_the_development_identity_provider_does_the_same() -> None:
    assert person_display({"role": "police"}) == {"name": "Dev Officer", "rank": "PC", "collar_number": "1234"}
    assert person_display({"role": "police", "name": "Jo Bloggs", "collar_number": ""}) == {
        "name": "Jo Bloggs", "rank": "PC"}
    assert person_display({"role": "provider"}) == {"name": "Dev Facilitator"}
    assert person_display({"role": "nobody"}) == {}
