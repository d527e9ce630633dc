"""Writes the caution service's OpenAPI document (the committed copy CI compares with the app)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from .config import Settings
from .main import create_app


def served_document() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/openapi.sqlite3"))
        return app.openapi()


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi/caution-service.json")
    target.write_text(render(served_document()))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
