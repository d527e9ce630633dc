"""Headers on every page: nothing cached (`no-store`: the pages hold personal data, and a shared terminal's
browser cache must not keep them), a content security policy with a per-request nonce for the one inline
script GOV.UK Frontend's template has, no framing, no referrer. Static assets alone may be cached.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIXES = ("/assets/", "/static/")


def page_csp(nonce: str, form_targets: Iterable[str] = ()) -> str:
    """`form_targets`: other origins a form's redirect may reach (the identity provider's sign-out)."""
    targets = " ".join(["'self'", *sorted(form_targets)])
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"object-src 'none'; base-uri 'none'; form-action {targets}; frame-ancestors 'none'")


class PageHeaders:
    def __init__(self, app: ASGIApp, hsts: bool, form_targets: set[str]) -> None:
        self.app, self.hsts, self.form_targets = app, hsts, form_targets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIXES)
        scope.setdefault("csp_nonce", secrets.token_urlsafe(16))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Content-Security-Policy"] = page_csp(scope["csp_nonce"], self.form_targets)
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                headers["Cache-Control"] = "public, max-age=86400" if static else "no-store"
                if not static:
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)
