"""PositionWatch: requests wait on the event loop; one watcher asks for the position while anyone waits,
and only then."""

from __future__ import annotations

import asyncio
import logging

import pytest

from services.caution_service.position_watch import PositionWatch


class Store:
    def __init__(self) -> None:
        self.head = 5
        self.failing = False

    def read(self) -> int:
        if self.failing:
            raise ConnectionError("database unreachable")
        return self.head


def test_every_reader_behind_the_head_is_released_and_the_rest_wait_on() -> None:
    store = Store()
    watch = PositionWatch("the test head", store.read, every=0.01)

    async def scenario() -> list[bool]:
        behind = [asyncio.create_task(watch.wait_past(4, 5.0)) for _ in range(3)]
        level = asyncio.create_task(watch.wait_past(5, 0.05))  # times out before the head moves
        later = asyncio.create_task(watch.wait_past(5, 5.0))
        await asyncio.sleep(0.1)
        assert all(t.done() for t in behind) and level.done() and not later.done()
        store.head = 6
        return [*(await asyncio.gather(*behind)), await level, await later]

    assert asyncio.run(scenario()) == [True, True, True, False, True]


def test_the_store_is_asked_only_while_someone_waits_and_once_per_look_for_everyone() -> None:
    store = Store()
    watch = PositionWatch("the test head", store.read, every=0.05)

    async def scenario() -> tuple[int, int, int]:
        await asyncio.gather(*(watch.wait_past(9, 0.25) for _ in range(50)))
        while_waiting = watch.looks
        await asyncio.sleep(0.3)
        after = watch.looks
        await watch.wait_past(0, 1.0)  # already past: released at the first look
        return while_waiting, after, watch.looks

    while_waiting, after, again = asyncio.run(scenario())
    assert 3 <= while_waiting <= 8  # ~one look per 50 ms for all 50 readers, not 50 per look
    assert after == while_waiting  # nobody waiting: nobody asks
    assert again == after + 1


def test_a_failing_store_read_is_logged_and_the_watch_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    store.failing = True
    watch = PositionWatch("the test head", store.read, every=0.01)

    async def scenario() -> tuple[bool, bool]:
        first = await watch.wait_past(5, 0.1)
        store.failing, store.head = False, 7
        return first, await watch.wait_past(5, 1.0)

    with caplog.at_level(logging.ERROR, logger="cara.caution.position_watch"):
        assert asyncio.run(scenario()) == (False, True)
    assert "could not read the test head" in caplog.text


def test_no_wait_asked_means_no_wait() -> None:
    store = Store()
    watch = PositionWatch("the test head", store.read, every=0.1)
    assert asyncio.run(watch.wait_past(0, 0)) is False
    assert watch.looks == 0


def test_a_poke_releases_at_once_instead_of_at_the_next_look() -> None:
    """Where this process moved the position itself (its projector's batch), waiters need not wait for a look."""
    store = Store()
    watch = PositionWatch("the test head", store.read, every=10.0)  # a look only every 10 s

    async def scenario() -> tuple[float, float, int]:
        loop = asyncio.get_running_loop()
        waiting = asyncio.create_task(watch.wait_past(5, 5.0))
        await asyncio.sleep(0.05)  # the first look has found nothing new
        started = loop.time()
        await asyncio.to_thread(watch.poke, 6)  # from another thread, with the new position
        assert await waiting
        told = loop.time() - started
        store.head = 7
        waiting = asyncio.create_task(watch.wait_past(6, 5.0))
        await asyncio.sleep(0.05)
        started = loop.time()
        watch.poke()  # moved, position unknown: look again now
        assert await waiting
        return told, loop.time() - started, watch.looks

    told, looked, looks = asyncio.run(scenario())
    assert told < 0.5 and looked < 0.5
    assert looks == 2  # the watcher's first look, and the one the bare poke asked for; the poke with 6 needed none


def test_a_poke_with_nobody_waiting_does_nothing() -> None:
    watch = PositionWatch("the test head", Store().read, every=0.01)
    watch.poke(9)
    watch.poke()
    assert watch.looks == 0
