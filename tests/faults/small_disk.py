"""A small file system of the test's own (tmpfs), to fill up, free and make read-only under a running service."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


class SmallDisk:
    def __init__(self, path: Path, size: str = "32m") -> None:
        self.path, self.size = path, size
        self.filler = path / "filler"

    def _mount(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)

    def mount(self) -> SmallDisk:
        self.path.mkdir(parents=True, exist_ok=True)
        done = self._mount("-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", str(self.path))
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs for the disk faults (needs root): {done.stderr.strip()}")
        return self

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)

    def fill(self) -> None:
        """Until the file system refuses another byte."""
        descriptor = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 1 << 12, 1):
                try:
                    while True:
                        os.write(descriptor, b"\0" * size)
                except OSError:  # full at this size: go on with smaller writes
                    pass
        finally:
            os.close(descriptor)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def read_only(self) -> None:
        done = self._mount("-o", "remount,ro", str(self.path))
        assert done.returncode == 0, done.stderr  # refused (busy) while any file on it is open for writing

    def writable(self) -> None:
        done = self._mount("-o", "remount,rw", str(self.path))
        assert done.returncode == 0, done.stderr
