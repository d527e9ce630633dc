"""The notification service's OpenAPI document, as served (the committed copy CI compares with the app)."""

from __future__ import annotations

import tempfile

from .config import Settings
from .main import create_app


def served_document() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(environment="test", database_url=f"sqlite:///{tmp}/openapi.sqlite3", run_workers=False)
        app = create_app(settings)
        return app.openapi()
