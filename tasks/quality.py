"""The data-quality gate as a task: validate, publish, store, then stop or go on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from sop.config import Config
from sop.quality.gate import QualityGate, QualityGateError, quality_findings, quality_gate
from sop.quality.report import quality_markdown, quality_summary
from sop.quality.store import previous_row_counts, store_check_results, store_quarantine
from tasks.common import engine_for, run_scoped


def docs_dir_for(config: Config) -> Path:
    return Path(config.output_dir) / "data-docs"


@task(name="gate-datasets", cache_policy=run_scoped("frames"))
def gate_datasets(config: Config, frames: dict[str, pd.DataFrame], period: str, run_id: str,
                  docs: bool = False) -> QualityGate:
    """Validate every dataset (GX suites + cross-dataset checks), publish the `data-quality`
    artifact, store the results in sop_dq_results (failed runs too), and raise
    QualityGateError on any critical failure not handled by quarantine. Otherwise store
    the quarantined rows and return the gate: `.frames` to plan on, `.notes` for packets."""
    logger = get_run_logger()
    engine = engine_for(config.warehouse.url)
    findings = quality_findings(
        frames, period, config.thresholds.freshness_tolerance_days, today=date.today(),
        previous_counts=previous_row_counts(engine, exclude_run=run_id),
        volume_band_pct=config.thresholds.volume_band_pct,
        docs_dir=docs_dir_for(config) if docs else None)
    gate = quality_gate(frames, findings, {name: config.dataset(name).on_error for name in frames})
    store_check_results(engine, run_id, period, gate.results)
    create_markdown_artifact(
        key="data-quality", description=f"Data-quality gate for {period}",
        markdown=quality_markdown(gate.results, period, gate.quarantined_counts))
    logger.info(quality_summary(gate.results, period, gate.quarantined_counts))
    if gate.failures:
        raise QualityGateError(list(gate.failures))
    store_quarantine(engine, run_id, period, gate.quarantine)
    for note in gate.notes:
        logger.warning(note)
    return gate
