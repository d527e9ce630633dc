"""The notification service API: inbox scoped by role and force, cursor paging, subscriptions, consumer status."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.notification_service.config import Settings
from services.notification_service.main import create_app
from tests.service_processes import cloud_event, issued_event
from tests.support import FakeClock, app_state, auth


@pytest.fixture
def notify(tmp_path: Any, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False)
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def apply(client: TestClient, events: list[dict[str, Any]]) -> None:
    store = app_state(client).store
    store.apply_page(events, head=events[-1]["position"], next_after=events[-1]["position"])


def referrals(client: TestClient, clock: FakeClock, count: int, force: str = "CAMBS", start: int = 1) -> list[str]:
    """`count` issued cautions (one provider referral each), a minute apart; returns the caution ids."""
    ids = []
    for offset in range(count):
        cid = str(uuid.uuid4())
        ids.append(cid)
        apply(client, [issued_event(cid, start + offset, force=force, reference=f"CC-{force}-{offset}")])
        clock.advance(minutes=1)
    return ids


def get(client: TestClient, path: str, role: str, force: str = "CAMBS", **params: Any) -> Any:
    return client.get(path, params=params, headers=auth(role, force))


def test_the_inbox_shows_only_the_callers_role_and_force(notify: TestClient, clock: FakeClock) -> None:
    cid = referrals(notify, clock, 1)[0]
    apply(notify, [cloud_event("WorkshopAAttended", cid, 2, 2), cloud_event("Completed", cid, 3, 3)])
    referrals(notify, clock, 1, force="NORFOLK", start=4)

    def kinds(role: str, force: str = "CAMBS") -> list[str]:
        response = get(notify, "/v1/notifications", role, force)
        assert response.status_code == 200, response.text
        assert all(item["recipient_role"] == role and item["force"] == force for item in response.json()["items"])
        return [item["kind"] for item in response.json()["items"]]

    assert kinds("provider") == ["new_referral"]
    assert sorted(kinds("victim_contact")) == ["completion_contact_due", "victim_contact_due"]
    assert kinds("police") == ["caution_completed"]
    assert kinds("provider", "NORFOLK") == ["new_referral"]
    assert kinds("police", "NORFOLK") == []


@pytest.mark.parametrize("role", ["court", "subscriber", "admin"])
def test_other_roles_cannot_read_the_inbox(notify: TestClient, role: str) -> None:
    assert get(notify, "/v1/notifications", role).status_code == 403
    assert notify.get("/v1/notifications").status_code == 401


def test_one_notification_is_visible_only_to_its_role_and_force(notify: TestClient, clock: FakeClock) -> None:
    referrals(notify, clock, 1)
    (note,) = get(notify, "/v1/notifications", "provider").json()["items"]
    found = get(notify, f"/v1/notifications/{note['id']}", "provider")
    assert found.status_code == 200
    assert {k: v for k, v in found.json().items() if k != "deliveries"} == note
    assert found.json()["deliveries"] == []  # no subscriptions, no email addresses configured
    for role, force in (("police", "CAMBS"), ("victim_contact", "CAMBS"), ("provider", "NORFOLK")):
        response = get(notify, f"/v1/notifications/{note['id']}", role, force)
        assert response.status_code == 404, (role, force)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert get(notify, f"/v1/notifications/{uuid.uuid4()}", "provider").status_code == 404
    assert get(notify, "/v1/notifications/not-a-uuid", "provider").status_code == 422


def test_the_inbox_filters_by_caution(notify: TestClient, clock: FakeClock) -> None:
    ids = referrals(notify, clock, 3)
    items = get(notify, "/v1/notifications", "provider", caution_id=ids[1]).json()["items"]
    assert [item["caution_id"] for item in items] == [ids[1]]
    assert get(notify, "/v1/notifications", "provider", caution_id=str(uuid.uuid4())).json()["items"] == []
    assert get(notify, "/v1/notifications", "provider", caution_id="nope").status_code == 422


def test_the_inbox_pages_newest_first_with_a_cursor(notify: TestClient, clock: FakeClock) -> None:
    ids = referrals(notify, clock, 5)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = get(notify, "/v1/notifications", "provider", **params)
        assert response.status_code == 200
        body = response.json()
        seen += [item["caution_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"] and "cursor=" in response.headers["link"]
    assert pages == 3
    assert seen == list(reversed(ids))


def test_notifications_created_at_the_same_moment_page_without_loss(notify: TestClient) -> None:
    events = [issued_event(str(uuid.uuid4()), position, reference=f"CC-{position}") for position in range(1, 8)]
    apply(notify, events)  # one page, one clock reading: the id breaks the tie
    seen: list[str] = []
    cursor = None
    while True:
        body = get(notify, "/v1/notifications", "provider", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


def test_a_forged_cursor_is_a_problem_not_an_error(notify: TestClient) -> None:
    response = get(notify, "/v1/notifications", "provider", cursor="bm90LWpzb24=")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_subscriptions_are_admin_only_and_force_scoped(notify: TestClient) -> None:
    body = {"url": "https://93.184.215.14/hook", "event_types": ["new_referral"]}
    assert notify.post("/v1/subscriptions", json=body, headers=auth("police")).status_code == 403
    created = notify.post("/v1/subscriptions", json=body, headers=auth("admin"))
    assert created.status_code == 201
    sub = created.json()
    assert sub["force"] == "CAMBS" and sub["active"] is True and len(sub["secret"]) >= 32  # generated, shown once
    assert created.headers["location"] == f"/v1/subscriptions/{sub['id']}"
    listed = get(notify, "/v1/subscriptions", "admin").json()["items"]
    assert [s["id"] for s in listed] == [sub["id"]] and listed[0]["secret"] is None
    assert get(notify, f"/v1/subscriptions/{sub['id']}", "admin").json()["secret"] is None
    assert get(notify, "/v1/subscriptions", "admin", "NORFOLK").json()["items"] == []
    assert get(notify, f"/v1/subscriptions/{sub['id']}", "admin", "NORFOLK").status_code == 404
    assert notify.delete(f"/v1/subscriptions/{sub['id']}", headers=auth("admin", "NORFOLK")).status_code == 404
    assert notify.delete(f"/v1/subscriptions/{sub['id']}", headers=auth("admin")).status_code == 204
    assert get(notify, f"/v1/subscriptions/{sub['id']}", "admin").json()["active"] is False


@pytest.mark.parametrize("body", [{"url": "not a url"}, {"url": "https://x.example", "secret": "short"},
                                  {"url": "https://x.example", "unknown": 1}])
def test_bad_subscriptions_are_refused(notify: TestClient, body: dict[str, Any]) -> None:
    response = notify.post("/v1/subscriptions", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_consumer_status_is_admin_only(notify: TestClient) -> None:
    assert get(notify, "/v1/consumer", "police").status_code == 403
    status = get(notify, "/v1/consumer", "admin").json()
    assert status == {"status": "ok", "errors": [], "source": "http", "position": 0, "head": 0, "lag": 0,
                      "last_error": None, "last_error_at": None, "updated_at": None, "gaps": 0, "last_gap": None,
                      "skipped_total": 0, "skipped": []}
    apply(notify, [issued_event(str(uuid.uuid4()), 1)])
    app_state(notify).store.apply_page([], head=9, next_after=1)
    status = get(notify, "/v1/consumer", "admin").json()
    assert (status["position"], status["head"], status["lag"]) == (1, 9, 8)
    assert status["updated_at"]


@pytest.mark.parametrize("raw", [
    '["2026-03-02T10:00:00+00:00", "\\u0000"]', '["2026-03-02T10:00:00+00:00", "\\ud800"]',
    '["2026-03-02T10:00:00+00:00", Infinity]', '["2026-03-02T10:00:00", "3f0f3c1e-8f4e-4b7b-9a0e-6c2b8f1d2a77"]',
    '[Infinity, NaN]', '{"a": 1}', '[1,',
], ids=["nul-id", "surrogate-id", "infinity-id", "naive-time", "constants", "object", "not-json"])
def test_the_inbox_refuses_a_cursor_it_did_not_give_out(notify: TestClient, raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    response = get(notify, "/v1/notifications", "provider", cursor=cursor)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "/problems/bad-cursor"


@pytest.mark.parametrize(("field", "body"), [
    ("secret", {"url": "https://example.org/hook", "secret": "0123456789abcdef\u0000"}),
    ("event_types.0", {"url": "https://example.org/hook", "event_types": ["Completed\u202e"]}),
])
def test_a_subscription_refuses_hidden_characters(notify: TestClient, field: str, body: dict[str, Any]) -> None:
    response = notify.post("/v1/subscriptions", json=body, headers=auth("admin"))
    assert response.status_code == 422, response.text
    assert any(e["rule"].startswith(f"{field}:") for e in response.json()["errors"])
