"""The AsyncAPI 3 document of the caution event feed, generated from the event catalogues (shared/catalogue.py for
cautions, shared/session_catalogue.py for workshop sessions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .catalogue import CATALOGUE, EventSpec
from .events import CloudEvent
from .nats_stream import subject_for
from .session_catalogue import SESSION_CATALOGUE

_JSON_TYPES: dict[type, dict[str, Any]] = {
    str: {"type": "string"}, bool: {"type": "boolean"}, int: {"type": "integer"}, dict: {"type": "object"},
    list: {"type": "array", "items": {"type": "string"}},
    date: {"type": "string", "format": "date"}, datetime: {"type": "string", "format": "date-time"},
}


# Fields whose JSON shape the catalogue's kinds cannot say (a list of objects).
_REGISTER_LINES = {"type": "array", "items": {"type": "object", "properties": {
    "caution_id": {"type": "string"}, "outcome": {"type": "string"}}}}
_FIELD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {("SessionRegisterRecorded", "lines"): _REGISTER_LINES}


def _field_schema(kind: type | tuple[str, ...]) -> dict[str, Any]:
    if isinstance(kind, tuple):  # an object of which only these sub-fields are published
        return {"type": "object", "properties": {name: {} for name in kind}}
    return _JSON_TYPES[kind]


def _data_schema(spec: EventSpec, common: str) -> dict[str, Any]:
    own = {name: _FIELD_SCHEMAS.get((spec.name, name)) or _field_schema(kind) for name, kind in spec.fields.items()}
    schema: dict[str, Any] = {"allOf": [{"$ref": f"#/components/schemas/{common}"},
                                        {"type": "object", "properties": own, "additionalProperties": True}]}
    if spec.withheld:
        schema["description"] = "Never in this payload: " + "; ".join(
            f"{name} ({why})" for name, why in spec.withheld.items()) + "."
    return schema


def document(version: str) -> dict[str, Any]:
    envelope = CloudEvent.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(envelope.pop("$defs", {}))
    schemas["CloudEvent"] = envelope
    channels, operations, messages = {}, {}, {}
    catalogued = [(spec, "EventData") for spec in CATALOGUE.values()]
    catalogued += [(spec, "SessionEventData") for spec in SESSION_CATALOGUE.values()]
    for spec, common in catalogued:
        name, cloud_type = spec.name, spec.type
        schemas[f"{name}Data"] = _data_schema(spec, common)
        schemas[f"{name}Event"] = {"allOf": [
            {"$ref": "#/components/schemas/CloudEvent"},
            {"type": "object", "properties": {"type": {"const": cloud_type},
                                              "data": {"$ref": f"#/components/schemas/{name}Data"}}},
        ]}
        messages[name] = {"name": name, "title": name, "summary": spec.description,
                          "contentType": "application/cloudevents+json",
                          "payload": {"$ref": f"#/components/schemas/{name}Event"}}
        channels[name] = {"address": subject_for(cloud_type), "title": cloud_type,
                          "messages": {name: {"$ref": f"#/components/messages/{name}"}}}
        operations[f"receive{name}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{name}"},
                                        "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}]}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CARA caution events",
            "version": version,
            "description": "Every change to a CARA caution, and to a workshop session (`uk.cara.workshop-session.*`: "
                           "the subject is the session id; sessions name cautions by id only), as CloudEvents 1.0 in "
                           "position order. Read them over HTTP "
                           "(GET /v1/events, GET /v1/events/stream) or from NATS JetStream (one subject per type, "
                           "Nats-Msg-Id = event id). Payloads never carry victim details; "
                           "tolerate unknown fields and types.",
        },
        "servers": {
            "http-feed": {"host": "localhost:8000", "protocol": "http", "pathname": "/v1/events",
                          "description": "Pages, long-poll and Server-Sent Events; bearer token with role subscriber."},
            "jetstream": {"host": "localhost:4222", "protocol": "nats", "description": "Stream CARA_EVENTS."},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
