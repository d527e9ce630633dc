"""The three processes the browser tests drive: caution service, notification service and web application, each
`python -m ...` on a free port over SQLite files, as `make run` starts them; and the data a journey starts from,
put in through the caution service's API as a police system would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.service_processes import CautionProcess, NotifyProcess, WebProcess
from tests.support import auth, caution_payload


@dataclass
class Stack:
    caution: CautionProcess
    notify: NotifyProcess
    web: WebProcess

    @classmethod
    def start(cls, directory: Path, **web_env: str) -> Stack:
        caution = CautionProcess.on_sqlite(directory / "cautions.sqlite3", directory / "caution.log").start()
        notify = NotifyProcess({"CARA_NOTIFY_ENVIRONMENT": "test",
                                "CARA_NOTIFY_DATABASE_URL": f"sqlite:///{directory / 'notify.sqlite3'}",
                                # the default long-poll: a stack idles quietly while timing tests run beside it
                                "CARA_NOTIFY_CAUTION_FEED_URL": caution.url},
                               directory / "notify.log").start()
        web = WebProcess({"CARA_WEB_ENVIRONMENT": "test", "CARA_WEB_CAUTION_URL": caution.url,
                          "CARA_WEB_NOTIFY_URL": notify.url, **web_env}, directory / "web.log").start()
        return cls(caution, notify, web)

    def stop(self) -> None:
        for process in (self.web, self.notify, self.caution):
            process.stop()

    @property
    def url(self) -> str:
        return self.web.url

    def issue(self, force: str = "CAMBS", days_ago: int = 1, **overrides: Any) -> dict[str, Any]:
        """A caution issued through the API by a police system, `days_ago` days ago."""
        body = caution_payload(occurred_at=datetime.now(UTC) - timedelta(days=days_ago), **overrides)
        answer = httpx.post(f"{self.caution.url}/v1/cautions", json=body, headers=auth("police", force), timeout=10)
        assert answer.status_code == 201, answer.text
        return {**answer.json(), "sent": body}

    def caution_call(self, method: str, path: str, role: str, force: str = "CAMBS", **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.caution.url}{path}", headers=auth(role, force), timeout=10, **kwargs)
