"""Bearer-token verification and the roles of CARA, shared by both services."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jwt

from .jwks import JwksKeys, UnknownKey
from .text import PLAIN_LINE

DEV_JWT_SECRET = "cara-development-signing-key-not-for-production"
DEFAULT_ISSUER = "cara-local"
DEFAULT_AUDIENCE = "cara"
ROLE_CLAIM = "cara_role"
FORCE_CLAIM = "cara_force"
NATIONAL = "*"  # the force claim of a token that reads every force's events, when granted (see Principal.national)
# The subject of the token the notification service mints itself to read the feed in development (main.feed_token):
# the one national subscriber admitted when none are configured outside production.
DEV_NATIONAL_SUBSCRIBER = "notification-service"
# The subject of a development commissioner token for force "*" (`make token ROLE=commissioner FORCE='*'
# SUBJECT=dev-commissioner`): the one national commissioner admitted when none are configured outside production.
DEV_NATIONAL_COMMISSIONER = "dev-commissioner"
# Claims that may name the caller in the national subscribers list: the subject, or the OAuth client the token was
# issued to (RFC 9068 `client_id`; `azp` at providers that name it so), for client-credentials tokens whose `sub`
# is an opaque service-account id.
CLIENT_CLAIMS = ("sub", "client_id", "azp")
# Who the caller is, as a court reads it (issue 17): optional claims, stored on every event the caller records. The
# name is OpenID Connect's standard `name` claim; a police officer's token adds a rank, a collar number, or both.
# Each is one line of text (shared/text.PLAIN_LINE), at most this long; an empty one counts as absent.
DISPLAY_CLAIMS = {"name": 200, "rank": 64, "collar_number": 32}


class Role(str, Enum):
    POLICE = "police"
    PROVIDER = "provider"
    VICTIM_CONTACT = "victim_contact"
    COURT = "court"
    SUBSCRIBER = "subscriber"
    ADMIN = "admin"
    SAR = "sar"  # the subject access officer: answers subject access requests (DPA 2018 s.45), reads nothing else
    # The Police and Crime Commissioner (or their office): reads the outcomes report, nothing else. For one force,
    # or for every force with a token for force "*" when granted (CARA_NATIONAL_COMMISSIONERS).
    COMMISSIONER = "commissioner"


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role
    force: str
    # Force "*" is a grant, not a string: true only for a subscriber or commissioner the configuration lists, and
    # even then only the routes that opt in (the event feed; the outcomes report) admit it. Any other "*" token is
    # refused (auth_deps.require_role).
    national: bool = False
    # The token's display claims (DISPLAY_CLAIMS), when it has them: recorded with each event (RecordedBy).
    name: str | None = None
    rank: str | None = None
    collar_number: str | None = None


class InvalidToken(Exception):
    pass


class TokenVerifier:
    """Checks signature, expiry, issuer and audience, then reads the CARA claims.

    A police system sends the same token with every request until it expires, and checking the
    signature costs more than the rest of a small request's routing. So tokens that passed are
    remembered, bounded in number, and only until their `exp` (or their maximum age, if sooner): the answer
    cannot outlive the token.

    `max_age_seconds` refuses a token that long after its `iat`, whatever its `exp` says, so a token minted to
    live for years still stops working; `require_iat` refuses tokens without one (production), whose age is
    unknown. `leeway_seconds` allows for the identity provider's clock differing from ours.
    """

    def __init__(self, key: str | JwksKeys, algorithms: list[str], issuer: str, audience: str,
                 cache_size: int = 4096, *, national_subscribers: Iterable[str] = (),
                 national_commissioners: Iterable[str] = (),
                 max_age_seconds: float | None = None, require_iat: bool = False,
                 leeway_seconds: float = 0.0) -> None:
        self._key, self._algorithms = key, algorithms
        self._issuer, self._audience = issuer, audience
        self._national_subscribers = frozenset(national_subscribers)
        self._national_commissioners = frozenset(national_commissioners)
        self._max_age, self._require_iat, self._leeway = max_age_seconds, require_iat, leeway_seconds
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
                leeway=self._leeway,
                options={"require": ["exp", "sub", "iss", "aud"] + (["iat"] if self._require_iat else [])},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(str(e)) from None
        good_until = float(claims["exp"]) + self._leeway
        if self._max_age is not None and "iat" in claims:  # PyJWT has checked that iat is a number, not ahead
            too_old_at = int(claims["iat"]) + self._max_age + self._leeway
            if time.time() >= too_old_at:
                raise InvalidToken(f"the token was issued more than {self._max_age:g} seconds ago (iat); "
                                   "ask for a new one")
            good_until = min(good_until, too_old_at)
        try:
            role = Role(claims[ROLE_CLAIM])
            force = str(claims[FORCE_CLAIM])
        except (KeyError, ValueError):
            raise InvalidToken(f"token lacks a valid {ROLE_CLAIM} or {FORCE_CLAIM} claim") from None
        if not force or len(force) > 64:
            raise InvalidToken(f"{FORCE_CLAIM} must be 1-64 characters")
        if not str(claims["sub"]) or len(str(claims["sub"])) > 255:
            raise InvalidToken("sub must be 1-255 characters")
        granted = {Role.SUBSCRIBER: self._national_subscribers, Role.COMMISSIONER: self._national_commissioners}
        national = force == NATIONAL and role in granted and any(
            isinstance(claims.get(name), str) and claims[name] in granted[role] for name in CLIENT_CLAIMS)
        name, rank, collar_number = (display_claim(claims, claim) for claim in DISPLAY_CLAIMS)
        return Principal(id=str(claims["sub"]), role=role, force=force, national=national, name=name, rank=rank,
                         collar_number=collar_number), good_until


def display_claim(claims: dict[str, Any], claim: str) -> str | None:
    """A display claim as it will be recorded: trimmed, NFC, one line; None when absent or empty.

    A claim that is there but unfit to print (not text, too long, a control character) refuses the token, naming
    the claim: recorded on an event, it would be in the court's record for ever."""
    value = claims.get(claim)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidToken(f"the {claim} claim must be text")
    try:
        text = PLAIN_LINE.clean(value).strip()
    except ValueError as e:
        raise InvalidToken(f"the {claim} claim {e}") from None
    if len(text) > DISPLAY_CLAIMS[claim]:
        raise InvalidToken(f"the {claim} claim must be at most {DISPLAY_CLAIMS[claim]} characters")
    return text or None


