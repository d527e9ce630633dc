"""Victim details are sealed (encrypted) before they enter an event and opened only for the victim contact role.

Seals are AES-256-GCM under a key derived (HKDF) from the configured vault key, written as
`v2:<base64 of nonce and ciphertext>`. Earlier seals are Fernet tokens under the configured key
itself, and still open. Fernet was a twentieth of an API worker's CPU: every command's answer is
sealed for its Idempotency-Key record, and Fernet pads and authenticates in separate steps in
Python, where GCM is one call into OpenSSL.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

GCM_PREFIX = "v2:"
NONCE_BYTES = 12


def _gcm_key(vault_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"CARA victim vault: AES-256-GCM").derive(base64.urlsafe_b64decode(vault_key))


class VictimVault:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())  # opens seals made before GCM (and checks the key's form)
        self._gcm = AESGCM(_gcm_key(key))

    def seal(self, details: dict[str, Any] | None) -> str | None:
        if not details:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._gcm.encrypt(nonce, orjson.dumps(details, option=orjson.OPT_SORT_KEYS), None)
        return GCM_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str | None) -> dict[str, Any] | None:
        if sealed is None:
            return None
        try:
            if sealed.startswith(GCM_PREFIX):
                raw = base64.b64decode(sealed[len(GCM_PREFIX):], altchars=b"-_", validate=True)
                plain = self._gcm.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
            else:
                plain = self._fernet.decrypt(sealed.encode())
        except (InvalidTag, InvalidToken, ValueError) as e:
            raise VaultKeyMismatch("Victim details cannot be opened with the configured key.") from e
        return json.loads(plain)


class VaultKeyMismatch(Exception):
    pass
