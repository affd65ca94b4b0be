"""The data-quality gate as a task (sop.quality.validate): validate and store, publish the
report, then stop or go on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from sop.config import Config
from sop.ingest.snapshot import snapshot_of
from sop.outputs import Outputs
from sop.quality.gate import QualityGate, QualityGateError
from sop.quality.report import quality_markdown, quality_summary
from sop.quality.validate import validated_datasets
from tasks.common import engine_for, retry_transient, run_scoped


@task(name="gate-datasets", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("frames"))
def gate_datasets(config: Config, frames: Mapping[str, pd.DataFrame], period: str, run_id: str,
                  today: date, docs: bool = False) -> QualityGate:
    """Validate every dataset (GX suites + cross-dataset checks; results and quarantined
    rows stored), publish the `data-quality` artifact, and raise QualityGateError on any
    critical failure not handled by quarantine. Otherwise return the gate: `.frames` to
    plan on, `.notes` for the packets."""
    docs_dir = Outputs.at(config.output_dir).data_docs if docs else None
    gate = validated_datasets(engine_for(config.warehouse.url), config, frames, period, run_id,
                              today, docs_dir)
    create_markdown_artifact(
        key="data-quality", description=f"Data-quality gate for {period}",
        markdown=quality_markdown(gate.results, period, gate.quarantined_counts))
    logger = get_run_logger()
    logger.info(quality_summary(gate.results, period, gate.quarantined_counts))
    if gate.failures:
        raise QualityGateError(list(gate.failures))
    for note in gate.details:
        logger.warning(note)
    # the frames to plan on, by reference: those the gate left whole are the extract's files
    return replace(gate, frames=snapshot_of(gate.frames, config.snapshot_location, known=frames))
