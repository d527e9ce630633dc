"""The committed OpenAPI document is exactly what the app serves, and it documents errors and auth properly."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest

from services.caution_service.openapi_export import render, served_document
from shared.problems import PROBLEM_JSON

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "caution-service.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Probes answer without a caller; every other route is business and needs a bearer token.
UNAUTHENTICATED_PATHS = {"/livez", "/readyz"}
PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    return served_document()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in sorted(document["paths"].items())
        for method, operation in sorted(item.items())
        if method in HTTP_METHODS
    ]


def _business_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [op for op in _operations(document) if op[1] not in UNAUTHENTICATED_PATHS]


def test_committed_document_matches_the_served_one(served: dict[str, Any]) -> None:
    assert COMMITTED.exists(), f"{COMMITTED} is missing; run `make openapi` and commit the result"
    expected = render(served)
    actual = COMMITTED.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                fromfile="openapi/caution-service.json (committed)", tofile="served by create_app()", n=2,
            )
        )
        shown = diff if len(diff) < 6000 else diff[:6000] + "\n... (diff truncated)\n"
        pytest.fail(
            "openapi/caution-service.json is out of date with the API the app serves.\n"
            "Run `make openapi` and commit the regenerated file.\n\n" + shown,
            pytrace=False,
        )


def test_there_are_business_routes(served: dict[str, Any]) -> None:
    # Guards the checks below against passing vacuously.
    assert len(_business_operations(served)) >= 10


def test_every_error_response_is_a_problem_document(served: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(served):
        for status, response in operation.get("responses", {}).items():
            if not (status.isdigit() and 400 <= int(status) < 500):
                continue
            content = response.get("content", {})
            schema = content.get(PROBLEM_JSON, {}).get("schema", {})
            if set(content) != {PROBLEM_JSON} or schema.get("$ref") != PROBLEM_REF:
                wrong.append(f"{method.upper()} {path} {status}: {sorted(content)} {schema}")
    assert not wrong, "4xx responses must be documented as application/problem+json (Problem):\n" + "\n".join(wrong)


def test_problem_schema_is_rfc9457_shaped(served: dict[str, Any]) -> None:
    problem = served["components"]["schemas"]["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"])
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])


def test_every_business_route_declares_401_and_403(served: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}: has {sorted(op['responses'])}"
        for method, path, op in _business_operations(served)
        if not {"401", "403"} <= set(op.get("responses", {}))
    ]
    assert not missing, "business routes must declare 401 and 403:\n" + "\n".join(missing)


def test_every_business_route_requires_the_bearer_scheme(served: dict[str, Any]) -> None:
    schemes = served.get("components", {}).get("securitySchemes", {})
    bearer = [n for n, s in schemes.items() if s.get("type") == "http" and s.get("scheme", "").lower() == "bearer"]
    assert bearer, f"no HTTP bearer security scheme in components.securitySchemes: {schemes}"
    global_security = served.get("security", [])
    missing = []
    for method, path, operation in _business_operations(served):
        security = operation.get("security", global_security)
        # Every alternative must need the bearer token (an empty `{}` alternative would make auth optional).
        if not security or not all(any(name in requirement for name in bearer) for requirement in security):
            missing.append(f"{method.upper()} {path}: security={security}")
    assert not missing, "business routes must require the bearer scheme:\n" + "\n".join(missing)


def test_probes_need_no_token(served: dict[str, Any]) -> None:
    for method, path, operation in _operations(served):
        if path in UNAUTHENTICATED_PATHS:
            assert not operation.get("security", served.get("security")), f"{method.upper()} {path} should be open"
