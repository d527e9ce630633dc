"""Both services' logs, read from real processes: JSON lines with the fields an operator searches by, and none of
the personal data or identifiers the requests carried (an offender's reference in a query, names in a body)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.logging_setup import LogSettings
from tests.service_processes import CautionProcess, NotifyProcess, wait_until
from tests.support import auth, caution_payload

EVERY_LINE = ("timestamp", "level", "logger", "event", "service")
ACCESS_LINE = ("method", "route", "status", "duration_ms", "request_id")


def json_lines(log: str) -> list[dict[str, Any]]:
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "the service wrote nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    return parsed


def assert_every_line_structured(lines: list[dict[str, Any]], service: str) -> None:
    for line in lines:
        assert all(field in line for field in EVERY_LINE), line
        assert line["service"] == service, line
        stamp = datetime.fromisoformat(line["timestamp"])
        assert line["timestamp"].endswith("Z") and stamp.utcoffset() == UTC.utcoffset(None), line


def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [line for line in lines if line["logger"] == "cara.access"]
    for line in found:
        assert all(field in line for field in ACCESS_LINE), line
        assert "?" not in line["route"] and "?" not in line["event"], line
    return found


def test_the_caution_service_logs_json_lines_without_personal_data(tmp_path: Path) -> None:
    service = CautionProcess.on_sqlite(tmp_path / "cautions.sqlite3", tmp_path / "service.log",
                                       CARA_LOG_FORMAT="json").start()
    offender_ref, victim_name, offender_name = "PNC-77/LOGGED9Z", "Quentina Logtrap", "Ozymandias Logtrap"
    try:
        body = caution_payload()
        body["offender"]["name"] = offender_name
        body["victim"]["contact_details"] = {"name": victim_name, "phone": "07700 900999"}
        issued = httpx.post(f"{service.url}/v1/cautions", json=body,
                            headers={**auth("police", subject="officer-4711"), "X-Request-ID": "caller-issue-1"})
        assert issued.status_code == 201, issued.text
        caution_id = issued.json()["id"]
        listed = httpx.get(f"{service.url}/v1/cautions", params={"offender_ref": offender_ref},
                           headers=auth("police", subject="officer-4711"))
        assert listed.status_code == 200, listed.text
        assert httpx.get(f"{service.url}/v1/cautions/{caution_id}", headers=auth("court")).status_code == 200
        refused = httpx.post(f"{service.url}/v1/cautions", json={**body, "victim": {"name": victim_name}},
                             headers=auth("police"))
        assert refused.status_code == 422
    finally:
        service.stop()
    log = service.log()
    for secret in (offender_ref, "LOGGED9Z", victim_name, offender_name, "Logtrap", "07700 900999"):
        assert secret not in log, f"{secret!r} was written to the log"

    lines = json_lines(log)
    assert_every_line_structured(lines, "caution-service")
    assert any(line["event"].startswith("caution service configured") for line in lines), "no start-up message"
    assert any(line["logger"] == "uvicorn.error" and "Uvicorn running on" in line["event"] for line in lines)
    access = access_lines(lines)
    by_route = {(line["method"], line["route"], line["status"]) for line in access}
    assert {("POST", "/v1/cautions", 201), ("GET", "/v1/cautions", 200), ("GET", "/v1/cautions/{caution_id}", 200),
            ("POST", "/v1/cautions", 422)} <= by_route
    issue = next(line for line in access if line.get("caller_request_id") == "caller-issue-1")
    assert issue["request_id"] != "caller-issue-1"  # the service's own id, beside the caller's
    assert issue["principal_id"] == "officer-4711" and issue["role"] == "police" and issue["force"] == "CAMBS"
    assert issued.headers["x-request-id"] == "caller-issue-1"


def test_the_notification_service_sends_its_request_id_to_the_feed_and_logs_the_callers(tmp_path: Path) -> None:
    caution = CautionProcess.on_sqlite(tmp_path / "cautions.sqlite3", tmp_path / "caution.log",
                                       CARA_LOG_FORMAT="json").start()
    notify = NotifyProcess({"CARA_NOTIFY_ENVIRONMENT": "test", "CARA_LOG_FORMAT": "json",
                            "CARA_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'notify.sqlite3'}",
                            "CARA_NOTIFY_CAUTION_FEED_URL": caution.url, "CARA_NOTIFY_FEED_WAIT_SECONDS": "0.2"},
                           tmp_path / "notify.log")
    try:
        notify.start()
        wait_until(lambda: '"route": "/v1/events"' in caution.log(), what="the notification service to read the feed")
        answer = httpx.get(f"{notify.url}/v1/notifications", headers={**auth("police"), "X-Request-ID": "desk-42"})
        assert answer.status_code == 200
    finally:
        notify.stop()
        caution.stop()
    feed_reads = [line for line in access_lines(json_lines(caution.log())) if line["route"] == "/v1/events"]
    assert feed_reads and all(line.get("caller_request_id") for line in feed_reads), feed_reads[:3]
    assert all(line["principal_id"] == "notification-service" for line in feed_reads)

    lines = json_lines(notify.log())
    assert_every_line_structured(lines, "notification-service")
    assert any(line["event"].startswith("notification service configured") for line in lines), "no start-up message"
    inbox = [line for line in access_lines(lines) if line["route"] == "/v1/notifications"]
    assert inbox and inbox[0]["caller_request_id"] == "desk-42" and inbox[0]["role"] == "police"


def test_the_log_format_follows_the_environment_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARA_LOG_FORMAT", raising=False)
    assert LogSettings().chosen_format("production") == "json"
    assert LogSettings().chosen_format("development") == "console"
    monkeypatch.setenv("CARA_LOG_FORMAT", "json")
    assert LogSettings().chosen_format("development") == "json"


def test_a_console_traceback_shows_no_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    """Development logs (console lines): a frame's locals would print request headers, tokens and personal data."""
    import logging.config

    from shared.logging_setup import logging_config

    logging.config.dictConfig(logging_config("test-service", "console"))
    try:
        secret_header = "Bearer eyJ-a-token-of-someone"  # noqa: F841 (a local the traceback must not print)
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("cara.test").exception("failed")
    printed = capsys.readouterr().out
    assert "ValueError: boom" in printed and "eyJ-a-token-of-someone" not in printed
