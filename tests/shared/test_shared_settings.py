"""Settings both services share."""

from __future__ import annotations

from pathlib import Path

from services.caution_service.config import Settings as CautionSettings
from services.caution_service.main import create_app
from services.notification_service.config import Settings as NotifySettings


def test_fastapi_telemetry_is_off_unless_asked_for() -> None:
    for settings in (CautionSettings(), NotifySettings()):
        assert set(settings.fastapi_telemetry().values()) == {False}
    asked = CautionSettings(opentelemetry=True).fastapi_telemetry()
    assert asked == {"tracing": True, "metrics": True, "logs": True, "operation_spans": True}


def test_the_caution_app_is_built_with_the_telemetry_asked_for(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cautions.sqlite3"
    off = create_app(CautionSettings(database_url=url))
    on = create_app(CautionSettings(database_url=url, opentelemetry=True))
    assert off._native_telemetry.config["tracing"] is False  # FastAPI's own record of its configuration
    assert on._native_telemetry.config["tracing"] is True
