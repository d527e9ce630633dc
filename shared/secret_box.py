"""Secrets a service must read back (a webhook subscription's signing secret), sealed at rest under a master key.

A signing secret in clear in the database lets anyone who reads it forge deliveries to the subscriber. Sealed,
it needs the master key too. A seal names its master key's id (`s1.<id>.<base64url>`), so after a rotation
`needs_resealing` finds what the current key has not sealed yet.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .keyring import NONCE_BYTES, BadSeal, KeyUnavailable, MasterKeys

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
        key_id, raw = _parts(sealed)
        try:
            return self._cipher(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._purpose).decode()
        except InvalidTag:
            raise BadSeal("the secret does not open with its master key") from None

    def needs_resealing(self, stored: str) -> bool:
        """Clear text from before sealing, or sealed under a master key that is no longer the current one."""
        return not stored.startswith(PREFIX) or _parts(stored)[0] != self._masters.current

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            master = self._masters.keys.get(key_id)
            if master is None:
                raise KeyUnavailable(f"a secret is sealed under master key {key_id}, which is not configured")
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"CARA secret box: " + self._purpose)
            cipher = self._ciphers[key_id] = AESGCM(key.derive(master))
        return cipher


def _parts(sealed: str) -> tuple[str, bytes]:
    if not sealed.startswith(PREFIX):
        raise BadSeal("not a sealed secret")
    key_id, sep, encoded = sealed[len(PREFIX):].rpartition(".")
    try:
        raw = base64.b64decode(encoded, altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):
        raise BadSeal("not a sealed secret") from None
    if not sep or not key_id or len(raw) <= NONCE_BYTES:
        raise BadSeal("not a sealed secret")
    return key_id, raw
