"""The monthly coordination cycle: extract -> validate -> forecast -> plan -> alert -> packets
-> deliver. The base forecasts fan out as one task per chunk of series on the runner the
config names (`runner`, see tasks/forecast.py); reconciliation needs them all."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from sop.warehouse import now_utc
from tasks.alerts import push_owed_alerts
from tasks.forecast import (
    demand_for_period,
    forecast_runner,
    reconcile_forecast,
    split_backtest,
    split_forecast,
    submit_backtest_forecasts,
    submit_base_forecasts,
)
from tasks.hooks import notify_operators
from tasks.ingest import extract_datasets, resolve_config, stage_datasets
from tasks.packets import render_packets, send_packets
from tasks.plan import build_plan, settle_alerts, store_plan_rows
from tasks.quality import gate_datasets
from tasks.records import record_cycle, release_run_lease, take_run_lease


@flow(name="monthly-cycle", log_prints=True, on_failure=[notify_operators],
      on_crashed=[notify_operators])
def monthly_cycle(config_path: str, period: str | None = None,
                  resend: list[str] | None = None, today: str | None = None) -> dict:
    """Run one period's cycle. `period` defaults to the last complete month as of `today`
    ('YYYY-MM-DD', default: the clock, in the config's timezone); `resend` lists
    departments whose packets are sent again on purpose."""
    started = now_utc()
    run_id = str(flow_run.id or started.isoformat())
    inputs = resolve_config(config_path, period, today)
    config, period = inputs.config, inputs.period
    take_run_lease(config, "monthly-cycle", period, run_id)  # one run per period at a time
    try:
        frames = extract_datasets(config)
        gate = gate_datasets(config, frames, period, run_id, inputs.today)
        data = stage_datasets(config, gate.frames, period)
        monthly, series = demand_for_period(config, data, period)
        parts = split_forecast(config, period, series)
        trials = split_backtest(config, period, series)  # the hierarchy at earlier origins
        with forecast_runner(config.runner) as runner:  # the flow's own, or Dask (runner.kind)
            futures = submit_base_forecasts(runner, config, period, parts)
            tried = submit_backtest_forecasts(runner, config, period, trials)
            bases = [f.result() for f in futures]  # a failed chunk fails the run with its error
            backtests = [(cut, [f.result() for f in fs]) for cut, fs in tried]
            forecast = reconcile_forecast(config, period, series, bases, backtests,
                                          wait_for=futures)
        plan = build_plan(config, data, period, gate.notes, monthly, series, forecast)
        plan = plan.with_alerts(settle_alerts(config, plan))
        counts = store_plan_rows(config, plan, run_id)
        # an alert channel that is down must not cost the heads their packets: its pushes stay
        # owed (next run), and the run fails, naming the channel, only after the packets went out
        pushing = push_owed_alerts(config, plan.alerts, period, return_state=True)
        packets = render_packets(config, data, plan)
        deliveries = send_packets(config, period, packets, resend or [])
        if pushing.is_failed():
            record_cycle(config, run_id, period, "monthly-cycle", started, frames, "completed",
                         f"alert pushes owed: {pushing.message}")
            pushing.result()  # raises the push error: the run ends Failed, packets delivered
        pushed = pushing.result()
        record_cycle(config, run_id, period, "monthly-cycle", started, frames, "completed")
    finally:
        release_run_lease(config, "monthly-cycle", period, run_id)
    return {
        "period": period, "run_id": run_id, "stored": counts,
        "alerts": plan.alerts[["alert_key", "severity", "state"]].to_dict("records"),
        "pushed": pushed,
        "deliveries": [getattr(d, "status", str(d)) for d in deliveries],
        "output_dir": config.output_dir,
    }
