"""The planning stage: from staged datasets to one period's Plan.

Composition only; the maths lives in demand, forecast, budget, balance and alerts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sop.alerts import divergence_alerts, stockout_alerts
from sop.balance import projected_balance
from sop.budget import BudgetError, budget_by_month
from sop.config import PlanningConfig, Thresholds
from sop.demand import hierarchy_series, sales_monthly
from sop.forecast import forecast_series
from sop.periods import parse_period
from sop.plan import BUDGET_COLUMNS, FORECAST_COLUMNS, Plan


class PlanningError(ValueError):
    pass


def rolling_forecast(series: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Forecast every hierarchy series `horizon` months ahead, with revenue at recent prices."""
    fc = forecast_series(series[["unique_id", "ds", "y"]], h=horizon)
    attrs = series.drop_duplicates("unique_id").set_index("unique_id")[
        ["level", "region", "category", "sku"]]
    recent = series[series["ds"] > series["ds"].max() - pd.DateOffset(months=3)]
    sums = recent.groupby("unique_id")[["y", "revenue"]].sum()
    overall = series.groupby("unique_id")[["y", "revenue"]].sum()
    price = (sums["revenue"] / sums["y"].replace(0, np.nan)).fillna(
        overall["revenue"] / overall["y"].replace(0, np.nan)).fillna(0.0)
    out = fc.join(attrs, on="unique_id")
    out["revenue"] = out["forecast"] * out["unique_id"].map(price).fillna(0.0)
    return out[list(FORECAST_COLUMNS)]


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


def plan_for_period(data: Mapping[str, pd.DataFrame], period: str, planning: PlanningConfig,
                    thresholds: Thresholds, stored_budgets: pd.DataFrame) -> Plan:
    """Forecast, budget, balance and alerts for `period` from staged, as-of datasets."""
    start = parse_period(period)
    monthly = sales_monthly(data["sales_orders"], data["products"], data["customers"])
    history_start = start - pd.DateOffset(months=planning.history_months - 1)
    monthly = monthly[(monthly["ds"] >= history_start) & (monthly["ds"] <= start)]
    if monthly.empty or monthly[monthly["ds"] == start].empty:
        raise PlanningError(f"no sales orders in {period}: nothing to plan from")
    series = hierarchy_series(monthly, period)
    forecast = rolling_forecast(series, planning.horizon_months)
    notes: list[str] = []
    try:
        budget = budget_in_force(stored_budgets, monthly, start.year, planning)
    except BudgetError as e:
        budget = pd.DataFrame(columns=list(BUDGET_COLUMNS))
        notes.append(f"no budget for {start.year}: {e}")
    balance = projected_balance(forecast, data["inventory"], data["production_plan"],
                                data["maintenance_plan"], data["warehouses"], period)
    alerts = pd.concat([
        stockout_alerts(balance, period, thresholds),
        divergence_alerts(balance, series, data["products"], period, thresholds),
    ], ignore_index=True)
    short = series[series["level"] == "sku_region"].groupby("unique_id").size()
    if (short < 15).any():
        notes.append(f"{int((short < 15).sum())} sku x region series have under 15 months of "
                     "history and are forecast with a naive model")
    return Plan(period=period, sales_monthly=monthly, forecast=forecast, budget=budget,
                balance=balance, alerts=alerts, notes=tuple(notes))
