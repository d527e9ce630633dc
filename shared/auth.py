"""Bearer-token verification and the roles of CARA, shared by both services."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jwt

from .jwks import JwksKeys, UnknownKey

DEV_JWT_SECRET = "cara-development-signing-key-not-for-production"
DEFAULT_ISSUER = "cara-local"
DEFAULT_AUDIENCE = "cara"
ROLE_CLAIM = "cara_role"
FORCE_CLAIM = "cara_force"


class Role(str, Enum):
    POLICE = "police"
    PROVIDER = "provider"
    VICTIM_CONTACT = "victim_contact"
    COURT = "court"
    SUBSCRIBER = "subscriber"
    ADMIN = "admin"
    SAR = "sar"  # the subject access officer: answers subject access requests (DPA 2018 s.45), reads nothing else


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role
    force: str


class InvalidToken(Exception):
    pass


class TokenVerifier:
    """Checks signature, expiry, issuer and audience, then reads the CARA claims.

    A police system sends the same token with every request until it expires, and checking the
    signature costs more than the rest of a small request's routing. So tokens that passed are
    remembered, bounded in number, and only until their `exp`: the answer cannot outlive the token.
    """

    def __init__(self, key: str | JwksKeys, algorithms: list[str], issuer: str, audience: str,
                 cache_size: int = 4096) -> None:
        self._key, self._algorithms = key, algorithms
        self._issuer, self._audience = issuer, audience
        self._passed: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        with self._lock:
            known = self._passed.get(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires:
                return principal
        principal, expires = self._verify_signed(token)
        with self._lock:
            self._passed[token] = (principal, expires)
            while len(self._passed) > self._cache_size:
                self._passed.popitem(last=False)
        return principal

    @property
    def key_set(self) -> JwksKeys | None:
        return self._key if isinstance(self._key, JwksKeys) else None

    def not_ready(self) -> str | None:
        """Why no token can be verified now, if so (the identity provider's keys are not loaded)."""
        return self._key.not_ready() if isinstance(self._key, JwksKeys) else None

    def close(self) -> None:
        if isinstance(self._key, JwksKeys):
            self._key.close()

    def _signing_key(self, token: str) -> Any:
        if not isinstance(self._key, JwksKeys):
            return self._key
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as e:
            raise InvalidToken(str(e)) from None
        try:
            return self._key.key_for(kid if isinstance(kid, str) else None)
        except UnknownKey as e:
            raise InvalidToken(str(e)) from None

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        key = self._signing_key(token)  # raises KeysUnavailable while the provider's keys are not loaded
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(str(e)) from None
        try:
            role = Role(claims[ROLE_CLAIM])
            force = str(claims[FORCE_CLAIM])
        except (KeyError, ValueError):
            raise InvalidToken(f"token lacks a valid {ROLE_CLAIM} or {FORCE_CLAIM} claim") from None
        if not force or len(force) > 64:
            raise InvalidToken(f"{FORCE_CLAIM} must be 1-64 characters")
        if not str(claims["sub"]) or len(str(claims["sub"])) > 255:
            raise InvalidToken("sub must be 1-255 characters")
        return Principal(id=str(claims["sub"]), role=role, force=force), float(claims["exp"])


def mint_token(
    secret: str,
    *,
    role: Role,
    force: str,
    issuer: str,
    audience: str,
    subject: str | None = None,
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A development token signed with the shared secret (production tokens come from the force's IdP)."""
    now = int(time.time())
    claims = {
        "sub": subject or f"{role.value}-{uuid.uuid4().hex[:8]}",
        ROLE_CLAIM: role.value,
        FORCE_CLAIM: force,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
