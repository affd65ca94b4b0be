"""Planning tasks: build the plan, settle alert states, store plan rows."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from sop.alerts import alert_states
from sop.config import Config
from sop.periods import parse_period
from sop.plan import Plan
from sop.plan_store import store_plan, stored_alerts, stored_budgets
from sop.planning import plan_for_period
from tasks.common import engine_for, retry_transient


@task(name="build-plan", cache_policy=NO_CACHE)
def build_plan(config: Config, data: dict[str, pd.DataFrame], period: str,
               notes: list[str]) -> Plan:
    engine = engine_for(config.warehouse.url)
    budgets = stored_budgets(engine, parse_period(period).year)
    plan = plan_for_period(data, period, config.planning, config.thresholds, budgets)
    get_run_logger().info("plan %s: %d forecast rows, %d balance rows, %d alerts fired",
                          period, len(plan.forecast), len(plan.balance), len(plan.alerts))
    return replace(plan, notes=tuple(notes) + plan.notes)


@task(name="settle-alerts", cache_policy=NO_CACHE)
def settle_alerts(config: Config, plan: Plan) -> Plan:
    """Merge fired alerts with stored ones (first seen, resolved) and publish a table."""
    stored = stored_alerts(engine_for(config.warehouse.url))
    alerts = alert_states(stored, plan.alerts, plan.period)
    if not alerts.empty:
        create_table_artifact(
            key="alerts", description=f"Alerts after the {plan.period} plan",
            table=alerts[["alert_key", "severity", "state", "cause", "message"]].to_dict("records"))
    return replace(plan, alerts=alerts)


@task(name="store-plan", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def store_plan_rows(config: Config, plan: Plan, run_id: str) -> dict[str, int]:
    """Replace the period's plan rows in the warehouse (idempotent per period)."""
    counts = store_plan(engine_for(config.warehouse.url), plan, run_id, plan.alerts)
    get_run_logger().info("stored %s", counts)
    return counts
