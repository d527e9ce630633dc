"""Server-side sessions: the browser holds only a signed random id; who is signed in, their token and the form
token stay here.

The cookie is HttpOnly (no script reads it), SameSite=Lax (sent on the identity provider's redirect back, a
top-level GET, but not on another site's POST) and Secure in production. A session unused for the idle timeout
is ended; a sign-in starts a new session id (no fixation); sign-out forgets it on the server, so a copied cookie
is worth nothing afterwards.

Kept in this process's memory: one web process per deployment, or sticky sessions (see README, Web application).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "cara_session"


@dataclass
class Session:
    id: str
    last_seen: float
    # Authlib's sign-in state (state, nonce, PKCE verifier) and this application's: person, token, csrf.
    data: dict[str, Any] = field(default_factory=dict)
    ended_idle: bool = False  # this request's session replaced one that had timed out (the page says so)


class SessionStore:
    def __init__(self, idle_seconds: float, max_sessions: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds, self.max_sessions, self.clock = idle_seconds, max_sessions, clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str) -> Session | None:
        """The live session, marked as used now; None if unknown or idle too long (then forgotten)."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self.clock() - session.last_seen > self.idle_seconds:
                del self._sessions[session_id]
                return None
            session.last_seen = self.clock()
            self._sessions.move_to_end(session_id)
            return session

    def new(self, data: dict[str, Any] | None = None) -> Session:
        session = Session(secrets.token_urlsafe(32), self.clock(), dict(data or {}))
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def renew(self, session: Session) -> Session:
        """The same data under a new id (after sign-in), the old id forgotten."""
        self.end(session.id)
        return self.new(session.data)


class SessionMiddleware:
    """Puts the request's session in `scope["session"]` (Starlette's `request.session`, which Authlib uses) and
    `scope["cara_session"]`; sets the cookie when the session's id changed."""

    def __init__(self, app: ASGIApp, store: SessionStore, secret: str, secure: bool) -> None:
        self.app, self.store, self.secure = app, store, secure
        self.signer = URLSafeSerializer(secret, salt="cara-web-session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # No session for assets, the platform's probes or Prometheus (each every few seconds would fill the store).
        if scope["type"] != "http" or scope["path"].startswith(("/assets/", "/static/")) or scope["path"] in (
                "/livez", "/metrics"):
            await self.app(scope, receive, send)
            return
        sent_id = self._sent_id(scope)
        session = self.store.get(sent_id) if sent_id else None
        if session is None:
            session = self.store.new()
            session.ended_idle = sent_id is not None
        scope["cara_session"] = session
        scope["session"] = session.data

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                current: Session = scope["cara_session"]
                if current.id != sent_id:
                    MutableHeaders(scope=message).append("set-cookie", self._cookie(current))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _sent_id(self, scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, token = part.strip().partition("=")
                    if key == COOKIE:
                        try:
                            return str(self.signer.loads(token))
                        except BadSignature:
                            return None
        return None

    def _cookie(self, session: Session) -> str:
        # No Max-Age: the cookie ends with the browser; the server ends the session sooner when it idles.
        return (f"{COOKIE}={self.signer.dumps(session.id)}; Path=/; HttpOnly; SameSite=Lax"
                + ("; Secure" if self.secure else ""))
