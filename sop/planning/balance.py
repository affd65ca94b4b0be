"""Projected finished-goods balance by sku x distribution centre x month.

For each sku x warehouse and month m over the forecast horizon:

    demand(m)   = max(open orders requested in m, forecast of the warehouse's region in m)
    receipts(m) = planned production in m (less capacity lost to maintenance), shared across
                  warehouses by their share of the sku's demand
    extra(m)    = planned shipments in m beyond demand (shipping plan - demand, if positive)
    closing(m)  = opening + sum(receipts - demand - extra) up to m

where opening is the latest snapshot's available stock (on hand - allocated + in transit).
Open orders already past their requested date count in the first month. Weeks of supply
divide closing stock by the average weekly demand of the next three months. Safety stock
comes from the inventory data, or from a service-level rule
(z x monthly demand deviation x sqrt(lead time in months)).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from sop.periods import parse_period, period_end
from sop.plan import BALANCE_COLUMNS

WEEKS_PER_MONTH = 52 / 12
KEY = ["sku", "warehouse_id"]


def month_of(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.to_timestamp()


def production_by_month(production_plan: pd.DataFrame, maintenance_plan: pd.DataFrame) -> pd.DataFrame:
    """Planned production (sku, ds, qty) after capacity lost to maintenance windows."""
    plan = production_plan.assign(lost=0.0)
    week_end = plan["plan_week"] + pd.Timedelta(days=6)
    for m in maintenance_plan.itertuples(index=False):  # a handful of windows, not a fact table
        overlap = (plan["line_id"] == m.line_id) & (plan["plan_week"] <= m.end_date) & (
            week_end >= m.start_date)
        days = (week_end.clip(upper=m.end_date) - plan["plan_week"].clip(lower=m.start_date)
                ).dt.days + 1
        frac = (days.clip(lower=0, upper=7) / 7.0) * (m.capacity_lost_pct / 100.0)
        plan.loc[overlap, "lost"] = np.minimum(1.0, plan.loc[overlap, "lost"] + frac[overlap])
    plan["qty"] = plan["planned_qty"] * (1.0 - plan["lost"])
    plan["ds"] = month_of(plan["plan_week"])
    return plan.groupby(["sku", "ds"], as_index=False)["qty"].sum()


def opening_stock(inventory: pd.DataFrame, period: str) -> pd.DataFrame:
    """Latest finished-goods snapshot on or before the period end, per sku x warehouse."""
    cols = ["sku", "warehouse_id", "available", "safety_stock"]
    inv = inventory[(inventory["item_type"] == "finished")
                    & (inventory["snapshot_date"] <= period_end(period))]
    if inv.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in KEY else "float64") for c in cols})
    latest = inv[inv["snapshot_date"] == inv["snapshot_date"].max()]
    out = pd.DataFrame({
        "sku": latest["item_id"].to_numpy(),
        "warehouse_id": latest["warehouse_id"].to_numpy(),
        "available": (latest["on_hand"] - latest["allocated"] + latest["in_transit"]).to_numpy(),
        "safety_stock": latest["safety_stock"].to_numpy(),
    })
    return out.groupby(KEY, as_index=False)[["available", "safety_stock"]].sum()


def open_order_demand(sales_orders: pd.DataFrame, customers: pd.DataFrame,
                      warehouses: pd.DataFrame, period: str) -> pd.DataFrame:
    """Open order quantity (sku, warehouse_id, ds) by requested month; overdue ones in month 1."""
    first = parse_period(period) + pd.DateOffset(months=1)
    open_ = sales_orders[sales_orders["status"].str.lower() == "open"]
    frame = open_[["customer_id", "sku", "qty", "requested_date"]].merge(
        customers[["customer_id", "region"]], on="customer_id", how="inner").merge(
        _dcs(warehouses), on="region", how="inner")
    ds = month_of(frame["requested_date"]).clip(lower=first)
    return frame.assign(ds=ds).groupby(KEY + ["ds"], as_index=False)["qty"].sum().rename(
        columns={"qty": "open_orders"})


def service_level_safety_stock(history: pd.DataFrame, service_level: float,
                               lead_time_months: float) -> pd.DataFrame:
    """z x std of monthly demand (last 12 months) x sqrt(lead time), per sku x region."""
    recent = history[history["ds"] > history["ds"].max() - pd.DateOffset(months=12)]
    sd = recent.groupby(["sku", "region"])["y"].std(ddof=1).fillna(0.0)
    z = NormalDist().inv_cdf(service_level)
    return (sd * z * np.sqrt(lead_time_months)).rename("safety_stock").reset_index()


def demand_shares(demand: pd.DataFrame) -> pd.Series:
    """Each warehouse's share of the sku's demand (sku, warehouse_id, demand rows) over the
    horizon, indexed by sku x warehouse: how planned production is split (0 without demand)."""
    share = demand.groupby(KEY)["demand"].sum()
    return (share / share.groupby(level="sku").transform("sum")).fillna(0.0).rename("share")


def _dcs(warehouses: pd.DataFrame) -> pd.DataFrame:
    return warehouses[warehouses["kind"] == "distribution_centre"][["warehouse_id", "region"]]


def projected_balance(forecast: pd.DataFrame, inventory: pd.DataFrame,
                      production_plan: pd.DataFrame, maintenance_plan: pd.DataFrame,
                      warehouses: pd.DataFrame, period: str,
                      open_orders: pd.DataFrame | None = None,
                      shipping_plan: pd.DataFrame | None = None,
                      safety_stock: pd.DataFrame | None = None,
                      stock_asof: str | None = None) -> pd.DataFrame:
    """Balance by sku x warehouse x month over the forecast horizon (see the module doc).

    `open_orders` is `open_order_demand(...)`; `safety_stock` (sku, region, safety_stock), when
    given, replaces the snapshot's safety stock (the service-level rule); `stock_asof` takes
    the opening stock from the newest snapshot up to that period instead of `period` (the
    daily watch uses the newest snapshot against last month's forecast).
    """
    fc = forecast[forecast["level"] == "sku_region"][["sku", "region", "ds", "forecast"]]
    demand = fc.merge(_dcs(warehouses), on="region", how="inner")
    if demand.empty:
        return pd.DataFrame(columns=list(BALANCE_COLUMNS))
    if open_orders is not None and not open_orders.empty:
        demand = demand.merge(open_orders, on=KEY + ["ds"], how="left")
        demand["demand"] = np.maximum(demand["forecast"], demand["open_orders"].fillna(0.0))
    else:
        demand["demand"] = demand["forecast"]
    share = demand_shares(demand)
    prod = production_by_month(production_plan, maintenance_plan).rename(columns={"qty": "produced"})
    out = demand.join(share, on=KEY).merge(prod, on=["sku", "ds"], how="left")
    out["receipts"] = out["produced"].fillna(0.0) * out["share"].fillna(0.0)
    out["extra"] = 0.0
    if shipping_plan is not None and not shipping_plan.empty:
        ship = shipping_plan.assign(ds=month_of(shipping_plan["ship_week"])).groupby(
            KEY + ["ds"], as_index=False)["qty"].sum().rename(columns={"qty": "shipping"})
        out = out.merge(ship, on=KEY + ["ds"], how="left")
        out["extra"] = (out["shipping"].fillna(0.0) - out["demand"]).clip(lower=0.0)
    stock = opening_stock(inventory, stock_asof or period)
    out = out.merge(stock, on=KEY, how="left")
    if safety_stock is not None:
        out = out.drop(columns="safety_stock").merge(safety_stock, on=["sku", "region"], how="left")
    out[["available", "safety_stock"]] = out[["available", "safety_stock"]].fillna(0.0)
    out = out.sort_values(KEY + ["ds"]).reset_index(drop=True)
    flow = out["receipts"] - out["demand"] - out["extra"]
    out["closing"] = out["available"] + flow.groupby([out["sku"], out["warehouse_id"]]).cumsum()
    out["opening"] = out["closing"] - flow
    out["demand"] = out["demand"] + out["extra"]
    forward = _forward_mean(out, "demand", 3)
    weekly = forward / WEEKS_PER_MONTH
    out["weeks_of_supply"] = np.where(weekly > 0, out["closing"] / weekly.where(weekly > 0, 1.0),
                                      np.nan)
    return out[list(BALANCE_COLUMNS)]


def _forward_mean(frame: pd.DataFrame, col: str, n: int) -> pd.Series:
    """Mean of `col` over this and the next n-1 months, within each sku x warehouse (sorted)."""
    groups = [frame["sku"], frame["warehouse_id"]]
    total = frame[col].copy()
    count = pd.Series(1.0, index=frame.index)
    for k in range(1, n):
        nxt = frame[col].groupby(groups).shift(-k)
        total = total + nxt.fillna(0.0)
        count = count + nxt.notna()
    return total / count
