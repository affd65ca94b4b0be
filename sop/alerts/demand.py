"""Demand-side alert rules: forecast vs budget, actual vs forecast, sustained divergence.

Defaults (config `thresholds`): forecast_vs_budget_pct 10, actual_vs_forecast_pct 15,
sustained_periods 2. `stored` is the forecasts of earlier runs (period = as-of month,
level, unique_id, ds, forecast), as kept in the warehouse.
"""

from __future__ import annotations

import pandas as pd

from sop.alerts.lifecycle import alert_frame, alert_row
from sop.config import Thresholds
from sop.periods import parse_period, shift_period


def _category_of(unique_id: pd.Series) -> pd.Series:
    return unique_id.str.removeprefix("category=")


def forecast_vs_budget_alerts(forecast: pd.DataFrame, budget: pd.DataFrame, period: str,
                              thresholds: Thresholds) -> pd.DataFrame:
    """Categories whose next-3-month forecast revenue is off the budget for those months."""
    start = parse_period(period)
    months = pd.date_range(start + pd.DateOffset(months=1), periods=3, freq="MS")
    if budget.empty:
        return alert_frame([])
    covered = pd.to_datetime(budget["ds"])
    months = months[months.isin(covered)]  # compare only months the budget covers
    if months.empty:
        return alert_frame([])
    bud = budget[covered.isin(months)].groupby("category")["revenue"].sum()
    fc = forecast[(forecast["level"] == "category") & forecast["ds"].isin(months)]
    fc = fc.groupby("category")["revenue"].sum()
    rows = []
    for category, b in bud.items():
        f = float(fc.get(category, 0.0))
        if b <= 0:
            continue
        dev = (f - b) / b * 100.0
        if abs(dev) < thresholds.forecast_vs_budget_pct:
            continue
        sev = "high" if abs(dev) >= 2 * thresholds.forecast_vs_budget_pct else "medium"
        word = "above" if dev > 0 else "below"
        msg = (f"{category}: the forecast for {months[0]:%Y-%m} to {months[-1]:%Y-%m} is "
               f"{abs(dev):.0f}% {word} budget ({f:,.0f} vs {b:,.0f} in revenue)")
        rows.append(alert_row("forecast_vs_budget", category, sev, msg, "demand",
                              "sales,marketing,management",
                              {"forecast_revenue": f, "budget_revenue": b, "deviation_pct": dev,
                               "demand_moved": f - b}, period))
    return alert_frame(rows)


def lag1_errors(history: pd.DataFrame, stored: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """Per category and month in `periods`: actual vs the forecast made one month earlier."""
    if stored.empty:
        return pd.DataFrame(columns=["category", "month", "actual", "forecast", "deviation_pct"])
    st = stored[stored["level"] == "category"].assign(category=lambda f: _category_of(f["unique_id"]))
    st = st.assign(ds=pd.to_datetime(st["ds"]))
    act = history[history["level"] == "category"][["category", "ds", "y"]]
    rows = []
    for month in periods:
        ds = parse_period(month)
        made = st[(st["period"] == shift_period(month, -1)) & (st["ds"] == ds)]
        merged = made.merge(act[act["ds"] == ds], on=["category", "ds"], how="inner")
        for r in merged.itertuples(index=False):
            if r.forecast > 0:
                rows.append({"category": r.category, "month": month, "actual": r.y,
                             "forecast": r.forecast,
                             "deviation_pct": (r.y - r.forecast) / r.forecast * 100.0})
    return pd.DataFrame(rows, columns=["category", "month", "actual", "forecast", "deviation_pct"])


def demand_moved_alerts(history: pd.DataFrame, stored: pd.DataFrame, period: str,
                        thresholds: Thresholds) -> pd.DataFrame:
    """This month's actual demand off last month's forecast for it by more than the threshold
    (medium); off in the same direction for `sustained_periods` months running (high, rule
    `sustained_divergence`, so that one noisy month does not flap)."""
    n = thresholds.sustained_periods
    periods = [shift_period(period, -k) for k in range(n)]
    errors = lag1_errors(history, stored, periods)
    rows = []
    for category, g in errors.groupby("category", sort=True):
        now = g[g["month"] == period]
        if now.empty:
            continue
        r = now.iloc[0]
        dev = float(r["deviation_pct"])
        if abs(dev) < thresholds.actual_vs_forecast_pct:
            continue
        word = "above" if dev > 0 else "below"
        figures = {"actual": r["actual"], "forecast": r["forecast"], "deviation_pct": dev,
                   "demand_moved": r["actual"] - r["forecast"]}
        msg = (f"{category}: demand in {period} was {abs(dev):.0f}% {word} last month's "
               f"forecast ({r['actual']:,.0f} vs {r['forecast']:,.0f} units)")
        rows.append(alert_row("demand_moved", category, "medium", msg, "demand",
                              "sales,supply,management", figures, period))
        same_way = g[(g["deviation_pct"].abs() >= thresholds.actual_vs_forecast_pct)
                     & ((g["deviation_pct"] > 0) == (dev > 0))]
        if n > 1 and same_way["month"].nunique() >= n:
            msg = (f"{category}: demand has been {word} forecast by more than "
                   f"{thresholds.actual_vs_forecast_pct:.0f}% for {n} months running "
                   f"({', '.join(f'{d:+.0f}%' for d in same_way.sort_values('month')['deviation_pct'])})")
            rows.append(alert_row("sustained_divergence", category, "high", msg, "demand",
                                  "sales,supply,procurement,management",
                                  {**figures, "months": n}, period))
    return alert_frame(rows)
