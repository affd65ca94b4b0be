"""Planning tasks: build the plan, re-balance against a stored forecast, settle alerts,
store plan rows."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sop.alerts.lifecycle import alert_states
from sop.config import Config
from sop.forecast.hierarchy import ReconciledForecast
from sop.plan import Plan
from sop.planning.build import History, demand_history, plan_from_forecast, supply_view
from sop.planning.store import (
    latest_forecast_run,
    store_alert_states,
    store_plan,
    stored_alerts,
    stored_history,
)
from tasks.common import engine_for, retry_transient, run_scoped


def _history(config: Config, period: str) -> History:
    return stored_history(engine_for(config.warehouse.url), period)


@task(name="build-plan", cache_policy=run_scoped("data", "monthly", "series", "forecast"))
def build_plan(config: Config, data: dict[str, pd.DataFrame], period: str, notes: list[str],
               monthly: pd.DataFrame, series: pd.DataFrame, forecast: ReconciledForecast) -> Plan:
    """The period's plan from its demand history and reconciled forecast (tasks/forecast.py)."""
    plan = plan_from_forecast(data, period, monthly, series, forecast, config.planning,
                              config.thresholds, _history(config, period))
    get_run_logger().info("plan %s: %d forecast rows, %d balance rows, %d alerts fired",
                          period, len(plan.forecast), len(plan.balance), len(plan.alerts))
    return replace(plan, notes=tuple(notes) + plan.notes)


@task(name="rebalance-supply", cache_policy=run_scoped("data"))
def rebalance_supply(config: Config, data: dict[str, pd.DataFrame], period: str) -> Plan:
    """Balance and alerts on fresh data against the latest stored forecast run (no new
    forecast). Fails with a clear message when no monthly cycle has stored one yet."""
    engine = engine_for(config.warehouse.url)
    run_period, forecast = latest_forecast_run(engine, period)
    if run_period is None:
        raise RuntimeError(f"no stored forecast run on or before {period}: run the monthly "
                           "cycle first (sop run --config FILE)")
    history = _history(config, run_period)
    monthly, series = demand_history(data, run_period, config.planning)
    budgets = history.budgets
    view = supply_view(data, run_period, forecast, series, budgets, config.planning,
                       config.thresholds, history, stock_asof=period)
    get_run_logger().info("re-balanced against the %s forecast: %d alerts fire",
                          run_period, len(view.alerts))
    return Plan(period=run_period, sales_monthly=monthly, forecast=forecast, budget=budgets,
                balance=view.balance, alerts=view.alerts, notes=view.notes,
                material_balance=view.material_balance)


@task(name="settle-alerts", cache_policy=run_scoped("plan"))
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
      retry_condition_fn=retry_transient, cache_policy=run_scoped("plan"))
def store_plan_rows(config: Config, plan: Plan, run_id: str) -> dict[str, int]:
    """Replace the period's plan rows in the warehouse (idempotent per period)."""
    counts = store_plan(engine_for(config.warehouse.url), plan, run_id, plan.alerts)
    get_run_logger().info("stored %s", counts)
    return counts


@task(name="store-alerts", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("plan"))
def store_alerts(config: Config, plan: Plan) -> int:
    return store_alert_states(engine_for(config.warehouse.url), plan.alerts)
