"""The demand review's loop: once a period's consensus is approved (the event
`sop.consensus.approved`, which triggers the `replan-supply` deployment), the supply side is
planned again on it and the supply, procurement and management packets go out again as the
approved revision, once per (period, revision, department, recipient)."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from sop.consensus.model import SUPPLY_SIDE
from sop.warehouse import now_utc
from tasks.alerts import push_owed_alerts
from tasks.consensus import build_approved_plan
from tasks.hooks import notify_operators
from tasks.ingest import extract_datasets, resolve_config, stage_datasets
from tasks.packets import render_packets, send_packets
from tasks.plan import settle_alerts, store_plan_rows
from tasks.quality import gate_datasets
from tasks.records import record_cycle, release_run_lease, take_run_lease


@flow(name="replan-supply", log_prints=True, on_failure=[notify_operators],
      on_crashed=[notify_operators])
def replan_supply(config_path: str, period: str | None = None, revision: int = 1,
                  today: str | None = None) -> dict:
    """Plan `period`'s supply side on its approved consensus (`revision`) and send the
    supply-side packets again, marked as that revision."""
    started = now_utc()
    run_id = str(flow_run.id or started.isoformat())
    inputs = resolve_config(config_path, period, today)
    config, period = inputs.config, inputs.period
    take_run_lease(config, "replan-supply", period, run_id)
    try:
        frames = extract_datasets(config)
        gate = gate_datasets(config, frames, period, run_id, inputs.today)
        data = stage_datasets(config, gate.frames, period)
        plan = build_approved_plan(config, data, period, gate.notes)
        plan = plan.with_alerts(settle_alerts(config, plan))
        counts = store_plan_rows(config, plan, run_id)
        # as in the monthly cycle: a channel that is down never costs the heads their packets
        pushing = push_owed_alerts(config, plan.alerts, period, return_state=True)
        packets = render_packets(config, data, plan, SUPPLY_SIDE, revision)
        deliveries = send_packets(config, period, packets, [], revision)
        owed = f"alert pushes owed: {pushing.message}" if pushing.is_failed() else ""
        record_cycle(config, run_id, period, "replan-supply", started, frames, "completed",
                     owed)
        pushed = pushing.result()  # raises the push error after the packets went out
    finally:
        release_run_lease(config, "replan-supply", period, run_id)
    return {"period": period, "revision": revision, "run_id": run_id, "stored": counts,
            "pushed": pushed, "output_dir": config.output_dir,
            "deliveries": [getattr(d, "status", str(d)) for d in deliveries]}
