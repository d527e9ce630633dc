"""The two services, called over HTTP with the signed-in person's token: the web application holds no data.

An answer the page can act on (a refusal with its reasons) comes back as `ApiProblem`; a service that cannot
answer now (unreachable, timed out, 5xx) as `ServiceUnavailable`, which becomes a 503 page with Retry-After.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from .config import WebSettings

RETRY_AFTER_SECONDS = 5


@dataclass
class ApiProblem(Exception):
    """A 4xx answer, its RFC 9457 body as sent (title, detail, errors)."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.problem.get("title") or "The request was refused")

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or "")

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.problem.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class ServiceUnavailable(Exception):
    def __init__(self, service: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(f"the {service} did not answer")
        self.service, self.retry_after = service, retry_after


def backend_of(request: Any) -> Backend:
    """The application's backend, from a request (create_app puts it in the app's state)."""
    found: Backend = request.app.state.backend
    return found


def if_match(version: Any) -> dict[str, str]:
    """If-Match for the version a form was drawn from; none when the form carried none (or not a number)."""
    text = str(version or "").strip()
    return {"If-Match": f'"{text}"'} if text.isdigit() else {}


class Backend:
    def __init__(self, settings: WebSettings) -> None:
        timeout = httpx.Timeout(settings.service_timeout_seconds)
        self._clients = {
            "caution service": httpx.AsyncClient(base_url=settings.caution_url, timeout=timeout),
            "notification service": httpx.AsyncClient(base_url=settings.notify_url, timeout=timeout),
        }

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def caution(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return await self._call("caution service", method, path, token, **kwargs)

    async def notify(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return await self._call("notification service", method, path, token, **kwargs)

    async def _call(self, service: str, method: str, path: str, token: str, *, params: dict[str, Any] | None = None,
                    json: Any = None, headers: dict[str, str] | None = None,
                    idempotency_key: str | None = None) -> httpx.Response:
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        if method == "POST":
            # Each form carries its own key (rendered with the page), so a double submission is replayed, not
            # recorded twice; a call without one gets a fresh key.
            sent["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self._clients[service].request(method, path, params=clean, json=json, headers=sent)
        except httpx.HTTPError:
            raise ServiceUnavailable(service) from None
        if response.status_code >= 500:
            retry = response.headers.get("Retry-After", "")
            raise ServiceUnavailable(service, int(retry) if retry.isdigit() else RETRY_AFTER_SECONDS)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ApiProblem(response.status_code, body if isinstance(body, dict) else {})
        return response
