"""OpenAPI post-processing: every error response is documented as application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from .problems import PROBLEM_JSON, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status answered with a problem document."""
    return {s: {"description": _DESCRIPTIONS.get(s, "Problem"), "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
            for s in statuses}


_DESCRIPTIONS = {
    400: "Malformed request (JSON, headers, cursor), or a query parameter the route does not take",
    401: "Missing or invalid bearer token",
    403: "The caller's role may not do this",
    404: "No such resource in the caller's force",
    409: "Conflicts with the current state or a concurrent request",
    412: "If-Match does not name the current version",
    413: "Body too large",
    422: "Invalid request, or a rule refused it (see `errors`)",
    429: "Too many requests from this caller or address: retry after Retry-After",
    503: "A dependency (the database, the identity provider's signing keys) is unavailable: retry after Retry-After",
}


RETRY_AFTER = {"description": "Seconds to wait before asking again", "schema": {"type": "integer", "minimum": 0}}
ETAG = {"description": 'The caution\'s version as an entity tag (`"3"`): send it as If-Match to change it only if '
                       "no one has since", "schema": {"type": "string"}}
LOCATION = {"description": "The path of what was created", "schema": {"type": "string", "format": "uri-reference"}}
LINK = {"description": 'The next page, as `<url>; rel="next"` (RFC 8288); absent on the last page',
        "schema": {"type": "string"}}


def _success_headers(operation: dict[str, Any]) -> None:
    """The headers a success answer carries, by what the operation is: a command (it reads Idempotency-Key) answers
    with the caution's ETag; a creation with its Location; a list paged by a `cursor` query parameter with Link."""
    names = {(p.get("in"), p.get("name")) for p in operation.get("parameters", [])}
    for status, response in operation.get("responses", {}).items():
        if status not in ("200", "201"):
            continue
        headers = response.setdefault("headers", {})
        if ("header", "Idempotency-Key") in names:
            headers["ETag"] = ETAG
        if status == "201":
            headers["Location"] = LOCATION
        if ("query", "cursor") in names:
            headers["Link"] = LINK
        if not headers:
            del response["headers"]


def _absent_not_null(parameter: dict[str, Any]) -> None:
    """An optional `X | None` parameter is left out, never sent as null: drop the null branch FastAPI documents."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf")
    if parameter.get("required") or not branches or {"type": "null"} not in branches:
        return
    rest = [b for b in branches if b != {"type": "null"}]
    del schema["anyOf"]
    if len(rest) == 1:
        schema.update(rest[0])
    else:
        schema["anyOf"] = rest


def operation_id(route: APIRoute) -> str:
    """`generate_unique_id_function` of both apps: the route's function name in camelCase (`scheduleWorkshop`),
    which generated clients use as method names; a route whose function name reads badly says its own
    (`operation_id=`). FastAPI's default spelt out path and method (`schedule_workshop_v1_cautions__..._post`)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _body_example(operation: dict[str, Any], components: dict[str, Any]) -> None:
    """The body schema's first example as the request's `example`, which Swagger UI's "Try it out" sends as it is
    (without one it makes up a body from the schema, which the service refuses)."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        examples = components.get(ref.rsplit("/", 1)[-1], {}).get("examples")
        if ref and examples:
            media["example"] = examples[0]


def install_problem_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in components["Problem"].pop("$defs", {}).items():
            components[name] = sub
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for parameter in operation.get("parameters", []):
                    _absent_not_null(parameter)
                # Any route answers 400 to a query parameter it does not take (strict_query.py).
                operation.setdefault("responses", {}).setdefault("400", {})
                if "401" in operation.get("responses", {}):  # verifying a token may find no keys to verify it with
                    operation["responses"].setdefault("503", {})
                    # rate limits (rate_limits.py): writes per caller and address, and an address whose tokens
                    # keep failing is refused whatever it asks
                    operation["responses"].setdefault("429", {})
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                        response["description"] = _DESCRIPTIONS.get(int(status), response.get("description", "Problem"))
                    if status in ("429", "503"):
                        response["headers"] = {"Retry-After": RETRY_AFTER}
                    if status == "412":
                        response["headers"] = {"ETag": {**ETAG, "description": "The current version"}}
                _success_headers(operation)
                _body_example(operation, components)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
