"""Migration 0013 fills `caution_references` from the events of a store that already holds cautions, including one
whose police reference an earlier caution in its force already had: both stay readable, the later is marked
duplicate and named in a warning, and the first keeps the reference. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text

from services.caution_service.application import CautionApplication
from services.caution_service.domain.caution import Caution
from services.caution_service.domain.errors import NotEligible
from services.caution_service.migrations import MIGRATIONS
from services.caution_service.references import DuplicatePoliceReference
from tests.caution_service.unit.builders import POLICE, T0, issue_kwargs, recorded_offender


def _back_to_0012(app: CautionApplication) -> None:
    """The schema as the previous version left it: no table of references (nor the later revisions' columns)."""
    with app.engine.begin() as connection:  # the revisions after 0014 by their own downgrades
        command.downgrade(MIGRATIONS.config(connection), "0014")
    with app.engine.begin() as connection:
        connection.execute(text("DROP TABLE caution_references"))
        for column in ("recorded_by_name", "recorded_by_rank", "recorded_by_collar_number"):  # revision 0014
            connection.execute(text(f"ALTER TABLE compliance_history DROP COLUMN {column}"))
        connection.execute(text(f"UPDATE {MIGRATIONS.version_table} SET version_num = '0012'"))


def _rows(app: CautionApplication) -> dict[str, tuple[str, str, str, bool, bool]]:
    with app.engine.connect() as connection:
        rows = connection.execute(text("SELECT caution_id, force, police_reference, offender_reference, withdrawn, "
                                       "duplicate FROM caution_references")).all()
    return {row[0]: (row[1], row[2], row[3], bool(row[4]), bool(row[5])) for row in rows}


def test_the_migration_fills_the_table_from_the_events_and_keeps_duplicates_readable(
        open_app: Callable[[], CautionApplication], caplog: pytest.LogCaptureFixture) -> None:
    app = open_app()
    _back_to_0012(app)
    # Recorded as the previous version did, with nothing to refuse a reused reference (the library's save)
    first = Caution.issue(**issue_kwargs(police_reference="CC-OLD-1"))
    second = Caution.issue(**issue_kwargs(police_reference="CC-OLD-1", occurred_at=T0 + timedelta(days=1),
                                          recorded_at=T0 + timedelta(days=1, hours=1)))
    elsewhere = Caution.issue(**issue_kwargs(police_reference="CC-OLD-1", force="ESSEX"))
    set_aside = Caution.issue(**issue_kwargs(offender=recorded_offender(reference="PNC-OLD-W")))
    set_aside.withdraw("Issued in error", occurred_at=T0 + timedelta(hours=2), recorded_at=T0 + timedelta(hours=3),
                       recorded_by=POLICE)
    app.save(first, second, elsewhere, set_aside)

    with caplog.at_level(logging.WARNING, logger="cara.caution.migrations"):
        MIGRATIONS.upgrade(app.engine)

    rows = _rows(app)
    assert rows == {
        str(first.id): ("CAMBS", "CC-OLD-1", first.offender.reference, False, False),
        str(second.id): ("CAMBS", "CC-OLD-1", second.offender.reference, False, True),
        str(elsewhere.id): ("ESSEX", "CC-OLD-1", elsewhere.offender.reference, False, False),
        str(set_aside.id): ("CAMBS", set_aside.police_reference, "PNC-OLD-W", True, False),
    }
    [warning] = [r.getMessage() for r in caplog.records if r.name == "cara.caution.migrations"]
    assert str(second.id) in warning and str(first.id) in warning and "CC-OLD-1" in warning
    assert first.offender.reference not in warning  # nothing about the person
    assert app.get_caution(second.id).police_reference == "CC-OLD-1"  # still readable, as it was

    # From now on the reference is the first caution's, and the duplicate still counts against its offender
    with pytest.raises(DuplicatePoliceReference) as refused:
        app.issue(lambda: Caution.issue(**issue_kwargs(police_reference="CC-OLD-1")))
    assert refused.value.existing.caution_id == first.id
    with pytest.raises(NotEligible) as not_eligible:
        app.issue(lambda: Caution.issue(**issue_kwargs(offender=second.offender)))
    assert str(second.id) in not_eligible.value.failures[0].message
    app.issue(lambda: Caution.issue(**issue_kwargs(offender=recorded_offender(reference="PNC-OLD-W"))))  # withdrawn


def test_a_store_with_no_events_yet_migrates_to_an_empty_table(open_app: Callable[[], CautionApplication]) -> None:
    app = open_app()
    _back_to_0012(app)

    MIGRATIONS.upgrade(app.engine)

    assert _rows(app) == {}
