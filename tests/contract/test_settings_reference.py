"""docs/settings.md and .env.example are what the settings classes produce, and every setting has a meaning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.settings_reference import ENV_EXAMPLE, MAKE_RUN, MARKDOWN, SECTIONS, documents, variables


@pytest.mark.parametrize("path", [MARKDOWN, ENV_EXAMPLE], ids=lambda p: p.name)
def test_committed_reference_matches_the_settings_classes(path: Path) -> None:
    assert path.read_text() == documents()[path], f"{path} is stale: run `make settings-reference` and commit it"


def test_every_setting_says_what_it_is_for() -> None:
    undocumented = [v.names[0] for _, settings, _ in SECTIONS for v in variables(settings)
                    if len(re.sub(r"\W", "", v.meaning)) < 10]
    assert not undocumented, f"give these settings a comment or a Field description: {undocumented}"


def test_every_variable_is_listed_in_both_documents() -> None:
    markdown, example = MARKDOWN.read_text(), ENV_EXAMPLE.read_text()
    names = [name for _, settings, _ in SECTIONS for v in variables(settings) for name in v.names]
    names += [name for name, _, _ in MAKE_RUN]
    assert len(names) > 70
    for name in names:
        assert f"`{name}`" in markdown, name
        assert re.search(rf"^# (\(or .*)?{name}\b", example, re.MULTILINE), name


def test_both_services_variables_are_all_there() -> None:
    from services.caution_service.config import Settings as CautionSettings
    from services.notification_service.config import Settings as NotifySettings

    markdown = MARKDOWN.read_text()
    for settings, prefix in ((CautionSettings, "CARA_"), (NotifySettings, "CARA_NOTIFY_")):
        for field in settings.model_fields:
            assert f"`{prefix}{field.upper()}`" in markdown
