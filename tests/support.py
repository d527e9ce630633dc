"""Builders shared by the tests: valid payloads, tokens, a controllable clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import State

from shared.auth import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    DEV_JWT_SECRET,
    DEV_NATIONAL_SUBSCRIBER,
    NATIONAL,
    Role,
    mint_token,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def app_state(client: TestClient) -> State:
    """The state of the FastAPI app a test client drives (a TestClient types its app as any ASGI app)."""
    assert isinstance(client.app, FastAPI)
    return client.app.state


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def token(role: str | Role, force: str = "CAMBS", subject: str | None = None, **display: str) -> str:
    """`display`: display claims (name, rank, collar_number), recorded with each event the caller records."""
    return mint_token(DEV_JWT_SECRET, role=Role(role), force=force, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE,
                      subject=subject, display=display)


def auth(role: str | Role, force: str = "CAMBS", subject: str | None = None, **display: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, force, subject, **display)}"}


def national_auth(subject: str = DEV_NATIONAL_SUBSCRIBER) -> dict[str, str]:
    """A feed subscriber for every force, whose subject the services grant national scope to outside production."""
    return auth(Role.SUBSCRIBER, NATIONAL, subject)


def iso(when: datetime) -> str:
    return when.isoformat()


def caution_payload(occurred_at: datetime = T0, **overrides: Any) -> dict[str, Any]:
    """A caution that passes every eligibility rule; override parts to break one."""
    body: dict[str, Any] = {
        "police_reference": f"CC-{uuid.uuid4().hex[:10]}",
        "legal_basis": "conditional_caution",
        "occurred_at": iso(occurred_at),
        "offender": {"reference": f"PNC-{uuid.uuid4().hex[:8]}", "name": "Alex Example",
                     "date_of_birth": "1990-05-17", "gender": "male"},
        "offence": {"category": "common_assault", "committed_on": (occurred_at.date() - timedelta(days=10)).isoformat(),
                    "description": "Pushed partner during an argument", "relationship": "current_partner",
                    "admitted": True, "evidence_sufficient_to_charge": True, "charge_decision_by": "CPS"},
        "history": {"last_domestic_abuse_disposal_on": None, "serving_community_sentence": False},
        "victim": {"reference": f"V-{uuid.uuid4().hex[:8]}", "dash_risk": "standard", "consulted": True, "agrees": True,
                   "contact_details": {"name": "Sam Victim", "phone": "07700 900123"}},
        "issuing_officer": {"id": "SGT-1001", "name": "Sgt Jo Bloggs", "rank": "sergeant", "authorised_person": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(body.get(key), dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body


def at(day_offset: int, hour: int = 10) -> datetime:
    """T0's date plus `day_offset` days, at `hour` UTC."""
    return datetime.combine(T0.date() + timedelta(days=day_offset), datetime.min.time(), UTC).replace(hour=hour)


