"""Settings both services share: how bearer tokens are verified, and whether FastAPI traces requests."""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig
from pydantic_settings import BaseSettings

from .auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, TokenVerifier
from .jwks import JwksKeys
from .logging_setup import LoggedTokenVerifier


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
        return LoggedTokenVerifier(key, self.jwt_algorithms, self.jwt_issuer, self.jwt_audience)

    def refuse_development_signing_key(self) -> None:
        if self.jwt_jwks_url and self.jwt_public_key:
            raise ValueError("set either a JWKS URL or a JWT public key, not both")
        if self.jwt_jwks_url and any(a.upper().startswith("HS") for a in self.jwt_algorithms):
            # an HMAC "secret" taken from a public key set would let anyone who can read it sign tokens
            raise ValueError("with a JWKS URL the JWT algorithms must be public-key ones (RS256, ES256, ...)")
        if (self.environment == "production" and self.jwt_public_key is None and self.jwt_jwks_url is None
                and self.jwt_secret == DEV_JWT_SECRET):
            raise ValueError("production needs a JWKS URL, a JWT public key or a non-default JWT secret")
