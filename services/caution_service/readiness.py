"""The caution service's write probe table (shared/write_probe.py), which /readyz rewrites."""

from __future__ import annotations

from sqlalchemy import MetaData

from shared.write_probe import probe_table

metadata = MetaData()
probe = probe_table("cautions_write_probe", metadata)
