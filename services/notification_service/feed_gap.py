"""Reads the events a JetStream consumer found missing from the caution service's HTTP feed.

The stream hands back an unacknowledged batch only after the durable's ack wait, and a brand-new notification
database may start before the stream's first message; the feed has every position, so a hole can be filled
at once instead of waiting. The request is the one FeedConsumer makes, with the same token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from shared.http import REQUEST_ID, outgoing_request_id

PAGE = 500


class FeedGapReader:
    def __init__(self, feed_url: str, token: Callable[[], str], timeout: float = 10.0) -> None:
        self.feed_url = feed_url.rstrip("/")
        self.token = token
        self.client = httpx.Client(timeout=timeout)

    def between(self, after: int, before: int) -> list[dict[str, Any]]:
        """The events after `after` and before `before`, in order: the feed's pages are contiguous, so what it
        does not return between the two does not exist (a hole in the positions, on PostgreSQL)."""
        found: list[dict[str, Any]] = []
        while after < before - 1:
            page = self._page(after, min(before - 1 - after, PAGE))
            items = [e for e in page["items"] if isinstance(e.get("position"), int) and e["position"] < before]
            found += items
            if len(items) < len(page["items"]) or page["next_after"] <= after:
                break  # the feed has reached `before`, or has nothing more yet
            after = page["next_after"]
        return found

    def _page(self, after: int, limit: int) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token()}", REQUEST_ID: outgoing_request_id()}
        response = self.client.get(f"{self.feed_url}/v1/events", params={"after": after, "limit": limit, "wait": 0},
                                   headers=headers)
        if response.status_code == 401 and hasattr(self.token, "invalidate"):
            self.token.invalidate()  # revoked or expired early: the next gap asks the identity provider again
        response.raise_for_status()
        page: dict[str, Any] = response.json()
        return page
