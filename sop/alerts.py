"""Divergence alert rules over the plan, and their life cycle.

Each rule returns rows of ALERT_COLUMNS with a stable key `rule:entity`; the
state is carried across periods by `alert_states`: a new key opens an alert, a
key seen again keeps `first_seen`, a stored open key that no longer fires is
resolved.
"""

from __future__ import annotations

import json

import pandas as pd

from sop.config import Thresholds
from sop.periods import parse_period
from sop.plan import ALERT_COLUMNS

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
WEEKS_PER_MONTH = 52 / 12


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def stockout_alerts(balance: pd.DataFrame, period: str, thresholds: Thresholds) -> pd.DataFrame:
    """A sku x warehouse whose projected balance goes negative within `stockout_weeks`."""
    start = parse_period(period)
    months = max(1, round(thresholds.stockout_weeks / WEEKS_PER_MONTH))
    window = balance[balance["ds"] <= start + pd.DateOffset(months=months)]
    neg = window[window["closing"] < 0].sort_values("ds").drop_duplicates(["sku", "warehouse_id"])
    rows = []
    for r in neg.itertuples(index=False):
        ahead = (r.ds.year - start.year) * 12 + r.ds.month - start.month
        entity = f"{r.sku}@{r.warehouse_id}"
        rows.append({
            "alert_key": f"stockout:{entity}", "rule": "stockout", "entity": entity,
            "severity": "high" if ahead <= 1 else "medium", "state": "open",
            "message": (f"{r.sku} at {r.warehouse_id} runs out in {r.ds:%Y-%m}: projected "
                        f"balance {r.closing:,.0f} units against demand {r.demand:,.0f}"),
            "cause": "supply", "owners": "supply,sales,management",
            "figures": json.dumps({"month": f"{r.ds:%Y-%m}", "closing": round(r.closing, 1),
                                   "demand": round(r.demand, 1), "receipts": round(r.receipts, 1)}),
            "first_seen": period, "last_seen": period,
        })
    return _frame(rows)


def divergence_alerts(balance: pd.DataFrame, history: pd.DataFrame, products: pd.DataFrame,
                      period: str, thresholds: Thresholds) -> pd.DataFrame:
    """Categories whose supply over the next 3 months falls short of demand plus safety stock.

    From the projected balance: shortfall = safety stock - projected closing stock after 3
    months (stock + planned production - forecast demand), as a % of the 3 months' demand;
    it fires above `actual_vs_forecast_pct`. The root cause is 'demand' when recent demand
    moved against the same months a year earlier by more than the same threshold, else
    'supply' (production or stock fell behind a demand that did not move).
    """
    start = parse_period(period)
    window = balance[(balance["ds"] > start) & (balance["ds"] <= start + pd.DateOffset(months=3))]
    if window.empty:
        return _frame([])
    window = window.merge(products[["sku", "category"]], on="sku", how="left")
    last = window[window["ds"] == window["ds"].max()]
    by_cat = pd.DataFrame({
        "demand": window.groupby("category")["demand"].sum(),
        "receipts": window.groupby("category")["receipts"].sum(),
        "closing": last.groupby("category")["closing"].sum(),
        "safety": last.groupby("category")["safety_stock"].sum(),
    }).fillna(0.0)
    hist = history[history["level"] == "category"].sort_values("ds")
    rows = []
    for category, r in by_cat.iterrows():
        if r.demand <= 0:
            continue
        shortfall_pct = (r.safety - r.closing) / r.demand * 100.0
        if shortfall_pct < thresholds.actual_vs_forecast_pct:
            continue
        h = hist[hist["category"] == category]["y"].to_numpy()
        base = h[-15:-12].sum() if len(h) >= 15 else 0.0
        growth = (h[-3:].sum() / base - 1) * 100 if base > 0 else 0.0
        cause = "demand" if growth >= thresholds.actual_vs_forecast_pct else "supply"
        severity = "high" if shortfall_pct >= 2 * thresholds.actual_vs_forecast_pct else "medium"
        rows.append({
            "alert_key": f"demand_supply_divergence:{category}", "rule": "demand_supply_divergence",
            "entity": category, "severity": severity, "state": "open",
            "message": (f"{category}: supply for the next 3 months is {r.safety - r.closing:,.0f} "
                        f"units ({shortfall_pct:.0f}% of demand) short of demand plus safety "
                        f"stock: demand {r.demand:,.0f}, planned production {r.receipts:,.0f}, "
                        f"projected stock {r.closing:,.0f} vs safety stock {r.safety:,.0f}; "
                        f"recent demand {growth:+.0f}% year on year"),
            "cause": cause, "owners": "sales,supply,procurement,management",
            "figures": json.dumps({
                "demand_3m": round(float(r.demand), 1), "production_3m": round(float(r.receipts), 1),
                "closing_3m": round(float(r.closing), 1), "safety_stock": round(float(r.safety), 1),
                "shortfall_pct": round(float(shortfall_pct), 1),
                "demand_growth_pct": round(float(growth), 1)}),
            "first_seen": period, "last_seen": period,
        })
    return _frame(rows)


def alert_states(stored: pd.DataFrame, fired: pd.DataFrame, period: str) -> pd.DataFrame:
    """Fired alerts merged with stored ones: first_seen kept, no-longer-firing ones resolved.

    Re-running the same period gives the same result (idempotent).
    """
    stored = stored if not stored.empty else _frame([])
    prev = stored.set_index("alert_key")
    out = fired.copy()
    if not out.empty:
        kept = out["alert_key"].map(prev["first_seen"]) if len(prev) else None
        if kept is not None:
            out["first_seen"] = kept.where(kept.notna() & (kept <= period), out["first_seen"])
        acked = out["alert_key"].map(prev["state"]) if len(prev) else None
        if acked is not None:
            out["state"] = acked.where(acked == "acknowledged", "open").fillna("open")
    gone = stored[~stored["alert_key"].isin(fired["alert_key"]) & (stored["state"] != "resolved")]
    gone = gone[gone["first_seen"] <= period]
    resolved = gone.assign(state="resolved")
    return pd.concat([out, resolved[list(ALERT_COLUMNS)]], ignore_index=True)[list(ALERT_COLUMNS)]

