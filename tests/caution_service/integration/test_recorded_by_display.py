"""Who recorded each entry by name and rank or collar number (issue 17 item 7): the token's display claims are
stored on the event and shown in the compliance history; entries recorded without them keep exactly the content
and the hash they had; and the event feed, which subscribers (and so notifications) read, names nobody."""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import UUID

import pytest

from services.caution_service.projections.entries import entry_content
from shared.history_verifier import GENESIS, canonical_json, entry_hash
from tests.caution_fixtures import recorded_events
from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, ok, quiet_client
from tests.support import FakeClock, app_state, auth

OFFICER = {"name": "Morwenna Tregarthen", "rank": "Detective Sergeant", "collar_number": "4471"}
FACILITATOR = {"name": "Ana Ćosić"}  # non-ASCII: hashed as itself (canonical JSON, ensure_ascii=False)


@pytest.fixture
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


BOTH = pytest.mark.parametrize("steps", BACKENDS, indirect=True)


@pytest.fixture
def mixed(steps: ReadSteps) -> str:
    """A completed caution: issued by a named sergeant, booked by an account with no display claims (as every entry
    was before they were taken), attended as recorded by a named facilitator, completed by the sergeant."""
    named_police = auth("police", subject="officer-named", **OFFICER)
    steps.police = named_police
    cid = steps.issue()["id"]
    steps.provider = auth("provider", subject="provider-plain")
    steps.run(steps.schedule(cid, "A", 10), steps.schedule(cid, "B", 40))
    steps.provider = auth("provider", subject="provider-named", **FACILITATOR)
    steps.run(steps.attend(cid, "A", 10), steps.contact_victim(cid, 12), steps.attend(cid, "B", 40),
              steps.complete(cid, 41))
    steps.project()
    return cid


def _by_entry(steps: ReadSteps, cid: str) -> dict[int, dict[str, str]]:
    return {e["entry"]: e["recorded_by"] for e in ok(steps.history(cid))["entries"]}


@BOTH
def test_the_history_names_who_recorded_each_entry_when_their_token_did(steps: ReadSteps, mixed: str) -> None:
    by = _by_entry(steps, mixed)
    assert by[1] == {"id": "officer-named", "role": "police", "force": "CAMBS", **OFFICER}
    # Recorded without display claims: exactly the three keys entries always had, no `"name": null`.
    assert by[2] == by[3] == {"id": "provider-plain", "role": "provider", "force": "CAMBS"}
    assert by[4] == by[6] == {"id": "provider-named", "role": "provider", "force": "CAMBS", **FACILITATOR}
    assert by[7] == by[1]


@BOTH
def test_old_and_new_entries_both_verify_and_hash_as_their_content_says(steps: ReadSteps, mixed: str) -> None:
    report = steps.verification(mixed)
    assert (report["intact"], report["entries_checked"]) == (True, 7)
    previous = GENESIS
    for entry in ok(steps.history(mixed))["entries"]:
        content = {k: entry[k] for k in ("caution_id", "entry", "event_type", "summary", "occurred_at",
                                         "recorded_at", "recorded_by", "details", "corrects_entry")}
        assert entry["hash"] == entry_hash(content, previous)
        previous = entry["hash"]


def test_an_entry_without_display_claims_is_hashed_exactly_as_before_they_existed(steps: ReadSteps,
                                                                                   mixed: str) -> None:
    """The content of an entry recorded without them has no display key at all, so its canonical JSON, and with
    it every hash of every entry recorded before this change, is what it was."""
    app = app_state(steps.client).cautions
    event = list(app.events.get(UUID(mixed)))[1]
    content = entry_content(event)
    assert content["recorded_by"] == {"id": "provider-plain", "role": "provider", "force": "CAMBS"}
    assert '"recorded_by":{"force":"CAMBS","id":"provider-plain","role":"provider"}' in canonical_json(content)


def test_the_stored_event_holds_the_display_claims_only_when_given(steps: ReadSteps, mixed: str) -> None:
    stored = {n.originator_version: json.loads(n.state) for n in recorded_events(steps.client, mixed)}
    assert stored[2]["recorded_by"]["_data_"] == {"id": "provider-plain", "role": "provider", "force": "CAMBS"}
    assert stored[1]["recorded_by"]["_data_"] == {"id": "officer-named", "role": "police", "force": "CAMBS",
                                                   **OFFICER}


def test_the_feed_names_nobody_who_recorded_an_event(steps: ReadSteps, mixed: str) -> None:
    page = ok(steps.client.get("/v1/events", params={"limit": 100}, headers=auth("subscriber")))
    mine = [e for e in page["items"] if e["subject"] == mixed]
    assert len(mine) == 7
    assert {tuple(sorted(e["data"]["recorded_by"])) for e in mine} == {("force", "id", "role")}
    text = json.dumps(page, ensure_ascii=False)
    for value in ("Morwenna Tregarthen", "Detective Sergeant", "Ana Ćosić", "collar_number"):
        assert value not in text
