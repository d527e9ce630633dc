"""The development identity provider's OpenID Connect side: the authorization code flow with PKCE, for the web
application's sign-in (services/web/signin.py), as a force's identity provider would run it.

  GET  /.well-known/openid-configuration   discovery (RFC 8414 / OpenID Connect Discovery 1.0)
  GET  /authorize                          checks the request, then shows a page that picks a role and force
                                           (where a real provider would ask for a password)
  POST /authorize                          that page's answer: a one-time code, back to the registered redirect URI
  POST /oauth2/token                       grant_type=authorization_code: the code, the redirect URI and the PKCE
                                           verifier give an access token (for the services) and an ID token
  GET  /logout                             RP-initiated logout: back to the client's registered
                                           post_logout_redirect_uri (OpenID Connect RP-Initiated Logout 1.0)

Web clients are registered in CARA_DEV_IDP_WEB_CLIENTS (JSON: {"client id": {"redirect_uris": [...],
"post_logout_redirect_uris": [...]}}); they are
public clients, so PKCE (S256) is required of every request (RFC 7636; OAuth 2.0 Security BCP, RFC 9700 s.2.1.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt

from .auth import Role
from .forces import FORCES

CODE_SECONDS = 60
ID_TOKEN_SECONDS = 3600


class OidcRefused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    role: str
    force: str
    name: str
    subject: str
    expires: float


def discovery(issuer: str, public_url: str | None = None) -> dict[str, Any]:
    """`public_url`: where browsers reach this provider, when not at the issuer's address (in compose the issuer is
    http://dev-idp:9000/, a name only the containers know; the browser is sent to the published port)."""
    return {
        "issuer": issuer, "authorization_endpoint": f"{public_url or issuer}authorize",
        "token_endpoint": f"{issuer}oauth2/token", "end_session_endpoint": f"{public_url or issuer}logout",
        "jwks_uri": f"{issuer}.well-known/jwks.json", "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "profile"], "claims_supported": ["sub", "name", "cara_role", "cara_force"],
    }


class AuthorizationCodes:
    def __init__(self, web_clients: dict[str, dict[str, Any]]) -> None:
        self.web_clients = web_clients
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def check_request(self, query: dict[str, str]) -> None:
        """An authorization request this provider would show its page for; anything else is refused outright."""
        client = self.web_clients.get(query.get("client_id", ""))
        if client is None:
            raise OidcRefused("unauthorized_client", "unknown client_id")
        if query.get("redirect_uri") not in client.get("redirect_uris", []):
            raise OidcRefused("invalid_request", "redirect_uri is not registered for this client")
        if query.get("response_type") != "code":
            raise OidcRefused("unsupported_response_type", "only the authorization code flow")
        if "openid" not in query.get("scope", "").split():
            raise OidcRefused("invalid_scope", "scope must include openid")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise OidcRefused("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")

    def after_logout(self, query: dict[str, str]) -> str | None:
        """Where a logout sends the browser: the client's registered post-logout URI, else nowhere (a page here)."""
        client = self.web_clients.get(query.get("client_id", ""), {})
        back = query.get("post_logout_redirect_uri")
        if back is None or back not in client.get("post_logout_redirect_uris", []):
            return None
        return f"{back}?{urlencode({'state': query['state']})}" if query.get("state") else back

    def grant(self, form: dict[str, str]) -> str:
        """The person's choice on the page: a redirect to the client with a one-time code (and the state)."""
        self.check_request(form)
        Role(form.get("role", ""))  # ValueError: refused by the caller
        if form.get("force") not in FORCES:
            raise ValueError("unknown force")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = Grant(form["client_id"], form["redirect_uri"], form["code_challenge"],
                                       form.get("nonce") or None, form["role"], form["force"], form.get("name", ""),
                                       f"idp-{form['role']}-{secrets.token_hex(4)}", time.time() + CODE_SECONDS)
        answer = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        return f"{form['redirect_uri']}?{urlencode(answer)}"

    def redeem(self, form: dict[str, str], client_id: str) -> Grant:
        """The token request: the code once, from the client it was issued to, with its redirect URI and the
        verifier whose S256 hash is the challenge."""
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            raise OidcRefused("invalid_grant", "unknown, used or expired code")
        if client_id != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
            raise OidcRefused("invalid_grant", "the code was issued to another client or redirect_uri")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not hmac.compare_digest(digest, grant.challenge):
            raise OidcRefused("invalid_grant", "the PKCE code_verifier does not match the code_challenge")
        return grant


def id_token(key: Any, kid: str, issuer: str, grant: Grant, display: dict[str, str]) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "sub": grant.subject, "aud": grant.client_id, "iat": now, "exp": now + ID_TOKEN_SECONDS,
              "cara_role": grant.role, "cara_force": grant.force, **display,
              **({"nonce": grant.nonce} if grant.nonce else {})}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def sign_in_page(query: dict[str, str]) -> str:
    """The page a real provider would show for a password: here, pick who to be. Plain, labelled HTML."""
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in query.items())
    roles = "".join(f'<option value="{r.value}">{r.value.replace("_", " ")}</option>' for r in Role)
    forces = "".join(f'<option value="{code}">{html.escape(name)} ({code})</option>' for code, name in FORCES.items())
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development identity provider"
            "</title></head><body><main><h1>Development identity provider</h1>"
            "<p>Never for production: anyone may be anyone here.</p>"
            f'<form method="post" action="/authorize">{hidden}'
            f'<p><label for="role">Role</label> <select id="role" name="role">{roles}</select></p>'
            f'<p><label for="force">Force</label> <select id="force" name="force">{forces}</select></p>'
            '<p><label for="name">Name</label> <input id="name" name="name" autocomplete="name"></p>'
            '<p><button type="submit">Continue</button></p></form></main></body></html>')
