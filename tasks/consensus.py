"""Demand-review tasks (sop.consensus): the supply side planned again on the approved
consensus."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task

from sop.config import Config
from sop.consensus.replan import approved_plan
from sop.ingest.result_pickle import kept
from sop.plan import Plan
from tasks.common import COLUMNAR, engine_for, run_scoped


@task(name="build-approved-plan", result_serializer=COLUMNAR,
      cache_policy=run_scoped("data"))
def build_approved_plan(config: Config, data: dict[str, pd.DataFrame], period: str,
                        notes: list[str]) -> Plan:
    """The period's plan on its approved consensus (balance, materials, alerts, actions);
    `notes` are the gate's warnings."""
    plan = approved_plan(engine_for(config.warehouse.url), data, period, config.planning,
                         config.thresholds, tuple(notes))
    get_run_logger().info("plan %s on the approved consensus (revision %s): %d alerts fired",
                          period, plan.basis.get("revision"), len(plan.alerts))
    return kept(plan, config.snapshot_location)
