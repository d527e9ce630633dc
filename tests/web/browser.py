"""The browser side: Debian's Chromium driven by Playwright, each page checked as it is reached.

`Journey.look(name)` is the check every page of a journey gets: a full-page screenshot kept as a test artifact
(test-artifacts/screenshots/<test>/NN-<name>.png), and axe-core run in the page, failing on any serious or critical
violation of WCAG 2.0, 2.1 and 2.2 A and AA; `no-store` on the answer is checked too. Nothing is downloaded: the
browser is the system's (`.ci/run` installs it when missing) and axe-core comes from the web application's npm
packages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Response

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
# Flags for a headless browser as root on a machine with no network beyond loopback (its background services
# would otherwise keep trying to reach the internet).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def launch(playwright: Any) -> Browser:
    browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return browser


class Journey:
    """One test's browser tab on the web application, numbering the pages it looks at."""

    def __init__(self, page: Page, base_url: str, test_name: str) -> None:
        self.page, self.base_url = page, base_url
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.seen = 0
        self.last_response: Response | None = None
        page.on("response", self._remember)

    def _remember(self, response: Response) -> None:
        if response.request.resource_type == "document":
            self.last_response = response

    def go(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def look(self, name: str) -> list[dict[str, Any]]:
        """Screenshot, accessibility check and no-store for the page now shown; returns axe's lesser findings."""
        self.seen += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.seen:02d}-{name}.png"), full_page=True)
        if self.last_response is not None:
            assert self.last_response.headers.get("cache-control") == "no-store", self.last_response.url
        # Run from the test, through the browser's debugging protocol: the page's CSP admits no script of ours.
        if not self.page.evaluate("typeof axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text() + "\n;undefined")
        result = self.page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        blocking = [v for v in result["violations"] if v.get("impact") in BLOCKING]
        assert not blocking, f"{name}: accessibility violations " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in blocking)
        return [v for v in result["violations"] if v.get("impact") not in BLOCKING]

    def sign_in(self, role: str, force: str = "CAMBS", name: str = "") -> None:
        """The development sign-in page: pick a role and force."""
        page = self.go("/sign-in")
        page.get_by_label(role_label(role), exact=True).check()
        page.get_by_label("Force").select_option(force)
        if name:
            page.get_by_label("Your name (optional)").fill(name)
        page.get_by_role("button", name="Sign in").click()

    def text(self) -> str:
        return self.page.inner_text("body")

    def html(self) -> str:
        return self.page.content()


def role_label(role: str) -> str:
    text = role.replace("_", " ")
    return text[:1].upper() + text[1:]
