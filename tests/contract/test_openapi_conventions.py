"""Conventions of both committed OpenAPI documents that generated clients and readers rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"
DOCUMENTS = ["caution-service.json", "notification-service.json"]
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def operations(name: str) -> list[tuple[str, str, dict[str, Any]]]:
    document = json.loads((OPENAPI / name).read_text())
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_operation_ids_are_readable_and_unique(name: str) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(name)]
    assert len(ids) == len(set(ids)), ids
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id), operation_id
        assert len(operation_id) <= 32, operation_id


def test_the_operations_named_in_the_issue() -> None:
    ids = {operation["operationId"] for _, _, operation in operations("caution-service.json")}
    assert {"scheduleWorkshop", "issueCaution", "getComplianceHistory", "listCautions", "getCaution"} <= ids


@pytest.mark.parametrize("name", DOCUMENTS)
def test_response_headers_are_documented(name: str) -> None:
    for method, path, operation in operations(name):
        responses = operation["responses"]
        parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        for status, response in responses.items():
            headers = response.get("headers", {})
            if status in ("429", "503"):
                assert "Retry-After" in headers, (method, path, status)
            if status == "201":
                assert "Location" in headers, (method, path)
        success = responses.get("200") or responses.get("201") or {}
        if ("header", "Idempotency-Key") in parameters:
            assert "ETag" in success.get("headers", {}), (method, path)
        if ("query", "cursor") in parameters:
            assert "Link" in success.get("headers", {}), (method, path)
    assert any("ETag" in (op["responses"].get("200", {}).get("headers") or {})
               for _, _, op in operations(name)) or name != "caution-service.json"
