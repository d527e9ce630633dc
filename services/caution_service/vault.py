"""Victim details are sealed (encrypted) before they enter an event and opened only for the victim contact role."""

from __future__ import annotations

import json
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken


class VictimVault:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, details: dict[str, Any] | None) -> str | None:
        if not details:
            return None
        return self._fernet.encrypt(orjson.dumps(details, option=orjson.OPT_SORT_KEYS)).decode()

    def open(self, sealed: str | None) -> dict[str, Any] | None:
        if sealed is None:
            return None
        try:
            return json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as e:
            raise VaultKeyMismatch("Victim details cannot be opened with the configured key.") from e


class VaultKeyMismatch(Exception):
    pass
