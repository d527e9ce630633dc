"""Settings both services share: how bearer tokens are verified, and whether FastAPI traces requests."""

from __future__ import annotations

import logging

from fastapi.telemetry import TelemetryConfig
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from .auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, DEV_NATIONAL_SUBSCRIBER, TokenVerifier
from .jwks import JwksKeys
from .logging_setup import LoggedTokenVerifier
from .rate_limits import RateLimitText

log = logging.getLogger("cara.settings")


class AuthSettings(BaseSettings):
    environment: str = "development"  # each service narrows it to development, test or production
    jwt_secret: str = DEV_JWT_SECRET  # the shared key of HS256 tokens (`make token` signs with the development one)
    # Production: the identity provider's RS256/ES256 public key (PEM), or better a JWKS URL.
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None  # the identity provider's JWKS URL: keys are fetched and follow its rotations
    jwt_jwks_refresh_seconds: float = 300.0  # how often the JWKS is fetched again
    jwt_jwks_min_refetch_seconds: float = 30.0  # a token naming an unknown key fetches again, at most this often
    jwt_algorithms: list[str] = ["HS256"]  # the signing algorithms accepted, JSON: ["RS256"]
    jwt_issuer: str = DEFAULT_ISSUER  # the `iss` every token must carry
    jwt_audience: str = DEFAULT_AUDIENCE  # the `aud` every token must carry
    # Production refuses HS* algorithms (one shared secret: whoever holds it mints any role for any force)
    # unless this says why they are needed there; the reason is logged at every start.
    jwt_allow_shared_secret_reason: str | None = None
    # A token is refused this long after its `iat`, whatever its `exp` says. Production also refuses tokens
    # without `iat` (their age is unknown).
    jwt_max_age_seconds: float = Field(default=12 * 3600, gt=0)
    # How far the identity provider's clock may differ from ours, on `exp`, `nbf`, `iat` and the maximum age.
    jwt_leeway_seconds: float = Field(default=60.0, ge=0, le=300)
    # JSON list of who may read every force's events with a subscriber token for force "*": their subject (`sub`)
    # or OAuth client id (`client_id` or `azp`). Any other "*" token is refused. Unset: outside production, the
    # notification service's development client; in production nobody, and the caution service refuses to start
    # (it serves the feed: the list must be explicit there).
    national_subscribers: list[str] | None = None
    # FastAPI's own OpenTelemetry spans, metrics and logs. Off unless asked for: with no OpenTelemetry
    # providers configured they record nothing, yet asking for the providers on every request was 1%
    # of an API worker's CPU. Request counts and latencies are in /metrics either way.
    opentelemetry: bool = False

    def fastapi_telemetry(self) -> TelemetryConfig:
        on = self.opentelemetry
        return {"tracing": on, "metrics": on, "logs": on, "operation_spans": on}

    def verifier(self) -> TokenVerifier:
        """Built in create_app: with a JWKS URL it starts the thread that fetches the keys."""
        key: str | JwksKeys = self.jwt_public_key or self.jwt_secret
        if self.jwt_jwks_url:
            key = JwksKeys(self.jwt_jwks_url, refresh_seconds=self.jwt_jwks_refresh_seconds,
                           min_refetch_seconds=self.jwt_jwks_min_refetch_seconds).start()
        if self._shared_secret_algorithms() and self.environment == "production":
            log.warning("production accepts shared-secret JWT algorithms %s: %s", self._shared_secret_algorithms(),
                        self.jwt_allow_shared_secret_reason)
        return LoggedTokenVerifier(key, self.jwt_algorithms, self.jwt_issuer, self.jwt_audience,
                             national_subscribers=self.national_grants(),
                             national_commissioners=self.commissioner_grants(),
                             max_age_seconds=self.jwt_max_age_seconds,
                             require_iat=self.environment == "production", leeway_seconds=self.jwt_leeway_seconds)

    def national_grants(self) -> frozenset[str]:
        if self.national_subscribers is not None:
            return frozenset(self.national_subscribers)
        return frozenset() if self.environment == "production" else frozenset({DEV_NATIONAL_SUBSCRIBER})

    def commissioner_grants(self) -> frozenset[str]:
        """Who may read the outcomes report for every force: none here; the caution service, which serves it, says."""
        return frozenset()

    def _shared_secret_algorithms(self) -> list[str]:
        return [a for a in self.jwt_algorithms if a.upper().startswith("HS")]

    def _env_name(self, field: str) -> str:
        return f"{self.model_config.get('env_prefix', '')}{field}".upper()

    @field_validator("national_subscribers")
    @classmethod
    def national_subscribers_are_named(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not name.strip() for name in value):
            raise ValueError("a national subscriber must be a subject or client id, not blank")
        return value

    def refuse_development_signing_key(self) -> None:
        if self.jwt_jwks_url and self.jwt_public_key:
            raise ValueError("set either a JWKS URL or a JWT public key, not both")
        if self.jwt_jwks_url and self._shared_secret_algorithms():
            # an HMAC "secret" taken from a public key set would let anyone who can read it sign tokens
            raise ValueError("with a JWKS URL the JWT algorithms must be public-key ones (RS256, ES256, ...)")
        if (self.environment == "production" and self.jwt_public_key is None and self.jwt_jwks_url is None
                and self.jwt_secret == DEV_JWT_SECRET):
            raise ValueError("production needs a JWKS URL, a JWT public key or a non-default JWT secret")
        if (self.environment == "production" and self._shared_secret_algorithms()
                and not (self.jwt_allow_shared_secret_reason or "").strip()):
            raise ValueError(
                f"production refuses the shared-secret JWT algorithms {self._shared_secret_algorithms()} (whoever "
                f"holds the secret can mint any role for any force): use the identity provider's keys "
                f"({self._env_name('jwt_jwks_url')}, {self._env_name('jwt_algorithms')}=[\"RS256\"]), or say why a "
                f"shared secret is needed in {self._env_name('jwt_allow_shared_secret_reason')}")


class ServiceSettings(AuthSettings):
    """What both services' settings share besides tokens: database timeouts, the request deadline, readiness and
    rate limits (each service's prefix applies: CARA_... and CARA_NOTIFY_...)."""

    # PostgreSQL only (shared/database_timeouts.py): the longest wait for a connection; 0: none.
    database_connect_timeout_seconds: float = Field(default=5.0, ge=0)
    # PostgreSQL only: the longest one statement may run; 0: none. Long waits (a long-poll, the migration lock, a
    # rebuild) wait outside any statement or turn the statement timeout off for themselves.
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0)
    # The longest any request waits for its answer (plus a long-poll's `wait`); then 503 with Retry-After
    # (shared/request_deadline.py). 0: none.
    request_deadline_seconds: float = Field(default=15.0, ge=0)
    # /readyz reports an SQLite database with less free space than this beside it as not ready.
    ready_min_free_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # Rate limits (shared/rate_limits.py): "N/second|minute|hour", several joined with ";", or "off". A refused
    # request is answered 429 with Retry-After.
    rate_limit_writes: RateLimitText = "120/minute"  # POST/PUT/PATCH/DELETE per caller (force, role, subject)
    rate_limit_writes_per_address: RateLimitText = "600/minute"  # the same, per client address (callers behind a NAT)
    # 401s per client address; past it, requests from there without a valid token are refused until the window allows
    rate_limit_failed_auth: RateLimitText = "20/minute"
    # Where the counts are kept: "memory://" counts per process (N replicas: up to N times the limits);
    # "redis://host:6379" shares them, with an asyncio Redis client installed (the `redis` package).
    rate_limit_storage: str = "memory://"
