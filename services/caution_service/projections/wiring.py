"""The projections this service runs, built the same way by the API process, the worker and rebuild."""

from __future__ import annotations

from ..application import CautionApplication
from .history import HistoryProjection
from .projector import Projector
from .summary import SummaryProjection


def build_projector(app: CautionApplication, batch_size: int = 500) -> Projector:
    return Projector(app, [SummaryProjection(), HistoryProjection()], batch_size=batch_size)