def mint_token(
    secret: str,
    *,
    role: Role,
    force: str,
    issuer: str,
    audience: str,
    subject: str | None = None,
    ttl_seconds: int = 8 * 3600,
    display: dict[str, str] | None = None,
) -> str:
    """A development token signed with the shared secret (production tokens come from the force's IdP).

    `display`: display claims to add (name, rank, collar_number; see DISPLAY_CLAIMS)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject or f"{role.value}-{uuid.uuid4().hex[:8]}",
        ROLE_CLAIM: role.value,
        FORCE_CLAIM: force,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
        **(display or {}),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


# What the development token tools (token_cli, dev_idp) put in a token of these roles unless told otherwise, so a
# history recorded locally reads as it will in production: "PC 1234 Dev Officer".
DEV_DISPLAY: dict[Role, dict[str, str]] = {
    Role.POLICE: {"name": "Dev Officer", "rank": "PC", "collar_number": "1234"},
    Role.PROVIDER: {"name": "Dev Facilitator"},
    Role.VICTIM_CONTACT: {"name": "Dev Contact Worker"},
}


def dev_display(role: Role, given: dict[str, str | None]) -> dict[str, str]:
    """The display claims of a development token: each one given, else the role's development one; "" for none."""
    chosen = {claim: given.get(claim) for claim in DISPLAY_CLAIMS}
    defaults = DEV_DISPLAY.get(role, {})
    found = {claim: defaults.get(claim) if value is None else value for claim, value in chosen.items()}
    return {claim: value for claim, value in found.items() if value}
