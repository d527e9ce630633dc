"""`make rotate-keys` as an operator runs it: a process reading CARA_DATABASE_URL and CARA_MASTER_KEYS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from services.caution_service.migrations import migrate
from services.caution_service.rotate_keys import main
from shared.keyring import KeyRing, MasterKeys, person_keys

ROOT = Path(__file__).resolve().parents[3]
OLD, NEW = MasterKeys.generate("2026-01"), MasterKeys.generate("2026-12")


def rotate(database_url: str, master_keys: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARA_DATABASE_URL": database_url, "CARA_MASTER_KEYS": master_keys, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "services.caution_service.rotate_keys"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_rotation_rewraps_the_stores_keys_and_the_old_master_can_then_go(database_url: str) -> None:
    engine = create_engine(database_url)
    migrate(engine)
    before = KeyRing(engine, MasterKeys.parse(OLD))
    seals = [before.seal(before.new_key(), f"person {n}") for n in range(3)]

    done = rotate(database_url, f"{NEW},{OLD}")
    assert done.returncode == 0, done.stderr
    assert "3 data keys rewrapped under master key 2026-12" in done.stdout
    again = rotate(database_url, f"{NEW},{OLD}")
    assert "0 data keys rewrapped" in again.stdout

    after = KeyRing(engine, MasterKeys.parse(NEW))
    assert [after.open(seal) for seal in seals] == ["person 0", "person 1", "person 2"]
    with engine.connect() as connection:
        assert set(connection.execute(select(person_keys.c.master_key_id)).scalars()) == {"2026-12"}
    engine.dispose()


def test_without_the_master_key_in_use_it_says_so_and_changes_nothing(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    migrate(engine)
    KeyRing(engine, MasterKeys.parse(OLD)).new_key()
    refused = rotate(sqlite_url, NEW)
    assert refused.returncode == 1
    assert "master key 2026-01" in refused.stderr and "CARA_MASTER_KEYS" in refused.stderr
    with engine.connect() as connection:
        assert set(connection.execute(select(person_keys.c.master_key_id)).scalars()) == {"2026-01"}
    engine.dispose()


def test_a_malformed_master_key_is_refused_at_start(sqlite_url: str) -> None:
    refused = rotate(sqlite_url, "2026-12:dG9vLXNob3J0")  # base64url of 9 bytes
    assert refused.returncode == 2 and "master key 2026-12 must be 32 bytes" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_generated_master_key_is_one_the_settings_accept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--generate", "2027-01"]) == 0
    masters = MasterKeys.parse(capsys.readouterr().out.strip())
    assert masters.current == "2027-01" and len(masters.keys["2027-01"]) == 32
