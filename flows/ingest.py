"""Extract and validate only: the data team's check of the sources before the cycle."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from sop.outputs import Outputs
from sop.quality.report import quality_summary
from sop.warehouse import now_utc
from tasks.hooks import notify_operators
from tasks.ingest import extract_datasets, resolve_config
from tasks.quality import gate_datasets


@flow(name="ingest-validate", log_prints=True, on_failure=[notify_operators],
      on_crashed=[notify_operators])
def ingest_validate(config_path: str, period: str | None = None, docs: bool = False,
                    today: str | None = None) -> dict:
    """Extract every dataset and run the data-quality gate on it; nothing is planned.
    Fails (QualityGateError) on a critical failure; `docs` builds GX Data Docs into
    <output_dir>/data-docs/ (on failure too)."""
    run_id = str(flow_run.id or now_utc().isoformat())
    inputs = resolve_config(config_path, period, today)
    config, period = inputs.config, inputs.period
    frames = extract_datasets(config)
    gate = gate_datasets(config, frames, period, run_id, inputs.today, docs=docs)
    return {
        "period": period, "run_id": run_id,
        "summary": quality_summary(gate.results, period, gate.quarantined_counts),
        "checks": len(gate.results), "notes": gate.notes,
        "details": gate.details,
        "quarantined": gate.quarantined_counts,
        "docs": str(Outputs.at(config.output_dir).data_docs / "index.html") if docs else None,
    }
