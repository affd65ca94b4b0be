"""Finished-goods alert rules over the projected balance.

Defaults (config `thresholds`): stockout_weeks 8, excess_cover_weeks 26,
actual_vs_forecast_pct 15 (the category shortfall rule's threshold).
"""

from __future__ import annotations

import pandas as pd

from sop.alerts.lifecycle import alert_frame, alert_row, shortage_cause, shortage_split
from sop.config import Thresholds
from sop.names import Names
from sop.periods import parse_period
from sop.planning.balance import WEEKS_PER_MONTH

FG_OWNERS = "supply,sales,management"


def months_after(balance: pd.DataFrame, period: str, months: int) -> pd.DataFrame:
    """The rows of the `months` months after `period` (the window a rule looks at)."""
    start = parse_period(period)
    ds = pd.to_datetime(balance["ds"])
    return balance[(ds > start) & (ds <= start + pd.DateOffset(months=months))]


def alert_months(weeks: float) -> int:
    """`stockout_weeks` as whole months of the monthly balance (at least one)."""
    return max(1, round(weeks / WEEKS_PER_MONTH))


def _prev_rows(previous: pd.DataFrame | None, sku: str, wh: str) -> pd.DataFrame | None:
    if previous is None or previous.empty:
        return None
    return previous[(previous["sku"] == sku) & (previous["warehouse_id"] == wh)]


def stockout_alerts(balance: pd.DataFrame, period: str, thresholds: Thresholds,
                    growth: pd.Series | None = None, sku_category: pd.Series | None = None,
                    previous: pd.DataFrame | None = None, names: Names | None = None
                    ) -> pd.DataFrame:
    """sku x warehouse whose projected balance goes below zero within `stockout_weeks`
    (high when in the first month, else medium), or below safety stock (low). Messages name
    the product and warehouse (`names`); the codes stay in the key and in figures.code."""
    names = names or Names()
    window = months_after(balance, period, alert_months(thresholds.stockout_weeks))
    start = parse_period(period)
    rows = []
    for (sku, wh), g in window.groupby(["sku", "warehouse_id"], sort=True):
        g = g.sort_values("ds")
        neg = g[g["closing"] < 0]
        low = g[g["closing"] < g["safety_stock"]]
        if neg.empty and low.empty:
            continue
        hit = neg.iloc[0] if not neg.empty else low.iloc[0]
        upto = g[g["ds"] <= hit["ds"]]
        split = shortage_split(upto, _prev_rows(previous, sku, wh))
        cat = sku_category.get(sku) if sku_category is not None else None
        g_pct = float(growth.get(cat, 0.0)) if growth is not None and cat is not None else 0.0
        cause = shortage_cause(split, g_pct, thresholds.actual_vs_forecast_pct)
        ahead = (hit["ds"].year - start.year) * 12 + hit["ds"].month - start.month
        what = names.at(sku, wh)
        figures = {"month": f"{hit['ds']:%Y-%m}", "closing": hit["closing"],
                   "lowest_closing": g["closing"].min(), "safety_stock": hit["safety_stock"],
                   "demand": upto["demand"].sum(), "receipts": upto["receipts"].sum(),
                   "category_growth_pct": g_pct, "name": what, "code": f"{sku} / {wh}",
                   "category": cat, **split}
        entity = f"{sku}@{wh}"
        if not neg.empty:
            sev = "high" if ahead <= 1 else "medium"
            msg = (f"{what} runs out in {hit['ds']:%Y-%m}: projected balance "
                   f"{hit['closing']:,.0f} units after demand {upto['demand'].sum():,.0f} and "
                   f"receipts {upto['receipts'].sum():,.0f} units from now")
            rows.append(alert_row("stockout", entity, sev, msg, cause, FG_OWNERS, figures, period))
        else:
            msg = (f"{what} falls below safety stock in {hit['ds']:%Y-%m}: projected "
                   f"{hit['closing']:,.0f} vs safety stock {hit['safety_stock']:,.0f} units")
            rows.append(alert_row("below_safety_stock", entity, "low", msg, cause, "supply",
                                  figures, period))
    return alert_frame(rows)


