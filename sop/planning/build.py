"""The planning stage: from staged datasets to one period's Plan.

Composition only; the maths lives in demand, forecast, budget, balance and the alert rules.
`plan_for_period` makes the monthly plan (a new forecast; `plan_from_forecast` when the
forecast was made elsewhere, e.g. in chunks); `supply_view` re-balances supply
against a given forecast and applies every alert rule, and is what the daily watch runs
against the latest stored forecast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from sop.alerts.actions import alerts_with_actions
from sop.alerts.credit import credit_limit_alerts, invoice_alerts
from sop.alerts.demand import demand_moved_alerts, forecast_vs_budget_alerts
from sop.alerts.groups import grouped_alerts
from sop.alerts.impact import ImpactBasis, valued_alerts
from sop.alerts.lifecycle import alert_frame, growth_by_category
from sop.alerts.stock import divergence_alerts, excess_cover_alerts, stockout_alerts
from sop.alerts.supply import (
    lead_time_alerts,
    market_gap_alerts,
    material_shortage_alerts,
    price_spike_alerts,
)
from sop.config import PlanningConfig, Thresholds
from sop.consensus.basis import forecast_in_force, plan_basis, review_scores
from sop.contracts import dataset
from sop.forecast.accuracy import forecast_accuracy
from sop.forecast.customers import customer_allocation
from sop.forecast.demand import hierarchy_series, sales_monthly
from sop.forecast.hierarchy import ReconciledForecast, reconciled_forecast
from sop.names import Names
from sop.periods import parse_period, shift_period
from sop.plan import BUDGET_COLUMNS, FORECAST_COLUMNS, History, Plan
from sop.planning.actions import Actions, cycle_actions
from sop.planning.balance import (
    WEEKS_PER_MONTH,
    open_order_demand,
    projected_balance,
    service_level_safety_stock,
)
from sop.planning.budget import BudgetError, budget_by_month, promotion_plan
from sop.planning.market import market_comparison
from sop.planning.materials import material_balance, material_requirements
from sop.planning.procurement import lead_time_drift, material_lead_times, price_trend
from sop.planning.store import latest_forecast_run, stored_history


class PlanningError(ValueError):
    pass


def category_accuracy(stored: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Errors of the stored runs by category (the category-level series) and lag, with the
    category named: what the sales-administration packet shows beside the total."""
    if stored.empty:
        return pd.DataFrame()
    cats = stored[stored["level"] == "category"]
    if cats.empty:
        return pd.DataFrame()
    actuals = series[series["level"] == "category"][["unique_id", "ds", "y"]]
    out = forecast_accuracy(cats, actuals, lags=(1, 3), by=("unique_id",))
    return out.assign(category=out["unique_id"].str.removeprefix("category="))


def customer_series(monthly: pd.DataFrame) -> pd.DataFrame:
    """Actual units per customer and month (level 'customer'), for accuracy by customer."""
    g = monthly.groupby(["customer_id", "ds"], as_index=False)[["qty", "revenue"]].sum()
    return pd.DataFrame({"level": "customer", "unique_id": "customer=" + g["customer_id"],
                         "region": None, "category": None, "sku": None, "ds": g["ds"],
                         "y": g["qty"], "revenue": g["revenue"]})


def customer_level_forecast(allocated: pd.DataFrame) -> pd.DataFrame:
    """The customer allocation summed per customer and month, in FORECAST_COLUMNS shape."""
    if allocated.empty:
        return pd.DataFrame(columns=[*FORECAST_COLUMNS, "snaive"])
    g = allocated.groupby(["customer_id", "ds"], as_index=False)[["forecast", "revenue"]].sum()
    return pd.DataFrame({
        "level": "customer", "unique_id": "customer=" + g["customer_id"], "region": None,
        "category": None, "sku": None, "ds": g["ds"], "forecast": g["forecast"],
        "lo_80": np.nan, "hi_80": np.nan, "lo_95": np.nan, "hi_95": np.nan,
        "model": "allocation", "revenue": g["revenue"], "snaive": np.nan})


