"""The writer's plain-SQL reads (driver_sql.py) find what SQLAlchemy wrote, on both databases."""

from __future__ import annotations

from uuid import UUID, uuid4

from services.caution_service.application import CautionApplication
from services.caution_service.domain.caution import Caution
from services.caution_service.driver_sql import InListSelect
from services.caution_service.idempotency import Receipt, StoredResponse
from tests.unit.builders import issue_kwargs


def test_latest_versions_by_caution_for_lists_of_any_length(app: CautionApplication) -> None:
    cautions = [Caution.issue(**issue_kwargs()) for _ in range(5)]
    app.save(*cautions)
    table = app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    engine = app.recorder.datastore.engine  # type: ignore[attr-defined]
    latest = InListSelect(engine.dialect, [table.c.originator_id, table.c.originator_version], [table.c.originator_id],
                          tail="GROUP BY originator_id", select_list="originator_id, max(originator_version)")
    ids = [c.id for c in cautions]
    with engine.connect() as connection:
        for n in (1, 3, 5, 3):  # texts are kept per length; the same length again reuses one
            rows = latest.rows(connection, ids[:n] + [uuid4()])  # an unknown id finds nothing
            assert {(UUID(str(cid)), version) for cid, version in rows} == {(cid, 1) for cid in ids[:n]}
    assert set(latest._texts) == {(2,), (4,), (6,)}


def test_an_idempotency_record_is_found_for_its_caller_only(app: CautionApplication) -> None:
    def render(caution: Caution, position: int | None) -> StoredResponse:
        return StoredResponse(201, {"id": str(caution.id), "position": position})

    receipt = Receipt("CAMBS/police/pc-1", "key-1", "print-1", render)
    issued = app.issue(lambda: Caution.issue(**issue_kwargs()), receipt)
    found = app.idempotency.find_many([("CAMBS/police/pc-1", "key-1"), ("KENT/police/pc-1", "key-1"),
                                       ("CAMBS/police/pc-1", "key-2")])
    assert list(found) == [("CAMBS/police/pc-1", "key-1")]
    record = found[("CAMBS/police/pc-1", "key-1")]
    assert (record.fingerprint, record.status_code, record.position) == ("print-1", 201, issued.position)
