"""What the command line checks before it starts any run: a config that loads, a period
that parses, sources that can be read as configured. A mistake here is the user's to fix
at once: it is named (file, key or flag) and no flow run starts, so no operator is paged."""

from __future__ import annotations

import os

from sop.config import Config, load_config
from sop.contracts import CYCLE_DATASETS
from sop.ingest.sources import check_sources
from sop.periods import parse_period


def preflight(config_path: str, period: str | None = None,
              datasets: tuple[str, ...] = CYCLE_DATASETS) -> Config:
    """The loaded config, after checking `period` (--period) and the sources' statements,
    tables and column renames. Raises ConfigError, PeriodError or SourceError."""
    config = load_config(config_path, os.environ)
    if period is not None:
        try:
            parse_period(period)
        except ValueError as e:
            raise type(e)(f"--period: {e}") from None
    check_sources(config, datasets)
    return config
