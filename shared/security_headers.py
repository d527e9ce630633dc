"""Security headers on every response of both services.

- `Strict-Transport-Security`, always: TLS ends at the ingress, so the service cannot tell which scheme the
  browser used, and browsers ignore the header on plain HTTP (RFC 6797 section 8.1), so local runs over
  http://127.0.0.1 are not affected.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`: no answer is read as another type,
  and no URL (a caution id) is sent on to another site.
- `Cache-Control: no-store` on every answer except static assets (scripts, style sheets, images, fonts of
  the docs pages): almost every answer holds personal data or identifiers, including problems that echo
  a path, and a rule with exceptions by route would be one route away from a leak. It replaces a route's
  own Cache-Control (the event stream's `no-cache` lets a cache store it).
- `Content-Security-Policy`: on HTML (the /docs and /redoc pages) `HTML_CSP`; on everything else
  `API_CSP`, which lets nothing load and nothing frame it, should a browser ever render an answer.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .docs import DOCS_CSP

HSTS = "max-age=31536000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The documentation pages (/docs, /redoc, /problems) start Swagger UI and ReDoc from scripts served by this
# origin, with no inline script, so script-src is 'self' alone: shared/docs.py says what else they need.
HTML_CSP = DOCS_CSP
STATIC_TYPES = (b"text/css", b"text/javascript", b"application/javascript", b"image/", b"font/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: str = HSTS, api_csp: str = API_CSP, html_csp: str = HTML_CSP) -> None:
        self.app = app
        self.always = [(b"strict-transport-security", hsts.encode()), (b"x-content-type-options", b"nosniff"),
                       (b"referrer-policy", b"no-referrer")]
        self.api_csp = (b"content-security-policy", api_csp.encode())
        self.html_csp = (b"content-security-policy", html_csp.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, with_headers)

    def _headers(self, given: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        content_type = b""
        kept = []
        for name, value in given:
            lowered = name.lower()
            if lowered == b"content-type":
                content_type = value.lower()
            if lowered != b"cache-control":
                kept.append((name, value))
        if content_type.startswith(STATIC_TYPES):
            return [*given, *self.always]
        csp = self.html_csp if content_type.startswith(b"text/html") else self.api_csp
        return [*kept, *self.always, csp, (b"cache-control", b"no-store")]
