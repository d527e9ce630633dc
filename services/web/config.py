"""The web application's settings, from CARA_WEB_* environment variables; production refuses unsafe defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET

DEV_SESSION_SECRET = "cara-web-development-session-key-not-for-production"
ASSETS = Path(__file__).resolve().parent / "node_modules" / "govuk-frontend" / "dist" / "govuk"


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARA_WEB_", extra="ignore")

    # production: Secure cookies, HSTS, no development sign-in, and the secrets below must be set
    environment: Literal["development", "test", "production"] = "development"
    caution_url: str = "http://127.0.0.1:8000"  # the caution service, called with the signed-in person's token
    notify_url: str = "http://127.0.0.1:8001"  # the notification service, likewise
    service_timeout_seconds: float = Field(default=10.0, gt=0)  # a service slower than this: a 503 page
    # Signs the session cookie (which holds only a random session id; the session itself stays on the server).
    session_secret: str = DEV_SESSION_SECRET
    # A session unused this long is ended: the next request signs in again (NCSC: end idle sessions on shared
    # terminals, as police stations and court offices have).
    idle_timeout_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    max_sessions: int = Field(default=10_000, gt=0)  # the oldest idle ones go first
    # The force's identity provider (OpenID Connect): its issuer URL, whose /.well-known/openid-configuration is
    # read. Sign-in uses the authorization code flow with PKCE (S256).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None  # this application's client id at the identity provider
    oidc_client_secret: str | None = None  # None: a public client, PKCE alone
    oidc_scope: str = "openid profile"  # the scopes asked for; the ID token must carry cara_role and cara_force
    # Where the browser reaches this application, for the redirect URI the identity provider has registered;
    # unset, the request's own address (fine on one machine, wrong behind a proxy).
    public_url: str | None = None
    # Development only: the sign-in page that picks a role and force mints a token as `make token` does.
    dev_jwt_secret: str = DEV_JWT_SECRET
    dev_jwt_issuer: str = DEFAULT_ISSUER  # the `iss` of those development tokens (the services' CARA_JWT_ISSUER)
    dev_jwt_audience: str = DEFAULT_AUDIENCE  # their `aud` (the services' CARA_JWT_AUDIENCE)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def dev_sign_in(self) -> bool:
        """The pick-a-role sign-in page: never in production, and not where a real identity provider is set."""
        return not self.production and not self.oidc_issuer

    @model_validator(mode="after")
    def _safe_in_production(self) -> WebSettings:
        if not self.production:
            return self
        if self.session_secret == DEV_SESSION_SECRET or len(self.session_secret) < 32:
            raise ValueError("CARA_WEB_SESSION_SECRET must be set to a random value of 32 characters or more in "
                             "production")
        if not (self.oidc_issuer and self.oidc_client_id):
            raise ValueError("production signs people in through the force's identity provider: set "
                             "CARA_WEB_OIDC_ISSUER and CARA_WEB_OIDC_CLIENT_ID")
        return self
