"""The committed notification-service OpenAPI and the AsyncAPI document match what the code produces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.openapi_documents import documents, render

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"


@pytest.mark.parametrize("name", ["notification-service.json", "caution-events.asyncapi.json"])
def test_committed_document_matches_the_code(name: str) -> None:
    committed = (OPENAPI / name).read_text()
    assert committed == render(documents()[name]), f"openapi/{name} is stale: run `make openapi` and commit it"


def test_asyncapi_names_every_event_type_with_its_subject() -> None:
    from shared.catalogue import EVENT_TYPES
    from shared.session_catalogue import SESSION_EVENT_TYPES

    doc = json.loads((OPENAPI / "caution-events.asyncapi.json").read_text())
    assert doc["asyncapi"].startswith("3.")
    every = {**EVENT_TYPES, **SESSION_EVENT_TYPES}
    assert len(every) == len(EVENT_TYPES) + len(SESSION_EVENT_TYPES)  # no name in both catalogues
    assert {c["title"] for c in doc["channels"].values()} == set(every.values())
    for name, channel in doc["channels"].items():
        if name in SESSION_EVENT_TYPES:
            assert channel["address"] == "cara.caution." + every[name].removeprefix("uk.cara.")
            assert channel["address"].startswith("cara.caution.workshop-session.")
        else:
            assert channel["address"] == "cara.caution." + every[name].removeprefix("uk.cara.caution.")


def test_every_notification_error_is_a_problem_document() -> None:
    doc = json.loads((OPENAPI / "notification-service.json").read_text())
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
