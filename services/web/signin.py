"""Signing in and out.

Production: OpenID Connect with the force's identity provider, authorization code flow with PKCE (S256) and a
nonce, through Authlib; the ID token is verified (signature from the provider's JWKS, issuer, audience, nonce,
expiry) and the access token is what the services are called with. Development, where no provider is configured:
a page that picks a role and force and mints a token as `make token` does; it does not exist in production.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from shared.auth import DEV_NATIONAL_COMMISSIONER, FORCE_CLAIM, NATIONAL, ROLE_CLAIM, Role, dev_display, mint_token
from shared.forces import FORCES

from .backend import ServiceUnavailable
from .config import WebSettings
from .forms import FieldErrors, checked_form, text
from .people import Person, signed_in
from .rendering import Pages, landing_page
from .sessions import Session, SessionStore

DEV_TOKEN_SECONDS = 8 * 3600
# The roles a person signs in as here (a subscriber is a system; a subject access officer has no pages yet).
PEOPLE_ROLES = [Role.POLICE, Role.PROVIDER, Role.VICTIM_CONTACT, Role.COURT, Role.COMMISSIONER, Role.ADMIN]


def oidc_client(settings: WebSettings) -> Any:
    if not settings.oidc_issuer:
        return None
    oauth = OAuth()
    kwargs: dict[str, Any] = {"scope": settings.oidc_scope, "code_challenge_method": "S256"}
    if not settings.oidc_client_secret:
        kwargs["token_endpoint_auth_method"] = "none"
    return oauth.register(
        "force", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs=kwargs)


def router(settings: WebSettings, store: SessionStore, pages: Pages, form_targets: set[str]) -> APIRouter:
    """`form_targets`: filled with the identity provider's sign-out origin, which pages' CSP must let the sign-out
    form's redirect reach."""
    routes = APIRouter()
    client = oidc_client(settings)

    def public(request: Request, route: str) -> str:
        path = request.app.url_path_for(route)
        return settings.public_url.rstrip("/") + path if settings.public_url else str(request.url_for(route))

    async def end_session_endpoint() -> str | None:
        try:
            metadata = await client.load_server_metadata()
        except httpx.HTTPError:
            return None
        found = metadata.get("end_session_endpoint")
        if isinstance(found, str) and found.startswith(("https://", "http://")):
            form_targets.add(_origin(found))
            return found
        return None

    def begin(request: Request, who: Person, expires_at: float) -> Response:
        """A new session id for the signed-in person (the one used before sign-in is forgotten)."""
        session: Session = store.renew(request.scope["cara_session"])
        session.data.clear()
        session.data["person"] = who.as_session(expires_at)
        request.scope["cara_session"] = session
        return RedirectResponse(landing_page(who.role), status_code=303)

    @routes.get("/sign-in")
    async def sign_in(request: Request) -> Response:
        who = signed_in(request)
        if who is not None:
            return RedirectResponse(landing_page(who.role), status_code=303)
        if client is not None:
            try:
                response: Response = await client.authorize_redirect(request, public(request, "sign_in_callback"))
            except httpx.HTTPError:  # its discovery document did not come
                raise ServiceUnavailable("force's identity provider") from None
            return response
        return dev_page(request)

    def dev_page(request: Request, errors: FieldErrors | None = None, status: int = 200,
                 values: dict[str, str] | None = None) -> Response:
        return pages.render(request, "signin/development.html", {
            "roles": PEOPLE_ROLES, "forces": FORCES, "errors": errors or FieldErrors(),
            "values": values or {"force": "CAMBS"},
            "ended_idle": request.scope["cara_session"].ended_idle}, status=status)

    @routes.post("/sign-in/development")
    async def dev_sign_in(request: Request) -> Response:
        if not settings.dev_sign_in:
            return pages.render(request, "errors/not_found.html", status=404)
        form = await checked_form(request)
        values = {"role": text(form, "role"), "force": text(form, "force").upper(), "name": text(form, "name")}
        errors = FieldErrors()
        if values["role"] not in {r.value for r in PEOPLE_ROLES}:
            errors.add("role", "Select the role you are signing in as")
        national = values["force"] == NATIONAL
        if values["force"] not in FORCES and not national:
            errors.add("force", "Select the force you work for")
        elif national and values["role"] != Role.COMMISSIONER.value:
            errors.add("force", "Only a commissioner may sign in for all forces")
        if errors:
            return dev_page(request, errors, 400, values)
        role = Role(values["role"])
        # The one national commissioner the services admit outside production (shared.auth)
        subject = DEV_NATIONAL_COMMISSIONER if national else f"dev-{role.value}-{uuid.uuid4().hex[:8]}"
        display = dev_display(role, {"name": values["name"] or None})
        token = mint_token(settings.dev_jwt_secret, role=role, force=values["force"], issuer=settings.dev_jwt_issuer,
                           audience=settings.dev_jwt_audience, subject=subject, ttl_seconds=DEV_TOKEN_SECONDS,
                           display=display)
        who = Person(subject, role, values["force"], display.get("name"), token)
        return begin(request, who, time.time() + DEV_TOKEN_SECONDS)

    @routes.get("/sign-in/callback", name="sign_in_callback")
    async def callback(request: Request) -> Response:
        if client is None:
            return pages.render(request, "errors/not_found.html", status=404)
        try:
            token = await client.authorize_access_token(request)
        except httpx.HTTPError:
            raise ServiceUnavailable("force's identity provider") from None
        except OAuthError as e:
            return pages.render(request, "signin/failed.html", {"reason": e.description or e.error}, status=400)
        claims = {**_unverified(token.get("access_token", "")), **(token.get("userinfo") or {})}
        try:
            role = Role(claims[ROLE_CLAIM])
            force = str(claims[FORCE_CLAIM])
        except (KeyError, ValueError):
            return pages.render(request, "signin/failed.html", {
                "reason": "Your account has no CARA role. Ask your force's CARA administrator to give you one."},
                status=403)
        who = Person(str(claims.get("sub", "")), role, force, claims.get("name"), token["access_token"])
        await end_session_endpoint()  # so that the pages' sign-out form may reach it
        return begin(request, who, float(token.get("expires_at") or time.time() + 3600))

    @routes.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        """Ends the session here, then at the identity provider (OpenID Connect RP-Initiated Logout 1.0): on a
        shared terminal the next person's "Sign in" must not find the last officer still signed in there."""
        await checked_form(request)
        store.end(request.scope["cara_session"].id)
        request.scope["cara_session"] = store.new()
        end = await end_session_endpoint() if client is not None else None
        if end is None:
            return RedirectResponse("/signed-out", status_code=303)
        # client_id rather than id_token_hint: the ID token (the officer's name) stays out of the address
        query = urlencode({"client_id": settings.oidc_client_id, "post_logout_redirect_uri": public(request,
                                                                                                   "signed_out")})
        return RedirectResponse(f"{end}?{query}", status_code=303)

    @routes.get("/signed-out", name="signed_out")
    async def signed_out(request: Request) -> Response:
        return pages.render(request, "signin/signed_out.html")

    return routes


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _unverified(access_token: str) -> dict[str, Any]:
    """The access token's claims, to show the right pages; the services verify the token on every call."""
    try:
        claims = jwt.decode(access_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}
