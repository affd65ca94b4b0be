"""Projected finished-goods balance by sku x distribution centre x month.

closing(m) = opening + receipts up to m - demand up to m, where opening is the
latest snapshot's available stock (on hand - allocated + in transit), receipts
are planned production (less capacity lost to maintenance) shared across
warehouses by their share of the sku's forecast, and demand is the forecast of
the warehouse's region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.periods import period_end
from sop.plan import BALANCE_COLUMNS

WEEKS_PER_MONTH = 52 / 12


def production_by_month(production_plan: pd.DataFrame, maintenance_plan: pd.DataFrame) -> pd.DataFrame:
    """Planned production (sku, ds, qty) after capacity lost to maintenance windows."""
    plan = production_plan.copy()
    plan["lost"] = 0.0
    week_end = plan["plan_week"] + pd.Timedelta(days=6)
    for m in maintenance_plan.itertuples(index=False):  # a handful of windows, not a fact table
        overlap = (plan["line_id"] == m.line_id) & (plan["plan_week"] <= m.end_date) & (
            week_end >= m.start_date)
        days = (week_end.clip(upper=m.end_date) - plan["plan_week"].clip(lower=m.start_date)
                ).dt.days + 1
        frac = (days.clip(lower=0, upper=7) / 7.0) * (m.capacity_lost_pct / 100.0)
        plan.loc[overlap, "lost"] = np.minimum(1.0, plan.loc[overlap, "lost"] + frac[overlap])
    plan["qty"] = plan["planned_qty"] * (1.0 - plan["lost"])
    plan["ds"] = plan["plan_week"].dt.to_period("M").dt.to_timestamp()
    return plan.groupby(["sku", "ds"], as_index=False)["qty"].sum()


def opening_stock(inventory: pd.DataFrame, period: str) -> pd.DataFrame:
    """Latest finished-goods snapshot on or before the period end: sku, warehouse_id, available, safety_stock."""
    inv = inventory[(inventory["item_type"] == "finished") & (inventory["snapshot_date"] <= period_end(period))]
    if inv.empty:
        return pd.DataFrame(columns=["sku", "warehouse_id", "available", "safety_stock"])
    latest = inv[inv["snapshot_date"] == inv["snapshot_date"].max()]
    return pd.DataFrame({
        "sku": latest["item_id"].to_numpy(),
        "warehouse_id": latest["warehouse_id"].to_numpy(),
        "available": (latest["on_hand"] - latest["allocated"] + latest["in_transit"]).to_numpy(),
        "safety_stock": latest["safety_stock"].to_numpy(),
    })


def projected_balance(forecast: pd.DataFrame, inventory: pd.DataFrame,
                      production_plan: pd.DataFrame, maintenance_plan: pd.DataFrame,
                      warehouses: pd.DataFrame, period: str) -> pd.DataFrame:
    """Balance by sku x warehouse x month over the forecast horizon (see module doc)."""
    dcs = warehouses[warehouses["kind"] == "distribution_centre"][["warehouse_id", "region"]]
    fc = forecast[forecast["level"] == "sku_region"][["sku", "region", "ds", "forecast"]]
    demand = fc.merge(dcs, on="region", how="inner").rename(columns={"forecast": "demand"})
    if demand.empty:
        return pd.DataFrame(columns=list(BALANCE_COLUMNS))
    share = demand.groupby(["sku", "warehouse_id"])["demand"].sum()
    share = (share / share.groupby(level="sku").transform("sum")).fillna(0).rename("share")
    prod = production_by_month(production_plan, maintenance_plan)
    demand = demand.join(share, on=["sku", "warehouse_id"]).merge(
        prod.rename(columns={"qty": "produced"}), on=["sku", "ds"], how="left")
    demand["receipts"] = demand["produced"].fillna(0.0) * demand["share"].fillna(0.0)
    stock = opening_stock(inventory, period)
    out = demand.merge(stock, on=["sku", "warehouse_id"], how="left")
    out[["available", "safety_stock"]] = out[["available", "safety_stock"]].fillna(0.0)
    out = out.sort_values(["sku", "warehouse_id", "ds"]).reset_index(drop=True)
    g = out.groupby(["sku", "warehouse_id"])
    net = (out["receipts"] - out["demand"]).groupby([out["sku"], out["warehouse_id"]]).cumsum()
    out["closing"] = out["available"] + net
    out["opening"] = out["closing"] - out["receipts"] + out["demand"]
    forward = g["demand"].transform(lambda s: s[::-1].rolling(3, min_periods=1).mean()[::-1])
    weekly = forward / WEEKS_PER_MONTH
    out["weeks_of_supply"] = np.where(weekly > 0, out["closing"] / weekly.where(weekly > 0, 1), np.nan)
    return out[list(BALANCE_COLUMNS)]