def accuracy_by_level(stored: pd.DataFrame, series: pd.DataFrame,
                      customers: pd.DataFrame) -> pd.DataFrame:
    """Errors of the stored runs against the actuals that arrived since, by level and lag."""
    if stored.empty:
        return pd.DataFrame()
    actuals = pd.concat([series, customers], ignore_index=True)[["unique_id", "ds", "y"]]
    return forecast_accuracy(stored, actuals, lags=(1, 3, 6), by=("level",))


def prior_forecast(stored: pd.DataFrame, period: str) -> pd.DataFrame:
    """The forecast the run of the month before `period` made for `period`'s month (the
    levels stored: total, category, region, customer), as stored: level, unique_id, region,
    category, forecast (units), revenue. Empty without that run."""
    cols = ["level", "unique_id", "region", "category", "forecast", "revenue"]
    if stored.empty:
        return pd.DataFrame(columns=cols)
    made = stored[(stored["period"] == shift_period(period, -1))
                  & (pd.to_datetime(stored["ds"]) == parse_period(period))]
    return made[cols].reset_index(drop=True)


def budget_in_force(stored: pd.DataFrame, monthly: pd.DataFrame, year: int,
                    planning: PlanningConfig) -> pd.DataFrame:
    """The approved budget version for `year` if one is stored, else the newest stored
    version, else a fresh draft from the config's target."""
    versions = stored[stored["year"] == year] if not stored.empty else stored
    if not versions.empty:
        approved = versions[versions["approved"].astype(bool)]
        pick = approved if not approved.empty else versions
        vid = sorted(pick["version_id"].unique())[-1]
        chosen = versions[versions["version_id"] == vid].copy()
        chosen["ds"] = pd.to_datetime(chosen["ds"])
        return chosen.drop(columns=["approved"], errors="ignore").reset_index(drop=True)
    return budget_by_month(monthly, year, planning.budget_growth_pct, planning.budget_amount)


