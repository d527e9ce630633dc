"""Runs the caution service as a real process on a free port, on a SQLite file that outlives it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service_processes import CautionProcess

ServiceProcess = CautionProcess  # the name the process tests import


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    process = CautionProcess.on_sqlite(tmp_path / "cautions.sqlite3", tmp_path / "service.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()
