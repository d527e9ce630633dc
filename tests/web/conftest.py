"""One stack (three processes) and one browser per test worker; each test a fresh browser context (no cookies)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.web.browser import CHROMIUM, Journey, launch
from tests.web.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    started = Stack.start(tmp_path_factory.mktemp("web-stack"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"the browser tests drive Debian's Chromium at {CHROMIUM}: apt-get install chromium "
                    "(.ci/run installs it when missing)")
    opened = launch(playwright)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def journey(browser: Browser, stack: Stack, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        yield Journey(context.new_page(), stack.url, request.node.name)
    finally:
        context.close()