def demand_history(data: Mapping[str, pd.DataFrame], period: str,
                   planning: PlanningConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly actuals within the history window and their hierarchy series."""
    start = parse_period(period)
    monthly = sales_monthly(data["sales_orders"], data["products"], data["customers"])
    history_start = start - pd.DateOffset(months=planning.history_months - 1)
    monthly = monthly[(monthly["ds"] >= history_start) & (monthly["ds"] <= start)]
    if monthly.empty or monthly[monthly["ds"] == start].empty:
        raise PlanningError(f"no sales orders in {period}: nothing to plan from")
    return monthly, hierarchy_series(monthly, period)


@dataclass(frozen=True)
class SupplyView:
    balance: pd.DataFrame
    material_balance: pd.DataFrame
    alerts: pd.DataFrame
    notes: tuple[str, ...]
    actions: Actions


class MaterialView(NamedTuple):
    balance: pd.DataFrame
    alerts: pd.DataFrame
    notes: list[str]
    lead_times: pd.DataFrame  # material_lead_times: the current supplier per material


def material_view(data: Mapping[str, pd.DataFrame], period: str, forecast: pd.DataFrame,
                  thresholds: Thresholds, names: Names | None = None) -> MaterialView:
    """Material balance (forecast x BOM against stock and open POs) and procurement alerts."""
    po, sup, mats = data["purchase_orders"], data["suppliers"], data["materials"]
    lead = material_lead_times(po, sup, period,
                               drift_tolerance_pct=thresholds.lead_time_increase_pct)
    reqs = material_requirements(forecast, data["bom"], period)
    mbal = material_balance(reqs.frame, data["inventory"], po, lead.frame, period, materials=mats)
    trend = price_trend(po, mats, period)
    market = market_comparison(trend, dataset(data, "market_prices"), mats, period)
    alerts = pd.concat([
        material_shortage_alerts(mbal.frame, period, thresholds),
        lead_time_alerts(lead_time_drift(po, sup, period), period, thresholds,
                         (names or Names.from_data(data)).tables.get("material")),
        price_spike_alerts(trend, period, thresholds, market),
        market_gap_alerts(market, period, thresholds),
    ], ignore_index=True)
    return MaterialView(mbal.frame, alerts, [*reqs.notes, *lead.notes, *mbal.notes], lead.frame)


def supply_view(data: Mapping[str, pd.DataFrame], period: str, forecast: pd.DataFrame,
                series: pd.DataFrame, budget: pd.DataFrame, planning: PlanningConfig,
                thresholds: Thresholds, history: History, stock_asof: str | None = None
                ) -> SupplyView:
    """The projected finished-goods and material balances against `forecast`, and every
    alert rule's rows: the pull from sales back to production and procurement."""
    safety = None
    if planning.safety_stock == "service_level":
        sku_hist = series[series["level"] == "sku_region"]
        safety = service_level_safety_stock(sku_hist, planning.service_level,
                                            planning.production_lead_time_weeks / WEEKS_PER_MONTH)
    open_orders = open_order_demand(data["sales_orders"], data["customers"], data["warehouses"],
                                    stock_asof or period)
    balance = projected_balance(forecast, data["inventory"], data["production_plan"],
                                data["maintenance_plan"], data["warehouses"], period,
                                open_orders=open_orders, shipping_plan=data["shipping_plan"],
                                safety_stock=safety, stock_asof=stock_asof)
    growth = growth_by_category(series)
    sku_category = data["products"].set_index("sku")["category"]
    prev = history.previous_balance if len(history.previous_balance) else None
    names = Names.from_data(data)
    mbal, material_alerts, notes, lead_times = material_view(data, period, forecast, thresholds,
                                                             names)
    parts = [
        stockout_alerts(balance, period, thresholds, growth, sku_category, prev, names),
        excess_cover_alerts(balance, period, thresholds, names),
        divergence_alerts(balance, growth, data["products"], period, thresholds, prev),
        forecast_vs_budget_alerts(forecast, budget, period, thresholds),
        demand_moved_alerts(series, history.forecasts, period, thresholds),
        material_alerts,
        # as of the plan's period end, as the sales-administration packet shows them (the
        # daily watch does not age receivables ahead of the next monthly cycle)
        credit_limit_alerts(data, period),
        invoice_alerts(data, period, thresholds),
    ]
    alerts = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else alert_frame([])
    basis = ImpactBasis(balance, mbal, data["products"], data["bom"], data["purchase_orders"],
                        lead_times, period, names)
    current = dict(zip(lead_times["material_id"], lead_times["supplier_id"], strict=True))
    alerts = grouped_alerts(valued_alerts(alerts, basis, thresholds), current)
    actions = cycle_actions(data, balance, mbal, lead_times, period, planning, thresholds)
    skus = data["products"].groupby("category")["sku"].agg(set).to_dict()
    alerts = alerts_with_actions(alerts, actions, skus, period)
    return SupplyView(balance, mbal, alerts, tuple(notes), actions)


def plan_for_period(data: Mapping[str, pd.DataFrame], period: str, planning: PlanningConfig,
                    thresholds: Thresholds, history: History, n_jobs: int = 1) -> Plan:
    """Forecast, budget, balance and alerts for `period` from staged, as-of datasets
    (`n_jobs`: statsforecast worker processes for the base forecasts)."""
    monthly, series = demand_history(data, period, planning)
    rec = reconciled_forecast(series, h=planning.horizon_months, n_jobs=n_jobs,
                              origins=planning.backtest_origins,
                              max_series=planning.backtest_max_series)
    return plan_from_forecast(data, period, monthly, series, rec, planning, thresholds, history)


def plan_from_forecast(data: Mapping[str, pd.DataFrame], period: str, monthly: pd.DataFrame,
                       series: pd.DataFrame, rec: ReconciledForecast, planning: PlanningConfig,
                       thresholds: Thresholds, history: History) -> Plan:
    """The plan for `period` from its demand history (`demand_history`) and the reconciled
    forecast of its series (however that was computed): customer split, budget, balance and
    alerts."""
    start = parse_period(period)
    allocated = customer_allocation(rec.forecast, monthly, key_accounts=planning.key_accounts)
    customers = customer_series(monthly)
    statistical = pd.concat([rec.forecast, customer_level_forecast(allocated)],
                            ignore_index=True)
    forecast = forecast_in_force(statistical, history)
    notes: list[str] = list(rec.notes)
    try:
        budget = budget_in_force(history.budgets, monthly, start.year, planning)
    except BudgetError as e:
        budget = pd.DataFrame(columns=list(BUDGET_COLUMNS))
        notes.append(f"no budget for {start.year}: {e}")
    view = supply_view(data, period, forecast, series, budget, planning, thresholds, history)
    notes.extend(view.notes)
    promos = promotion_plan(data["promotions"], monthly, budget) if len(budget) else pd.DataFrame()
    return Plan(period=period, sales_monthly=monthly, forecast=forecast, budget=budget,
                balance=view.balance, alerts=view.alerts, notes=tuple(notes),
                material_balance=view.material_balance,
                accuracy=accuracy_by_level(history.forecasts, series, customers),
                customer_forecast=allocated, promotion_plan=promos,
                reconciliation=rec.method, actions=view.actions, forecast_choice=rec.choice,
                forecast_backtest=rec.backtest, reconciliation_reason=rec.reason,
                prior_forecast=prior_forecast(history.forecasts, period),
                category_accuracy=category_accuracy(history.forecasts, series),
                basis=plan_basis(period, history), review_authors=history.version_authors,
                review_scores=review_scores(history, pd.concat([series, customers])),
                statistical_forecast=statistical if forecast is not statistical else
                pd.DataFrame())


def cycle_plan(engine: Engine, data: Mapping[str, pd.DataFrame], period: str,
               monthly: pd.DataFrame, series: pd.DataFrame, rec: ReconciledForecast,
               planning: PlanningConfig, thresholds: Thresholds,
               quality_notes: tuple[str, ...] = ()) -> Plan:
    """The monthly cycle's plan: `plan_from_forecast` against the stored history of earlier
    runs, carrying the gate's warnings (shown once, in the data-quality section)."""
    plan = plan_from_forecast(data, period, monthly, series, rec, planning, thresholds,
                              stored_history(engine, period))
    return replace(plan, quality_notes=tuple(quality_notes))


def rebalanced_plan(engine: Engine, data: Mapping[str, pd.DataFrame], period: str,
                    planning: PlanningConfig, thresholds: Thresholds) -> Plan:
    """Balance and alerts on fresh data (`data` staged as of `period`) against the latest
    stored forecast run, without a new forecast: the daily watch. The plan is that run's
    period; stock is taken as of `period`."""
    run_period, forecast = latest_forecast_run(engine, period)
    if run_period is None:
        raise PlanningError(f"no stored forecast run on or before {period}: run the monthly "
                            "cycle first (sop run --config FILE)")
    history = stored_history(engine, run_period)
    forecast = forecast_in_force(forecast, history)  # the approved consensus, where there is one
    monthly, series = demand_history(data, run_period, planning)
    view = supply_view(data, run_period, forecast, series, history.budgets, planning,
                       thresholds, history, stock_asof=period)
    return Plan(period=run_period, sales_monthly=monthly, forecast=forecast,
                budget=history.budgets, balance=view.balance, alerts=view.alerts,
                notes=view.notes, material_balance=view.material_balance, actions=view.actions,
                basis=plan_basis(run_period, history))
