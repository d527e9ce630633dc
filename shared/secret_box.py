"""Secrets a service must read back (a webhook subscription's signing secret), sealed at rest under a master key.

A signing secret in clear in the database lets anyone who reads it forge deliveries to the subscriber. Sealed,
it needs the master key too. A seal names its master key's id (`s1.<id>.<base64url>`), so after a rotation
`needs_resealing` finds what the current key has not sealed yet.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keyring import NONCE_BYTES, BadSeal, MasterKeys, split_seal

PREFIX = "s1."


class SecretBox:
    def __init__(self, masters: MasterKeys, purpose: str) -> None:
        self._masters = masters
        self._purpose = purpose.encode()  # a key per purpose: a seal made for one use opens for no other
        self._ciphers: dict[str, AESGCM] = {}

    def seal(self, secret: str) -> str:
        key_id = self._masters.current
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(key_id).encrypt(nonce, secret.encode(), self._purpose)
        return f"{PREFIX}{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str) -> str:
        key_id, raw = split_seal(sealed, PREFIX)
        try:
            return self._cipher(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._purpose).decode()
        except InvalidTag:
            raise BadSeal("the secret does not open with its master key") from None

    def needs_resealing(self, stored: str) -> bool:
        """Clear text from before sealing, or sealed under a master key that is no longer the current one."""
        return not stored.startswith(PREFIX) or split_seal(stored, PREFIX)[0] != self._masters.current

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self._masters.derive(key_id, b"CARA secret box: " + self._purpose))
        return cipher
