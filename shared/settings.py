"""Settings both services share: how bearer tokens are verified, and whether FastAPI traces requests."""

from __future__ import annotations

from typing import Any

from pydantic_settings import BaseSettings

from .auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, TokenVerifier


class AuthSettings(BaseSettings):
    environment: str = "development"
    jwt_secret: str = DEV_JWT_SECRET
    jwt_public_key: str | None = None  # production: the identity provider's RS256/ES256 public key (PEM)
    jwt_algorithms: list[str] = ["HS256"]
    jwt_issuer: str = DEFAULT_ISSUER
    jwt_audience: str = DEFAULT_AUDIENCE
    # FastAPI's own OpenTelemetry spans, metrics and logs. Off unless asked for: with no OpenTelemetry
    # providers configured they record nothing, yet asking for the providers on every request was 1%
    # of an API worker's CPU. Request counts and latencies are in /metrics either way.
    opentelemetry: bool = False

    def fastapi_telemetry(self) -> dict[str, Any]:
        on = self.opentelemetry
        return {"tracing": on, "metrics": on, "logs": on, "operation_spans": on}

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(self.jwt_public_key or self.jwt_secret, self.jwt_algorithms, self.jwt_issuer, self.jwt_audience)

    def refuse_development_signing_key(self) -> None:
        if self.environment == "production" and self.jwt_public_key is None and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("production needs a JWT public key or a non-default JWT secret")
