"""Reads the events a JetStream consumer found missing from the caution service's HTTP feed.

The stream hands back an unacknowledged batch only after the durable's ack wait, and a brand-new notification
database may start before the stream's first message; the feed has every position, so a hole can be filled
at once instead of waiting. The request is the one FeedConsumer makes, with the same token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

PAGE = 500


class FeedGapReader:
    def __init__(self, feed_url: str, token: Callable[[], str], timeout: float = 10.0) -> None:
        self.feed_url = feed_url.rstrip("/")
        self.token = token
        self.client = httpx.Client(timeout=timeout)

    def between(self, after: int, before: int) -> list[dict[str, Any]]:
        """The events after `after` and before `before`, in order; fewer if the feed has not got them all."""
        found: list[dict[str, Any]] = []
        while after < before - 1:
            items = [e for e in self._page(after, min(before - 1 - after, PAGE))
                     if isinstance(e.get("position"), int) and e["position"] < before]
            if not items:
                break
            found += items
            after = items[-1]["position"]
        return found

    def _page(self, after: int, limit: int) -> list[dict[str, Any]]:
        response = self.client.get(f"{self.feed_url}/v1/events", params={"after": after, "limit": limit, "wait": 0},
                                   headers={"Authorization": f"Bearer {self.token()}"})
        if response.status_code == 401 and hasattr(self.token, "invalidate"):
            self.token.invalidate()  # revoked or expired early: the next gap asks the identity provider again
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items
