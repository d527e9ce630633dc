"""The projections this service runs, built the same way by the API process, the worker and rebuild."""

from __future__ import annotations

from ..application import CautionApplication
from .history import HistoryProjection
from .outcomes import CautionKeys, OutcomesProjection
from .panel_cases import PanelCaseProjection
from .projector import Projector
from .search import SearchProjection
from .sessions import SessionProjection
from .summary import SummaryProjection
from .worklist import WorklistProjection


def build_projector(app: CautionApplication, batch_size: int = 500, cache_size: int = 5000) -> Projector:
    """`cache_size`: cautions kept in memory; a rebuild wants at least as many as are open at once."""
    return Projector(app, [SummaryProjection(remembered=cache_size * 4), HistoryProjection(remembered=cache_size * 4),
                           SearchProjection(app.keyring, app.search_index), SessionProjection(),
                           WorklistProjection(), PanelCaseProjection(),
                           OutcomesProjection(app.keyring, CautionKeys(app.search_index.masters))],
                     batch_size=batch_size, cache_size=cache_size)
