"""The orjson-rendered response gives clients the very bytes Starlette's JSONResponse did."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from services.caution_service.config import DEV_VAULT_KEY
from services.caution_service.vault import VictimVault
from shared.json_response import FastJSONResponse

BODY = {
    "id": "0b8f3c52-5d0e-4c1e-9a63-1f0d2c9e7a41",
    "status": "active",
    "version": 12,
    "position": 40213,
    "breach_referred": False,
    "safeguarding_concern": None,
    "workshops": [{"workshop": "A", "venue": "Café Ely, Saint-Étienne Room",
                   "attended_at": "2026-03-02T09:30:00+00:00"}],
    "notes": 'line one\nline "two"\t\u2028 \u00e9\u4e2d\U0001f600 \\ </script>',
    "actions": [],
}


def test_the_bytes_are_those_of_starlettes_json_response() -> None:
    assert FastJSONResponse(BODY).body == JSONResponse(BODY).body


def test_the_headers_are_those_of_a_json_response() -> None:
    fast = FastJSONResponse(BODY, status_code=201, headers={"ETag": '"12"'})
    standard = JSONResponse(BODY, 201, {"ETag": '"12"'})
    assert fast.status_code == 201
    assert fast.headers["content-type"] == standard.headers["content-type"] == "application/json"
    assert fast.headers["content-length"] == standard.headers["content-length"]


def test_sealed_details_open_to_what_was_sealed_whichever_encoder_sealed_them() -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    details = {"notes": BODY["notes"], "body": BODY}
    assert vault.open(vault.seal(details)) == details
