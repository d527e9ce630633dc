"""`make run` (services/run_local.py) on ports of its own: the notification service reads the caution service it
started, the web application answers beside them, and each process's log lines say which wrote them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from services.run_local import read_env_file, service_commands
from services.web.signin import PEOPLE_ROLES
from shared.auth import Role
from tests.service_processes import ROOT, free_port, wait_until


def test_one_port_setting_points_the_notification_service_at_the_caution_service(tmp_path: Path) -> None:
    caution_port, notify_port, web_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CAUTION_PORT": str(caution_port), "NOTIFY_PORT": str(notify_port),
           "WEB_PORT": str(web_port),
           "CARA_LOG_FORMAT": "json", "CARA_NOTIFY_FEED_WAIT_SECONDS": "0.2"}
    env.pop("CARA_NOTIFY_CAUTION_FEED_URL", None)
    output = tmp_path / "run.log"
    with output.open("wb") as log:  # in tmp_path: var/ and its databases are made there
        run = subprocess.Popen([sys.executable, "-m", "services.run_local"], cwd=tmp_path, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def feed_read_by_notification_service() -> bool:
            for line in output.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    entry = json.loads(line)
                    if entry.get("route") == "/v1/events" and entry.get("principal_id") == "notification-service":
                        return entry["service"] == "caution-service"
            return False

        wait_until(feed_read_by_notification_service, timeout=60,
                   what=f"the notification service to read the caution service on port {caution_port}")
        start_page = wait_until(lambda: _answer(f"http://127.0.0.1:{web_port}/"), timeout=60, what="the web app")
        assert "Sign in" in start_page
        for role in PEOPLE_ROLES:  # each role signs in as `make run` starts it, and reaches its first page
            landed = _signed_in_page(f"http://127.0.0.1:{web_port}", role)
            assert landed.status_code == 200 and "Signed in as" in landed.text, (role, landed.status_code)
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=20)
    services = {json.loads(line)["service"] for line in output.read_text().splitlines() if line.startswith("{")}
    assert services == {"caution-service", "notification-service", "web"}


def _signed_in_page(web: str, role: Role) -> httpx.Response:
    with httpx.Client(base_url=web, timeout=10, follow_redirects=True) as browser:
        form = browser.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        return browser.post("/sign-in/development", data={"csrf_token": token.group(1), "role": role.value,
                                                          "force": "CAMBS"})


def _answer(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return None


def test_set_variables_win_over_the_env_file_and_the_default_feed(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# a comment\nCARA_FORCE_CONDITIONS={"CAMBS": {"caution_period_days": 90}}\nCAUTION_PORT=9100\n')
    read = read_env_file(dotenv)
    assert read == {"CARA_FORCE_CONDITIONS": '{"CAMBS": {"caution_period_days": 90}}', "CAUTION_PORT": "9100"}
    (_, caution, _), (_, _, notify_env), _ = service_commands(read)
    assert caution[-1] == "9100" and notify_env["CARA_NOTIFY_CAUTION_FEED_URL"] == "http://127.0.0.1:9100"
    (_, _, notify_env), (_, _, web_env) = service_commands({"CARA_NOTIFY_CAUTION_FEED_URL": "http://feed.example:8000",
                                                            "NOTIFY_PORT": "9101"})[1:]
    assert notify_env["CARA_NOTIFY_CAUTION_FEED_URL"] == "http://feed.example:8000"
    assert web_env["CARA_WEB_NOTIFY_URL"] == "http://127.0.0.1:9101"
