"""`python -m tests.caution_service.e2e.long_polls URL N ROUNDS`: N feed subscribers long-polling at the head,
ROUNDS times, in a process of their own (so the test's measurements do not share a core with their client
work). Prints "waiting" once the round's polls are sent, and "woken" once every one has been answered."""

from __future__ import annotations

import asyncio
import sys

import httpx

from tests.support import auth


async def one_round(url: str, subscribers: int, subscriber: dict[str, str]) -> None:
    # A client of its own per round: uvicorn closes a keep-alive connection idle for 5 s, and a round on a busy
    # machine can take longer than that, so a connection pooled in one round and reused in the next could be
    # closed by the server just as the request is sent ("Server disconnected without sending a response").
    limits = httpx.Limits(max_connections=subscribers + 10, max_keepalive_connections=subscribers + 10)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        head = (await client.get("/v1/events", params={"limit": 1}, headers=subscriber)).json()["head"]
        polls = [asyncio.create_task(client.get("/v1/events", params={"after": head, "wait": 30},
                                                headers=subscriber)) for _ in range(subscribers)]
        await asyncio.sleep(1.0)
        print("waiting", flush=True)
        answers = await asyncio.gather(*polls)
    assert all(a.status_code == 200 and a.json()["items"] for a in answers)
    print("woken", flush=True)


async def main(url: str, subscribers: int, rounds: int) -> None:
    subscriber = auth("subscriber", "CAMBS")
    for _ in range(rounds):
        await one_round(url, subscribers, subscriber)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
