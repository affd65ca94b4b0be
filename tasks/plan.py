"""Planning tasks (sop.planning, sop.alerts.store): the period's plan, the daily re-balance
against a stored forecast, settled alerts, plan rows stored."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sop.alerts.groups import alert_summary
from sop.alerts.store import settled_alerts, store_alert_states
from sop.config import Config
from sop.forecast.hierarchy import ReconciledForecast
from sop.ingest.result_pickle import kept
from sop.plan import Plan
from sop.planning.build import cycle_plan, rebalanced_plan
from sop.planning.store import store_plan
from tasks.common import COLUMNAR, engine_for, retry_transient, run_scoped


@task(name="build-plan", result_serializer=COLUMNAR,
      cache_policy=run_scoped("data", "monthly", "series", "forecast"))
def build_plan(config: Config, data: dict[str, pd.DataFrame], period: str, notes: list[str],
               monthly: pd.DataFrame, series: pd.DataFrame, forecast: ReconciledForecast) -> Plan:
    """The period's plan from its demand history and reconciled forecast (tasks/forecast.py);
    `notes` are the gate's warnings."""
    plan = cycle_plan(engine_for(config.warehouse.url), data, period, monthly, series, forecast,
                      config.planning, config.thresholds, tuple(notes))
    get_run_logger().info("plan %s: %d forecast rows, %d balance rows, %d alerts fired",
                          period, len(plan.forecast), len(plan.balance), len(plan.alerts))
    return kept(plan, config.snapshot_location)  # persisted as references to its frames


@task(name="rebalance-supply", result_serializer=COLUMNAR,
      cache_policy=run_scoped("data"))
def rebalance_supply(config: Config, data: dict[str, pd.DataFrame], period: str) -> Plan:
    """Balance and alerts on fresh data against the latest stored forecast run (no new
    forecast). Fails with a clear message when no monthly cycle has stored one yet."""
    plan = rebalanced_plan(engine_for(config.warehouse.url), data, period, config.planning,
                           config.thresholds)
    get_run_logger().info("re-balanced against the %s forecast: %d alerts fire",
                          plan.period, len(plan.alerts))
    return kept(plan, config.snapshot_location)


@task(name="settle-alerts", cache_policy=run_scoped("plan"))
def settle_alerts(config: Config, plan: Plan) -> pd.DataFrame:
    """The fired alerts merged with stored ones (first seen, resolved), published as a table;
    only the alerts are returned (and persisted), not the plan again."""
    alerts = settled_alerts(engine_for(config.warehouse.url), plan.alerts, plan.period)
    if not alerts.empty:
        create_table_artifact(
            key="alerts", description=f"Alerts after the {plan.period} plan",
            table=alert_summary(alerts))
    return alerts


@task(name="store-plan", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("plan"))
def store_plan_rows(config: Config, plan: Plan, run_id: str) -> dict[str, int]:
    """Replace the period's plan rows in the warehouse (idempotent per period)."""
    counts = store_plan(engine_for(config.warehouse.url), plan, run_id, plan.alerts,
                        config.planning.review_months)
    get_run_logger().info("stored %s", counts)
    return counts


@task(name="store-alerts", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("plan"))
def store_alerts(config: Config, plan: Plan) -> int:
    return store_alert_states(engine_for(config.warehouse.url), plan.alerts)
