"""A session's register, recorded in one request, reaches the inboxes exactly as the same entries recorded one by one.

Both services run as processes on the real clock. A session of ten starts a few seconds after it is planned (bookings
close when it starts; its register opens then); two did not attend, one arrived late and one was sent home. The
police must be asked for an excuse decision on each of the four misses, once, and on nobody who attended; the
provider hears of its referrals; nothing names the offender.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service_processes import CautionProcess, NotifyProcess, wait_until
from tests.support import auth, caution_payload, iso

FORCE = "CAMBS"
OFFENDER_NAME = "Bartholomew Registercheck"
OUTCOMES = ["did_not_attend", "did_not_attend", "arrived_late", "sent_home"] + ["attended"] * 6


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[CautionProcess, NotifyProcess]]:
    caution = CautionProcess({"CARA_DATABASE_URL": f"sqlite:///{tmp_path}/cautions.sqlite3",
                              "CARA_ENVIRONMENT": "test"}, tmp_path / "caution.log")
    notify = NotifyProcess({"CARA_NOTIFY_ENVIRONMENT": "test",
                            "CARA_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path}/notify.sqlite3",
                            "CARA_NOTIFY_FEED_WAIT_SECONDS": "1"}, tmp_path / "notify.log")
    try:
        caution.start()
        notify.env["CARA_NOTIFY_CAUTION_FEED_URL"] = caution.url
        notify.start()
        yield caution, notify
    finally:
        notify.stop()
        caution.stop()


def _created(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _inbox(notify: NotifyProcess, role: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{notify.url}/v1/notifications", params={"limit": 200}, headers=auth(role, FORCE), timeout=10)
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


def test_a_register_of_ten_asks_the_police_about_each_miss_once(services: tuple[CautionProcess, NotifyProcess]) -> None:
    caution, notify = services
    police, provider = auth("police", FORCE), auth("provider", FORCE)
    with httpx.Client(base_url=caution.url, timeout=10) as client:
        venue = _created(client.post("/v1/venues", headers=provider, json={
            "name": "Cambridge Hub, Room 2", "address": "1 Hills Road, Cambridge", "postcode": "CB2 1PH",
            "accessible": True}))
        issued_at = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
        cautions = [_created(client.post("/v1/cautions", headers=police,
                                         json=caution_payload(issued_at, offender={"name": OFFENDER_NAME})))
                    for _ in range(10)]
        # Ten bookings take well under a second; the margin is for a busy machine.
        starts_at = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
        session = _created(client.post("/v1/workshop-sessions", headers=provider, json={
            "workshop": "A", "venue_id": venue["id"], "starts_at": iso(starts_at),
            "ends_at": iso(starts_at + timedelta(hours=2)), "capacity": 10, "group": "mens",
            "facilitators": ["FAC-1"], "provider": "Respect Partnership"}))
        for booked in cautions:
            _created(client.post(f"/v1/workshop-sessions/{session['id']}/bookings", headers=provider,
                                 json={"caution_id": booked["id"]}))
        time.sleep(max(0.0, (starts_at - datetime.now(UTC)).total_seconds()) + 0.5)
        lines = [{"caution_id": c["id"], "outcome": o} for c, o in zip(cautions, OUTCOMES, strict=True)]
        held = _created(client.post(f"/v1/workshop-sessions/{session['id']}/register", json={"lines": lines},
                                    headers={**provider, "Idempotency-Key": uuid.uuid4().hex}))
    assert held["status"] == "held"

    references = {c["police_reference"]: outcome for c, outcome in zip(cautions, OUTCOMES, strict=True)}
    missed = {ref for ref, outcome in references.items() if outcome != "attended"}

    def asked_about() -> Counter[str]:
        return Counter(ref for n in _inbox(notify, "police") if n["kind"] == "excuse_decision_needed"
                       for ref in references if ref in n["title"])

    wait_until(lambda: set(asked_about()) == missed, timeout=30, what="the police asked about each miss")
    time.sleep(1.5)  # a second reading of the feed would double them now, if anything did
    assert asked_about() == Counter({ref: 1 for ref in missed})
    texts = {n["body"] for n in _inbox(notify, "police") if n["kind"] == "excuse_decision_needed"}
    assert any("sent home" in text for text in texts) and any("arrived late" in text for text in texts)
    referrals = [n for n in _inbox(notify, "provider") if n["kind"] == "new_referral"]
    assert {ref for ref in references if any(ref in n["title"] for n in referrals)} == set(references)
    every = str(_inbox(notify, "police")) + str(_inbox(notify, "provider"))
    assert OFFENDER_NAME not in every
