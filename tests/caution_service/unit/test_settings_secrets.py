"""Production refuses the development secrets; master keys are checked when the settings are read."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.caution_service.config import DEV_MASTER_KEYS, Settings
from shared.keyring import MasterKeys


def production(master_keys: str = DEV_MASTER_KEYS) -> Settings:
    return Settings(environment="production", jwt_public_key="-----BEGIN PUBLIC KEY-----", jwt_algorithms=["RS256"],
                    vault_key=Fernet.generate_key().decode(), master_keys=master_keys,
                    national_subscribers=["notification-service"], national_commissioners=[])


def test_production_needs_its_own_master_keys() -> None:
    with pytest.raises(ValidationError, match="CARA_MASTER_KEYS"):
        production()
    own = MasterKeys.generate("2026-12")
    settings = production(master_keys=own)
    assert settings.master().current == "2026-12"
    assert own.split(":")[1] not in settings.describe()  # never in the start-up log


def test_development_has_a_working_master_key_and_a_malformed_one_is_refused() -> None:
    assert Settings().master_keys == DEV_MASTER_KEYS and Settings().master().current == "dev"
    with pytest.raises(ValidationError, match="base64url|bytes"):
        Settings(master_keys="2026-12:short")
