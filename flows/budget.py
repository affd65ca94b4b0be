"""The annual budget flow: a draft budget version for a year, from the latest actuals."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from tasks.budget import build_budget_draft
from tasks.hooks import notify_operators
from tasks.ingest import extract_datasets, resolve_config, stage_datasets
from tasks.quality import gate_datasets
from tasks.records import release_run_lease, take_run_lease


@flow(name="annual-budget", log_prints=True, on_failure=[notify_operators],
      on_crashed=[notify_operators])
def annual_budget(config_path: str, year: int | None = None, today: str | None = None) -> dict:
    """Build (or rebuild, while it is a draft) the budget for `year` (default: next year)
    from the actuals through the last complete month as of `today` (default: the clock).
    Approved versions are never touched: a new draft gets the next version number."""
    inputs = resolve_config(config_path, None, today)
    config, period = inputs.config, inputs.period
    run_id = str(flow_run.id or "local")
    take_run_lease(config, "annual-budget", period, run_id)  # one run per period at a time
    try:
        frames = extract_datasets(config)
        gate = gate_datasets(config, frames, period, run_id, inputs.today)
        data = stage_datasets(config, gate.frames, period)
        return build_budget_draft(config, data, period, year)
    finally:
        release_run_lease(config, "annual-budget", period, run_id)