def excess_cover_alerts(balance: pd.DataFrame, period: str, thresholds: Thresholds,
                        names: Names | None = None) -> pd.DataFrame:
    """sku x warehouse whose weeks of supply stay above `excess_cover_weeks` for 3 months."""
    names = names or Names()
    window = months_after(balance, period, 3)
    rows = []
    for (sku, wh), g in window.groupby(["sku", "warehouse_id"], sort=True):
        wos = g["weeks_of_supply"]
        if len(g) < 3 or wos.isna().any() or (wos <= thresholds.excess_cover_weeks).any():
            continue
        last = g.sort_values("ds").iloc[-1]
        what = names.at(sku, wh)
        msg = (f"{what} holds {last['weeks_of_supply']:,.0f} weeks of supply in "
               f"{last['ds']:%Y-%m} (bound {thresholds.excess_cover_weeks:,.0f}): "
               f"{last['closing']:,.0f} units against {g['demand'].sum():,.0f} units of "
               "demand over 3 months")
        rows.append(alert_row("excess_cover", f"{sku}@{wh}", "low", msg, "demand",
                              "supply,marketing,management",
                              {"weeks_of_supply": last["weeks_of_supply"],
                               "closing": last["closing"], "demand_3m": g["demand"].sum(),
                               "name": what, "code": f"{sku} / {wh}"},
                              period))
    return alert_frame(rows)


def divergence_alerts(balance: pd.DataFrame, growth: pd.Series, products: pd.DataFrame,
                      period: str, thresholds: Thresholds,
                      previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Categories whose supply over the next 3 months falls short of demand plus safety stock.

    shortfall = safety stock - projected closing stock after 3 months (stock + planned
    production - demand), as a % of the 3 months' demand; fires above
    `actual_vs_forecast_pct` (high at twice that). The root cause compares demand and supply
    with the previous run's projection; on a first run, recent demand moving year on year by
    more than the threshold means 'demand', else 'supply'.
    """
    window = months_after(balance, period, 3)
    if window.empty:
        return alert_frame([])
    cats = products[["sku", "category"]]
    window = window.merge(cats, on="sku", how="left")
    prev = previous.merge(cats, on="sku", how="left") if previous is not None and len(previous) else None
    rows = []
    for category, g in window.groupby("category", sort=True):
        last = g[g["ds"] == g["ds"].max()]
        demand, receipts = g["demand"].sum(), g["receipts"].sum()
        closing, safety = last["closing"].sum(), last["safety_stock"].sum()
        if demand <= 0:
            continue
        shortfall_pct = (safety - closing) / demand * 100.0
        if shortfall_pct < thresholds.actual_vs_forecast_pct:
            continue
        g_pct = float(growth.get(category, 0.0))
        split = shortage_split(g, prev[prev["category"] == category] if prev is not None else None)
        cause = shortage_cause(split, g_pct, thresholds.actual_vs_forecast_pct)
        sev = "high" if shortfall_pct >= 2 * thresholds.actual_vs_forecast_pct else "medium"
        msg = (f"{category}: supply for the next 3 months is {safety - closing:,.0f} units "
               f"({shortfall_pct:.0f}% of demand) short of demand plus safety stock: demand "
               f"{demand:,.0f}, planned production {receipts:,.0f}, projected stock "
               f"{closing:,.0f} vs safety stock {safety:,.0f}; recent demand {g_pct:+.0f}% "
               "year on year")
        figures = {"demand_3m": demand, "production_3m": receipts, "closing_3m": closing,
                   "safety_stock": safety, "shortfall_pct": shortfall_pct,
                   "demand_growth_pct": g_pct, **split}
        rows.append(alert_row("demand_supply_divergence", category, sev, msg, cause,
                              "sales,supply,procurement,management", figures, period))
    return alert_frame(rows)
