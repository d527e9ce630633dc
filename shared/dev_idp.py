"""`python -m shared.dev_idp`: a development identity provider, so that the production shape (deploy/compose.yaml)
runs on one machine with nothing outside it. Never for production: it refuses to start there, and anyone who can
reach it can have a token for any role and force.

It signs with an RSA key made at start (kept in memory only: a restart makes a new one, which the services fetch
when a token names a key they do not know) and serves what a real provider would:
  GET  /.well-known/jwks.json   its public key, for CARA_JWT_JWKS_URL
  POST /oauth2/token            OAuth 2.0 client credentials, for the clients in CARA_DEV_IDP_CLIENTS (JSON:
                                {"client id": {"secret": "...", "role": "subscriber", "force": "*"}}); the
                                notification service reads the caution feed with these
  GET  /.well-known/openid-configuration, GET and POST /authorize, and POST /oauth2/token with
       grant_type=authorization_code: OpenID Connect with PKCE for the web application's sign-in
       (shared/dev_idp_oidc.py), for the clients in CARA_DEV_IDP_WEB_CLIENTS
  GET  /token?role=police&force=CAMBS[&sub=...][&name=...][&rank=...][&collar_number=...]
                                a token for a person, as text: what a newcomer pastes into curl. Police,
                                provider and victim contact tokens carry development display claims
                                (auth.DEV_DISPLAY, e.g. "PC 1234 Dev Officer") unless the query gives its own
                                ("name=" for none)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .auth import DISPLAY_CLAIMS, FORCE_CLAIM, ROLE_CLAIM, Role, dev_display
from .dev_idp_oidc import AuthorizationCodes, OidcRefused, discovery, id_token, sign_in_page

TTL_SECONDS = 3600


class DevIdentityProvider:
    def __init__(self, issuer: str, audience: str, clients: dict[str, dict[str, str]],
                 web_clients: dict[str, dict[str, Any]] | None = None) -> None:
        self.issuer, self.audience, self.clients = issuer, audience, clients
        self.codes = AuthorizationCodes(web_clients or {})
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def mint(self, role: str, force: str, subject: str, display: dict[str, str] | None = None) -> str:
        Role(role)  # an unknown role is refused here, not by the service later
        now = int(time.time())
        claims = {"sub": subject, ROLE_CLAIM: role, FORCE_CLAIM: force, "iss": self.issuer, "aud": self.audience,
                  "iat": now, "exp": now + TTL_SECONDS, **(display or {})}
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def code_tokens(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        """The authorization code grant: an access token for the services and an ID token for the web client."""
        grant = self.codes.redeem(form, client_id)
        display = person_display({"role": grant.role, **({"name": grant.name} if grant.name else {})})
        access = self.mint(grant.role, grant.force, grant.subject, display)
        return {"access_token": access, "token_type": "Bearer", "expires_in": TTL_SECONDS,
                "id_token": id_token(self._key, self.kid, self.issuer, grant, display), "scope": "openid profile"}

    def client_token(self, client_id: str, secret: str) -> str | None:
        client = self.clients.get(client_id)
        if client is None or client.get("secret") != secret:
            return None
        return self.mint(client["role"], client["force"], client_id)


def person_display(query: dict[str, str]) -> dict[str, str]:
    """The display claims of a person's token: those the query gives, else the role's development ones."""
    try:
        role = Role(query.get("role", ""))
    except ValueError:
        return {}  # refused by `mint`
    return dev_display(role, {claim: query.get(claim) for claim in DISPLAY_CLAIMS})


def handler(idp: DevIdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            if url.path == "/.well-known/jwks.json":
                self._answer(200, idp.jwks())
            elif url.path == "/.well-known/openid-configuration":
                self._answer(200, discovery(idp.issuer, os.environ.get("CARA_DEV_IDP_PUBLIC_URL")))
            elif url.path == "/authorize":
                try:
                    idp.codes.check_request(query)
                except OidcRefused as e:
                    self._answer(400, {"error": e.error, "error_description": e.description})
                    return
                self._answer(200, sign_in_page(query), "text/html; charset=utf-8")
            elif url.path == "/logout":  # it keeps no sessions: there is nothing to end but the client's
                back = idp.codes.after_logout(query)
                if back is None:
                    self._answer(200, "You have signed out of the development identity provider.")
                    return
                self.send_response(303)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif url.path == "/token":
                try:
                    token = idp.mint(query.get("role", ""), query.get("force", ""),
                                     query.get("sub") or f"dev-{uuid.uuid4().hex[:8]}", person_display(query))
                except ValueError:
                    roles = ", ".join(r.value for r in Role)
                    self._answer(400, {"error": "invalid_request", "error_description": f"role: one of {roles}"})
                    return
                self._answer(200, token)
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            if path not in ("/oauth2/token", "/authorize"):
                self._answer(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if path == "/authorize":
                self._authorized(form)
                return
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            if form.get("grant_type") == "authorization_code":
                try:
                    self._answer(200, idp.code_tokens(form, client_id))
                except OidcRefused as e:
                    self._answer(400, {"error": e.error, "error_description": e.description})
                return
            if form.get("grant_type") != "client_credentials":
                self._answer(400, {"error": "unsupported_grant_type"})
                return
            token = idp.client_token(client_id, secret)
            if token is None:
                self._answer(401, {"error": "invalid_client"})
                return
            self._answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": TTL_SECONDS})

        def _authorized(self, form: dict[str, str]) -> None:
            try:
                location = idp.codes.grant(form)
            except OidcRefused as e:
                self._answer(400, {"error": e.error, "error_description": e.description})
                return
            except (ValueError, KeyError):
                self._answer(400, {"error": "invalid_request", "error_description": "choose a role and a force"})
                return
            self.send_response(303)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()

        def _answer(self, status: int, body: Any, content_type: str | None = None) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type or ("text/plain" if isinstance(body, str)
                                                              else "application/json"))
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args(argv)
    if "production" in (os.environ.get("CARA_ENVIRONMENT"), os.environ.get("CARA_NOTIFY_ENVIRONMENT")):
        sys.exit("shared.dev_idp is a development identity provider: it hands any token to anyone who asks, so it "
                 "refuses to start where CARA_ENVIRONMENT is production")
    idp = DevIdentityProvider(os.environ.get("CARA_DEV_IDP_ISSUER", f"http://{args.host}:{args.port}/"),
                              os.environ.get("CARA_DEV_IDP_AUDIENCE", "cara"),
                              json.loads(os.environ.get("CARA_DEV_IDP_CLIENTS", "{}")),
                              json.loads(os.environ.get("CARA_DEV_IDP_WEB_CLIENTS", "{}")))
    server = ThreadingHTTPServer((args.host, args.port), handler(idp))
    print(f"development identity provider (never for production) on {args.host}:{args.port}, issuer {idp.issuer}",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
