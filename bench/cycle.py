"""One monthly cycle, measured stage by stage: the stage functions called directly, or the
Prefect flow `monthly-cycle`. Run in a fresh process per cycle by `bench.scale`:

    python -m bench.cycle --config sop.yaml --period 2025-06 --mode direct|flow --out run.json

`direct` composes the same `sop` functions the tasks wrap, in the flow's order, without
Prefect (no artifacts, no Prefect events, no logging). `flow` runs `flows.monthly` against
the Prefect API in PREFECT_API_URL, each task's body measured as the same stage. In both
modes demand, forecast and balance are measured where `sop.planning.build` calls them (in the
direct cycle they are parts of `plan`; a flow with its own forecast tasks measures those as
`forecast`, and its `plan` is then the rest of the planning).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import replace
from datetime import date

import sop.planning.build as planning
from bench.meter import Meter
from sop.config import DEPARTMENTS, Config, load_config

STAGES = ("extract", "validate", "stage", "plan", "demand", "forecast", "balance",
          "settle_alerts", "store", "push_alerts", "render", "deliver", "record")
SUB_STAGES = {"demand": "demand_history", "forecast": "reconciled_forecast",
              "balance": "supply_view"}


def _instrument_planning(meter: Meter) -> None:
    for stage, name in SUB_STAGES.items():
        setattr(planning, name, meter.wrap(stage, getattr(planning, name)))


def direct_cycle(config: Config, period: str, meter: Meter, run_id: str) -> dict:
    """The monthly cycle as plain function calls, each stage measured."""
    from reports.packet import build_packet
    from sop.alerts.lifecycle import alert_states
    from sop.alerts.push import alert_digest, pending_pushes
    from sop.contracts import DATASETS
    from sop.ingest.sources import read_all
    from sop.ingest.staging import as_of, staged
    from sop.items.store import stored_items
    from sop.packets.archive import archive_packet, outbox_dir, packets_root
    from sop.packets.briefing import packet_context
    from sop.packets.delivery import deliver_packets, write_eml
    from sop.planning.store import (
        done_pushes,
        record_pushes,
        record_run,
        store_plan,
        stored_alerts,
        stored_history,
    )
    from sop.quality.gate import QualityGateError, quality_findings, quality_gate
    from sop.quality.store import previous_row_counts, store_check_results, store_quarantine
    from sop.runs import snapshot_hash, snapshot_summary
    from sop.warehouse import now_utc, warehouse_engine

    started = now_utc()
    engine = warehouse_engine(config.warehouse.url)
    with meter.stage("extract"):
        frames = read_all(config, DATASETS)
    with meter.stage("validate"):
        findings = quality_findings(
            frames, period, config.thresholds.freshness_tolerance_days, today=date.today(),
            previous_counts=previous_row_counts(engine, exclude_run=run_id),
            volume_band_pct=config.thresholds.volume_band_pct)
        gate = quality_gate(frames, findings, {n: config.dataset(n).on_error for n in frames})
        store_check_results(engine, run_id, period, gate.results)
        if gate.failures:
            raise QualityGateError(list(gate.failures))
        store_quarantine(engine, run_id, period, gate.quarantine)
    with meter.stage("stage"):
        data = {n: as_of(staged(f, n), n, period) for n, f in gate.frames.items()}
    with meter.stage("plan"):
        history = stored_history(engine, period)  # what tasks.plan reads too
        plan = planning.plan_for_period(data, period, config.planning, config.thresholds,
                                        history, n_jobs=config.runner.forecast_jobs)
    with meter.stage("settle_alerts"):
        plan = replace(plan, alerts=alert_states(stored_alerts(engine), plan.alerts, period))
    with meter.stage("store"):
        counts = store_plan(engine, plan, run_id, plan.alerts)
    with meter.stage("push_alerts"):
        heads = {d: [str(a) for a in c.heads] for d, c in config.departments.items()}
        by_recipient: dict[str, list] = {}
        for push in pending_pushes(plan.alerts, done_pushes(engine), (), heads):
            by_recipient.setdefault(push.channel.removeprefix("email:"), []).append(push)
        for recipient, pushes in by_recipient.items():
            tag = hashlib.sha256("|".join(sorted(p.push_key for p in pushes)).encode())
            write_eml(alert_digest(pushes, "sop@localhost", recipient, period),
                      outbox_dir(config.output_dir) / "alerts" / period
                      / f"{recipient}-{tag.hexdigest()[:12]}.eml")
            record_pushes(engine, [p.as_row() for p in pushes])
    with meter.stage("render"):
        items, packets = stored_items(engine), {}
        for dept in DEPARTMENTS:
            context = packet_context(dept, period, data, plan, plan.notes, items=items)
            packets[dept] = build_packet(dept, context, company=config.company,
                                         locale=config.departments[dept].locale)
            archive_packet(packets[dept], config.output_dir, period, dept)
    with meter.stage("deliver"):
        recipients = {d: [str(a) for a in config.departments[d].heads] for d in packets}
        results = deliver_packets(engine, period, packets, recipients, config.smtp,
                                  outbox_dir(config.output_dir),
                                  archive_dir=packets_root(config.output_dir))
    with meter.stage("record"):
        summary = snapshot_summary(frames)
        record_run(engine, {
            "run_id": run_id, "period": period, "flow": "monthly-cycle", "status": "completed",
            "started_at": started, "finished_at": now_utc(),
            "config_hash": config.fingerprint, "code_version": "bench",
            "snapshot_hash": snapshot_hash(summary),
            "snapshot": json.dumps(summary, sort_keys=True), "message": ""})
    engine.dispose()
    return {"rows": {n: len(f) for n, f in frames.items()}, "stored": counts,
            "alerts": int(len(plan.alerts)), "deliveries": [r.status for r in results]}


FLOW_TASKS = (("extract", "tasks.ingest", "extract_datasets"),
              ("validate", "tasks.quality", "gate_datasets"),
              ("stage", "tasks.ingest", "stage_datasets"),
              ("forecast", "tasks.forecast", "base_forecast"),  # when the flow has them
              ("forecast", "tasks.forecast", "reconcile_forecast"),
              ("plan", "tasks.plan", "build_plan"),
              ("settle_alerts", "tasks.plan", "settle_alerts"),
              ("store", "tasks.plan", "store_plan_rows"),
              ("push_alerts", "tasks.alerts", "push_alerts"),
              ("render", "tasks.packets", "render_packets"),
              ("deliver", "tasks.packets", "send_packets"),
              ("record", "tasks.records", "record_cycle"))


def flow_cycle(config_path: str, period: str, meter: Meter) -> dict:
    """The Prefect flow, each task's body measured as its stage."""
    import importlib

    for stage, module, name in FLOW_TASKS:
        try:
            task = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        task.fn = meter.wrap(stage, task.fn)
    from flows.monthly import monthly_cycle

    result = monthly_cycle(config_path=config_path, period=period)
    return {"alerts": len(result["alerts"]), "deliveries": result["deliveries"],
            "stored": result["stored"]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.cycle")
    ap.add_argument("--config", required=True)
    ap.add_argument("--period", required=True)
    ap.add_argument("--mode", choices=("direct", "flow"), required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    t_import = time.perf_counter()
    def partial(stages: dict) -> None:  # what a run cut short by a timeout leaves
        with open(args.out + ".partial", "w") as fh:
            json.dump({"mode": args.mode, "stages": stages}, fh, indent=1)

    meter = Meter(sink=partial)
    _instrument_planning(meter)
    t0, c0 = time.perf_counter(), time.process_time()
    if args.mode == "direct":
        config = load_config(args.config, os.environ)
        outcome = direct_cycle(config, args.period, meter, f"bench-{os.getpid()}")
    else:
        outcome = flow_cycle(args.config, args.period, meter)
    wall = time.perf_counter() - t0
    import resource
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = {"wall_s": round(wall, 2),
             "cpu_s": round(time.process_time() - c0 + ch.ru_utime + ch.ru_stime, 2),
             "imports_s": round(t0 - t_import, 2)} | meter.close()
    with open(args.out, "w") as fh:
        json.dump({"mode": args.mode, "stages": meter.stages, "total": total,
                   "outcome": outcome}, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
