"""Which tokens production takes (issue 16 item 4): no shared-secret (HS*) algorithms unless the settings say why,
`iat` required, and no token older than the maximum age, whatever its `exp`; over HTTP where a request shows it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.caution_service.config import Settings as CautionSettings
from services.caution_service.main import create_app
from services.caution_service.signing import development_pair
from services.notification_service.config import Settings as NotifySettings
from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, FORCE_CLAIM, ROLE_CLAIM, Role, mint_token
from shared.keyring import MasterKeys
from tests.support import FakeClock

PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = PRIVATE.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
SHARED_SECRET = "a-production-shared-secret-0123456789"
TEN_YEARS = 10 * 365 * 86400


def _production(tmp_path: Path, **given: Any) -> CautionSettings:
    key, chain = development_pair()  # production's API starts only with a certificate signing pair (signing.py)
    (tmp_path / "signing-key.pem").write_bytes(key)
    (tmp_path / "signing-chain.pem").write_bytes(chain)
    return CautionSettings(**{
        "environment": "production", "database_url": f"sqlite:///{tmp_path}/c.sqlite3", "run_projections": False,
        "vault_key": Fernet.generate_key().decode(), "master_keys": MasterKeys.generate("2026-12"),
        "national_subscribers": [], "national_commissioners": [], "jwt_public_key": PUBLIC_PEM,
        "jwt_algorithms": ["RS256"],
        "certificate_signing_key_file": str(tmp_path / "signing-key.pem"),
        "certificate_signing_chain_file": str(tmp_path / "signing-chain.pem"), **given})


def _idp_token(**claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "pc-1", ROLE_CLAIM: "police", FORCE_CLAIM: "CAMBS", "iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE,
            "iat": now, "exp": now + 3600, **claims}
    return jwt.encode({k: v for k, v in base.items() if v is not None}, PRIVATE, algorithm="RS256")


@pytest.fixture
def production(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_production(tmp_path), FakeClock()), raise_server_exceptions=False) as client:
        yield client


def _list(client: TestClient, token: str) -> Any:
    return client.get("/v1/cautions", headers={"Authorization": f"Bearer {token}", "X-Purpose": "a check"})


def test_production_refuses_a_ten_year_token_without_iat(production: TestClient) -> None:
    refused = _list(production, _idp_token(iat=None, exp=int(time.time()) + TEN_YEARS))
    assert refused.status_code == 401 and "iat" in refused.json()["detail"], refused.text
    assert _list(production, _idp_token()).status_code == 200  # the same key, with an iat


def test_production_refuses_a_token_older_than_the_maximum_age(production: TestClient) -> None:
    thirteen_hours_ago = int(time.time()) - 13 * 3600
    refused = _list(production, _idp_token(iat=thirteen_hours_ago, exp=int(time.time()) + TEN_YEARS))
    assert refused.status_code == 401 and "43200 seconds" in refused.json()["detail"], refused.text
    assert _list(production, _idp_token(iat=int(time.time()) - 11 * 3600)).status_code == 200


def test_development_refuses_tokens_older_than_the_maximum_age_too(client: TestClient) -> None:
    old = jwt.encode({"sub": "pc-1", ROLE_CLAIM: "police", FORCE_CLAIM: "CAMBS", "iss": DEFAULT_ISSUER,
                      "aud": DEFAULT_AUDIENCE, "iat": int(time.time()) - 13 * 3600,
                      "exp": int(time.time()) + TEN_YEARS}, DEV_JWT_SECRET, algorithm="HS256")
    assert _list(client, old).status_code == 401


@pytest.mark.parametrize("algorithms", [["HS256"], ["RS256", "HS512"]])
def test_production_refuses_shared_secret_algorithms_unless_told_why(tmp_path: Path, algorithms: list[str]) -> None:
    with pytest.raises(ValidationError, match="CARA_JWT_ALLOW_SHARED_SECRET_REASON"):
        _production(tmp_path, jwt_public_key=None, jwt_secret=SHARED_SECRET, jwt_algorithms=algorithms)
    with pytest.raises(ValidationError, match="CARA_JWT_ALLOW_SHARED_SECRET_REASON"):
        _production(tmp_path, jwt_public_key=None, jwt_secret=SHARED_SECRET, jwt_algorithms=algorithms,
                    jwt_allow_shared_secret_reason="  ")
    with pytest.raises(ValidationError, match="CARA_NOTIFY_JWT_ALLOW_SHARED_SECRET_REASON"):
        NotifySettings(environment="production", jwt_secret=SHARED_SECRET, jwt_algorithms=algorithms,
                       master_keys=MasterKeys.generate("2026-12"), feed_token="fixed")


def test_a_named_reason_lets_production_take_shared_secret_tokens_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reason = "air-gapped force network, no identity provider until 2027 (risk RA-112)"
    settings = _production(tmp_path, jwt_public_key=None, jwt_secret=SHARED_SECRET, jwt_algorithms=["HS256"],
                           jwt_allow_shared_secret_reason=reason)
    with caplog.at_level(logging.WARNING, logger="cara.settings"), \
            TestClient(create_app(settings, FakeClock()), raise_server_exceptions=False) as client:
        token = mint_token(SHARED_SECRET, role=Role.POLICE, force="CAMBS", issuer=DEFAULT_ISSUER,
                           audience=DEFAULT_AUDIENCE)
        assert _list(client, token).status_code == 200
    assert any(reason in record.getMessage() for record in caplog.records)


def test_development_and_test_keep_the_shared_development_key() -> None:
    for settings in (CautionSettings(), CautionSettings(environment="test"), NotifySettings()):
        assert settings.jwt_algorithms == ["HS256"] and settings.jwt_allow_shared_secret_reason is None
