"""Requests asking for the same page at the same moment share one read (api/shared_reads.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from services.caution_service.api.shared_reads import SharedReads


def test_callers_at_the_same_moment_share_a_read_and_a_later_caller_reads_afresh() -> None:
    release = threading.Event()
    made: list[int] = []

    def read() -> int:
        release.wait(5)
        made.append(1)
        return len(made)

    async def scenario() -> tuple[list[int], int]:
        shared = SharedReads()
        together = [asyncio.create_task(shared.read("page", read)) for _ in range(50)]
        other_key = asyncio.create_task(shared.read("other page", read))
        await asyncio.sleep(0.05)
        release.set()
        answers = await asyncio.gather(*together)
        await other_key
        later = await shared.read("page", read)
        return answers, later

    answers, later = asyncio.run(scenario())
    assert len(set(answers)) == 1 and len(made) == 3  # one read for the 50, one for the other key, one later
    assert later == 3


def test_the_first_caller_going_away_does_not_end_the_read_for_the_others() -> None:
    release = threading.Event()

    async def scenario() -> str:
        shared = SharedReads()
        first = asyncio.create_task(shared.read("page", lambda: release.wait(5) and "the page"))
        second = asyncio.create_task(shared.read("page", lambda: "read twice"))
        await asyncio.sleep(0.05)
        first.cancel()
        release.set()
        return await second

    assert asyncio.run(scenario()) == "the page"


def test_a_failed_read_fails_every_caller_sharing_it_and_the_next_caller_tries_again() -> None:
    calls = []

    def read() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return "the page"

    async def scenario() -> tuple[list[BaseException | str], str]:
        shared = SharedReads()
        together = await asyncio.gather(*(shared.read("page", read) for _ in range(5)), return_exceptions=True)
        return together, await shared.read("page", read)

    together, again = asyncio.run(scenario())
    assert all(isinstance(answer, ConnectionError) for answer in together) and again == "the page"
    with pytest.raises(ZeroDivisionError):
        asyncio.run(SharedReads().read("x", lambda: 1 / 0))
