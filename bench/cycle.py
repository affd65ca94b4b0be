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
import json
import os
import time
from datetime import date

import sop.planning.build as planning
from bench.meter import Meter
from sop.config import DEPARTMENTS, Config, load_config

STAGES = ("extract", "validate", "stage", "plan", "demand", "forecast", "balance",
          "settle_alerts", "store", "push_alerts", "render", "deliver", "record")
SUB_STAGES = {"demand": "demand_history", "balance": "supply_view"}


def _instrument_planning(meter: Meter) -> None:
    for stage, name in SUB_STAGES.items():
        setattr(planning, name, meter.wrap(stage, getattr(planning, name)))


def direct_cycle(config: Config, period: str, meter: Meter, run_id: str, today: date) -> dict:
    """The monthly cycle as plain calls of the functions the flow's tasks wrap, in the
    flow's order (tasks/ names in comments), each stage measured."""
    from reports.packet import render_department_packet
    from sop.alerts.push import push_alerts
    from sop.alerts.store import settled_alerts
    from sop.contracts import CYCLE_DATASETS
    from sop.forecast.hierarchy import (
        backtest_chunks,
        base_forecasts,
        forecast_chunks,
        reconciled_from_base,
    )
    from sop.ingest.sources import read_all
    from sop.ingest.staging import staged_as_of
    from sop.items.store import stored_items
    from sop.mail import mailer_for
    from sop.packets.delivery import deliver_packets
    from sop.planning.store import store_plan
    from sop.quality.gate import QualityGateError
    from sop.quality.validate import validated_datasets
    from sop.runs import record_cycle_run
    from sop.warehouse import now_utc, warehouse_engine

    started = now_utc()
    engine, mailer = warehouse_engine(config.warehouse.url), mailer_for(config)
    with meter.stage("extract"):  # extract-datasets
        frames = read_all(config, CYCLE_DATASETS)
    with meter.stage("validate"):  # gate-datasets
        gate = validated_datasets(engine, config, frames, period, run_id, today)
        if gate.failures:
            raise QualityGateError(list(gate.failures))
    with meter.stage("stage"):  # stage-datasets
        data = staged_as_of(gate.frames, period)
    with meter.stage("plan"):
        monthly, series = planning.demand_history(data, period, config.planning)
        with meter.stage("forecast"):  # forecast-chunks, base-forecast, reconcile-forecast
            def based(parts):
                return [base_forecasts(chunk, config.planning.horizon_months, parts.end,
                                       parts.profiles, n_jobs=config.runner.forecast_jobs)
                        for chunk in parts.chunks]

            bases = based(forecast_chunks(series, config.runner.forecast_chunks))
            backtests = [(cut, based(p)) for cut, p in backtest_chunks(
                series, config.runner.forecast_chunks, config.planning.backtest_origins,
                config.planning.backtest_max_series)]
            forecast = reconciled_from_base(series, bases, backtests=backtests)
        plan = planning.cycle_plan(engine, data, period, monthly, series, forecast,  # build-plan
                                   config.planning, config.thresholds, tuple(gate.notes))
    with meter.stage("settle_alerts"):  # settle-alerts
        plan = plan.with_alerts(settled_alerts(engine, plan.alerts, period))
    with meter.stage("store"):  # store-plan
        counts = store_plan(engine, plan, run_id, plan.alerts, config.planning.review_months)
    with meter.stage("push_alerts"):  # push-alerts (no Prefect events outside a flow)
        push_alerts(engine, config, plan.alerts, period, mailer)
    with meter.stage("render"):  # render-packets
        items, packets = stored_items(engine), {}
        for dept in DEPARTMENTS:
            _, packets[dept], _ = render_department_packet(
                dept, plan, data, items, config.output_dir, company=config.company,
                locale=config.departments[dept].locale)
    with meter.stage("deliver"):  # send-packets
        results = deliver_packets(engine, period, packets,
                                  {d: config.heads(d) for d in packets}, mailer,
                                  config.output_dir)
    with meter.stage("record"):  # record-run
        record_cycle_run(engine, config, run_id, period, "monthly-cycle", started, frames,
                         "completed", code_version="bench")
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
              ("push_alerts", "tasks.alerts", "push_owed_alerts"),
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
        outcome = direct_cycle(config, args.period, meter, f"bench-{os.getpid()}",
                               date.today())
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
