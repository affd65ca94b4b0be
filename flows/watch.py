"""The daily divergence watch: fresh data re-balanced against the latest forecast run.

No new forecast is made: extract, validate, re-balance supply, settle and push alerts.
"""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from sop.periods import shift_period
from tasks.alerts import push_owed_alerts
from tasks.hooks import notify_operators
from tasks.ingest import extract_datasets, resolve_config, stage_datasets
from tasks.items import send_item_reminders
from tasks.plan import rebalance_supply, settle_alerts, store_alerts
from tasks.quality import gate_datasets
from tasks.records import release_run_lease, take_run_lease


@flow(name="watch-divergence", log_prints=True, on_failure=[notify_operators],
      on_crashed=[notify_operators])
def watch_divergence(config_path: str, period: str | None = None,
                     today: str | None = None) -> dict:
    """`period` is the last complete month as of `today` (default: the clock); data is taken
    as fresh as it comes, up to the end of the month after it. Also sends coordination-item
    reminders (due in 3 days, overdue), each once."""
    inputs = resolve_config(config_path, period, today)
    config, period = inputs.config, inputs.period
    run_id = str(flow_run.id or "local")
    take_run_lease(config, "watch-divergence", period, run_id)  # one run per period at a time
    try:
        # coordination-item reminders first, so that a data-quality stop does not hold them back
        reminders = send_item_reminders(config, inputs.today)
        frames = extract_datasets(config)
        gate = gate_datasets(config, frames, period, run_id, inputs.today)
        data = stage_datasets(config, gate.frames, shift_period(period, 1))
        plan = rebalance_supply(config, data, shift_period(period, 1))
        plan = plan.with_alerts(settle_alerts(config, plan))
        store_alerts(config, plan)
        pushed = push_owed_alerts(config, plan.alerts, plan.period)
        return {
            "period": period, "forecast_run": plan.period, "pushed": pushed,
            "item_reminders": len(reminders),
            "alerts": plan.alerts[["alert_key", "severity", "state"]].to_dict("records"),
        }
    finally:
        release_run_lease(config, "watch-divergence", period, run_id)
