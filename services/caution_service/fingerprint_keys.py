"""Keys for Idempotency-Key fingerprints: an HMAC key per master key, so a stored fingerprint reveals nothing.

A fingerprint is a digest of the whole request, victim details included. Unkeyed, anyone who can read the
database and guess the rest of a request (police and courts read most of it) could recover a victim's phone
number by trying candidates against it. Keyed with a secret the database does not hold, they cannot.

The HMAC key is derived (HKDF) from a master key (CARA_MASTER_KEYS) and the stored fingerprint names the
master key id it was made with, so a rotation keeps every record checkable while its master key is still
configured. Keep an old master key until the Idempotency-Key records made under it have expired.
"""

from __future__ import annotations

import hashlib
import hmac

from shared.keyring import MasterKeys


class FingerprintKeys:
    def __init__(self, masters: MasterKeys) -> None:
        self._masters = masters
        self._keys: dict[str, bytes] = {}

    @property
    def current(self) -> str:
        return self._masters.current

    def keyed(self, digest: str, key_id: str | None = None) -> str:
        """The request's digest (idempotency.fingerprint_of) keyed with a master key's HMAC key, hex."""
        return hmac.new(self._key(key_id or self.current), digest.encode(), hashlib.sha256).hexdigest()

    def same(self, stored: str, key_id: str | None, digest: str) -> bool:
        """Whether a stored fingerprint is this request's. Records from before keying (no key id) hold the digest."""
        expected = digest if key_id is None else self.keyed(digest, key_id)
        return hmac.compare_digest(stored, expected)

    def _key(self, key_id: str) -> bytes:
        key = self._keys.get(key_id)
        if key is None:  # derived once per master key: this runs for every command with an Idempotency-Key
            key = self._keys[key_id] = self._masters.derive(key_id, b"CARA idempotency fingerprint")
        return key
