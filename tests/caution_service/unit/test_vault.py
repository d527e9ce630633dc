"""The victim vault: what it seals opens only under the same key, and earlier (Fernet) seals still open."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet

from services.caution_service.config import DEV_VAULT_KEY
from services.caution_service.vault import GCM_PREFIX, VaultKeyMismatch, VictimVault

DETAILS = {"name": "Jane Example", "phone": "07700 900123", "notes": "Prefers calls after 6pm; «safe word» ok"}


def test_a_seal_opens_to_the_details_and_does_not_show_them() -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    sealed = vault.seal(DETAILS)
    assert sealed is not None and sealed.startswith(GCM_PREFIX)
    assert "Jane" not in sealed and "07700" not in sealed
    assert vault.open(sealed) == DETAILS


def test_the_same_details_sealed_twice_differ() -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    assert vault.seal(DETAILS) != vault.seal(DETAILS)  # a fresh nonce each time


def test_nothing_to_seal_stays_none() -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    assert vault.seal(None) is None and vault.seal({}) is None and vault.open(None) is None


def test_a_seal_made_with_fernet_before_still_opens() -> None:
    old = Fernet(DEV_VAULT_KEY.encode()).encrypt(b'{"name":"Jane Example"}').decode()
    assert VictimVault(DEV_VAULT_KEY).open(old) == {"name": "Jane Example"}


def test_another_key_cannot_open_either_kind_of_seal() -> None:
    other = VictimVault(Fernet.generate_key().decode())
    vault = VictimVault(DEV_VAULT_KEY)
    for sealed in (vault.seal(DETAILS), Fernet(DEV_VAULT_KEY.encode()).encrypt(b"{}").decode()):
        with pytest.raises(VaultKeyMismatch):
            other.open(sealed)


@pytest.mark.parametrize("damage", [
    lambda s: s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1],  # a changed byte of the tag
    lambda s: s[: len(s) // 2],  # cut short
    lambda s: s + "!!",  # not base64
])
def test_a_damaged_seal_is_refused_not_misread(damage: Callable[[str], str]) -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    with pytest.raises(VaultKeyMismatch):
        sealed = vault.seal(DETAILS)
        assert sealed is not None
        vault.open(damage(sealed))
