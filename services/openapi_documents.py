"""`make openapi`: writes every committed API document under openapi/."""

from __future__ import annotations

import json
from pathlib import Path

from shared import asyncapi

from .caution_service import openapi_export as caution
from .caution_service.main import VERSION
from .notification_service import openapi_export as notification


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def documents() -> dict[str, dict]:
    return {
        "caution-service.json": caution.served_document(),
        "notification-service.json": notification.served_document(),
        "caution-events.asyncapi.json": asyncapi.document(VERSION),
    }


def main() -> None:
    for name, document in documents().items():
        target = Path("openapi") / name
        target.write_text(render(document))
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
