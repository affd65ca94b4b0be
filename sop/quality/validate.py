"""The gate as one step of a run: check every dataset, keep the results, give the verdict.

`validated_datasets` is what the flows' `gate-datasets` task and the bench call: the GX
suites and cross-dataset checks (`quality_findings`), the verdict (`quality_gate`), every
result stored in sop_dq_results (failed runs too) and, when the gate lets the run go on,
its quarantined rows in sop_quarantine. The caller publishes the report and raises
`QualityGateError(gate.failures)` when there are failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from sop.config import Config
from sop.quality.gate import QualityGate, quality_findings, quality_gate
from sop.quality.store import previous_row_counts, store_check_results, store_quarantine


def validated_datasets(engine: Engine, config: Config, frames: Mapping[str, pd.DataFrame],
                       period: str, run_id: str, today: date,
                       docs_dir: Path | None = None) -> QualityGate:
    """The gate over `frames` as extracted for `period` on `today` (results stored)."""
    findings = quality_findings(
        frames, period, config.thresholds.freshness_tolerance_days, today=today,
        previous_counts=previous_row_counts(engine, exclude_run=run_id),
        volume_band_pct=config.thresholds.volume_band_pct, docs_dir=docs_dir)
    gate = quality_gate(frames, findings, {name: config.dataset(name).on_error for name in frames})
    store_check_results(engine, run_id, period, gate.results)
    if not gate.failures:
        store_quarantine(engine, run_id, period, gate.quarantine)
    return gate
