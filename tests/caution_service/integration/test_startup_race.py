"""Several processes starting together on a fresh PostgreSQL schema all come up (table creation races)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

START = """
import sys, time
start_at = float(sys.argv[1])
from {module}.config import Settings
from {module}.main import create_app
time.sleep(max(0.0, start_at - time.time()))
create_app(Settings(environment="test", database_url=sys.argv[2], {no_workers}=False))
"""


@pytest.mark.parametrize(("module", "no_workers"), [
    ("services.caution_service", "run_projections"),
    ("services.notification_service", "run_workers"),
])
def test_replicas_starting_at_once_on_a_fresh_schema_all_start(
    postgres_schema_url: str, module: str, no_workers: str
) -> None:
    code = START.format(module=module, no_workers=no_workers)
    start_at = str(time.time() + 4)  # after every interpreter has imported, so the CREATEs really overlap
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    processes = [subprocess.Popen([sys.executable, "-c", code, start_at, postgres_schema_url], env=env,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    failures = [p.communicate(timeout=90)[1] for p in processes if p.wait(timeout=90) != 0]
    assert failures == []
