"""Production, warehouse and logistics: stock, projected balance, production schedule
against demand, maintenance windows and the shipping plan. Quantities only: no prices."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.packets.briefing.common import (
    Col,
    Window,
    dataset,
    kpi,
    month_of,
    share,
    table,
    with_names,
)
from sop.plan import Plan
from sop.planning.balance import opening_stock

HORIZON_MONTHS = 3
SHIPPING_WEEKS = 6


def latest_inventory(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Rows of the last inventory snapshot taken before the period end (or, if none, the
    earliest one after it), each with its category (products for finished goods, materials
    for materials) and available = on hand - allocated."""
    inv = dataset(data, "inventory")
    snap = pd.to_datetime(inv["snapshot_date"])
    if inv.empty:
        return inv.assign(category=pd.Series(dtype=object), available=pd.Series(dtype=float))
    before = snap[snap < w.end]
    pick = before.max() if len(before) else snap.min()
    inv = inv[snap == pick].copy()
    products, materials = dataset(data, "products"), dataset(data, "materials")
    pcat = products.drop_duplicates("sku").set_index("sku")["category"]
    mcat = materials.drop_duplicates("material_id").set_index("material_id")["category"]
    kind = inv["item_type"].astype("string").str.lower()
    cat = inv["item_id"].map(pcat).where(kind == "finished", inv["item_id"].map(mcat))
    inv["category"] = cat.fillna("(unknown)")
    munit = materials.drop_duplicates("material_id").set_index("material_id")["unit"]
    inv["unit"] = inv["item_id"].map(munit).where(kind != "finished", "units").fillna("units")
    inv["available"] = inv["on_hand"] - inv["allocated"].fillna(0.0)
    return inv


def stock_by_category(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Finished and material stock by category and unit at the latest snapshot (quantities
    in different units are never added): on hand, allocated, available, in transit, safety
    stock, and item-locations whose available stock is below safety stock."""
    inv = latest_inventory(data, w)
    if inv.empty:
        return pd.DataFrame(columns=["item_type", "category", "unit"])
    inv = inv.assign(below=(inv["available"] < inv["safety_stock"]).astype(int))
    g = inv.groupby(["item_type", "category", "unit"], as_index=False).agg(
        items=("item_id", "nunique"), on_hand=("on_hand", "sum"), allocated=("allocated", "sum"),
        available=("available", "sum"), in_transit=("in_transit", "sum"),
        safety_stock=("safety_stock", "sum"), below_safety=("below", "sum"))
    return g.sort_values(["item_type", "category", "unit"]).reset_index(drop=True)


def stock_bridge(data: Mapping[str, pd.DataFrame], plan: Plan, w: Window) -> pd.DataFrame:
    """Finished goods from the snapshot's on hand to the projection's opening stock: on
    hand - allocated + in transit = available (sop.planning.balance.opening_stock, the one
    definition), less what sits where the projection plans no demand (plants, centres
    without a forecast for the item) = the opening of the first projected month."""
    inv = dataset(data, "inventory")
    fin = inv[(inv["item_type"].astype("string").str.lower() == "finished")
              & (pd.to_datetime(inv["snapshot_date"]) < w.end)]
    fin = fin[pd.to_datetime(fin["snapshot_date"]) == pd.to_datetime(fin["snapshot_date"]).max()]
    bal = plan.balance
    first = bal[pd.to_datetime(bal["ds"]) == pd.to_datetime(bal["ds"]).min()] if len(bal) else bal
    if fin.empty:
        return pd.DataFrame(columns=["step", "qty"])
    stock = opening_stock(inv, w.period)
    opening = float(first["opening"].sum()) if len(first) else 0.0
    rows = [("On hand", fin["on_hand"].sum()), ("Allocated to orders", -fin["allocated"].sum()),
            ("In transit", fin["in_transit"].sum()),
            ("Available", stock["available"].sum()),
            ("Not in the projection (no demand planned there)",
             opening - stock["available"].sum()),
            ("Projected opening stock", opening)]
    return pd.DataFrame(rows, columns=["step", "qty"])


def _horizon(frame: pd.DataFrame, col: str, w: Window) -> pd.DataFrame:
    ds = month_of(frame[col])
    return frame[(ds >= w.end) & (ds < w.months(HORIZON_MONTHS + 1))].assign(month=ds)


def balance_outlook(plan: Plan, w: Window) -> pd.DataFrame:
    """Projected finished-goods balance for the next 3 months (all SKUs and warehouses):
    opening, receipts, demand, closing, safety stock, and SKU-warehouses below safety stock
    or negative."""
    bal = _horizon(plan.balance, "ds", w)
    if bal.empty:
        return pd.DataFrame(columns=["month"])
    bal = bal.assign(below=(bal["closing"] < bal["safety_stock"]).astype(int),
                     negative=(bal["closing"] < 0).astype(int))
    g = bal.groupby("month", as_index=False).agg(
        opening=("opening", "sum"), receipts=("receipts", "sum"), demand=("demand", "sum"),
        closing=("closing", "sum"), safety_stock=("safety_stock", "sum"),
        below_safety=("below", "sum"), negative=("negative", "sum"))
    g["month"] = g["month"].dt.strftime("%Y-%m")
    return g


def at_risk(plan: Plan, data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """SKU-warehouses whose projected closing stock falls below safety stock (or below zero)
    within the next 3 months, at the first month it happens, soonest and deepest first."""
    bal = _horizon(plan.balance, "ds", w)
    bal = bal[bal["closing"] < bal["safety_stock"]]
    if bal.empty:
        return pd.DataFrame(columns=["sku", "warehouse_id"])
    first = bal.sort_values("month").groupby(["sku", "warehouse_id"], as_index=False).first()
    first["risk"] = ["stock-out" if c < 0 else "below safety" for c in first["closing"]]
    first["gap"] = first["closing"] - first["safety_stock"]
    first = first.sort_values(["month", "gap"]).reset_index(drop=True)
    first["month"] = first["month"].dt.strftime("%Y-%m")
    first = with_names(first, dataset(data, "products"), "sku", target="product")
    return with_names(first, dataset(data, "warehouses"), "warehouse_id", target="warehouse")


def production_vs_demand(data: Mapping[str, pd.DataFrame], plan: Plan,
                         w: Window) -> pd.DataFrame:
    """Planned production vs forecast demand (units) by month and category for the next
    3 months; cover = planned / forecast (%)."""
    pp = _horizon(dataset(data, "production_plan"), "plan_week", w)
    cat = dataset(data, "products").drop_duplicates("sku").set_index("sku")["category"]
    pp = pp.assign(category=pp["sku"].map(cat).fillna("(unknown)"))
    fc = plan.forecast
    fc = _horizon(fc[fc["level"] == "category"], "ds", w)
    out = pd.DataFrame({
        "planned": pp.groupby(["month", "category"])["planned_qty"].sum(),
        "forecast": fc.groupby(["month", "category"])["forecast"].sum(),
    })
    if out.empty:
        return pd.DataFrame(columns=["month", "category"])
    if len(pp):
        out["planned"] = out["planned"].fillna(0.0)
    out = out.reset_index().sort_values(["month", "category"])
    out["gap"] = out["planned"] - out["forecast"]
    out["cover"] = [share(p, f) for p, f in zip(out["planned"], out["forecast"], strict=True)]
    out["month"] = out["month"].dt.strftime("%Y-%m")
    return out.reset_index(drop=True)


def maintenance_windows(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Maintenance windows overlapping the next 3 months, with their length in days."""
    mp = dataset(data, "maintenance_plan").copy()
    start, end = pd.to_datetime(mp["start_date"]), pd.to_datetime(mp["end_date"])
    mp = mp[(start < w.months(HORIZON_MONTHS + 1)) & (end >= w.end)].copy()
    mp["days"] = (pd.to_datetime(mp["end_date"]) - pd.to_datetime(mp["start_date"])).dt.days + 1
    return mp.sort_values(["start_date", "line_id"]).reset_index(drop=True)


def shipping_plan(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Planned shipments (units) for the first 6 weeks after the period, by week and
    warehouse, with the number of regions and SKUs served."""
    sp = dataset(data, "shipping_plan")
    week = pd.to_datetime(sp["ship_week"])
    sp = sp[(week >= w.end - pd.Timedelta(days=6))
            & (week < w.end + pd.Timedelta(weeks=SHIPPING_WEEKS))]
    if sp.empty:
        return pd.DataFrame(columns=["ship_week", "warehouse_id"])
    g = sp.groupby(["ship_week", "warehouse_id"], as_index=False).agg(
        regions=("region", "nunique"), skus=("sku", "nunique"), qty=("qty", "sum"))
    return with_names(g, dataset(data, "warehouses"), "warehouse_id", target="warehouse")


def _weeks_label(ships: pd.DataFrame) -> str:
    """The window of the shipping table as its rows span it."""
    if ships.empty:
        return f"the {SHIPPING_WEEKS} weeks after the period"
    weeks = pd.to_datetime(ships["ship_week"])
    return f"weeks starting {weeks.min():%Y-%m-%d} to {weeks.max():%Y-%m-%d}"


def supply_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    inv = latest_inventory(data, w)
    ships = shipping_plan(data, w)
    risk = at_risk(plan, data, w)
    pvd = production_vs_demand(data, plan, w)
    snap = (f"snapshot {pd.Timestamp(inv['snapshot_date'].iloc[0]):%Y-%m-%d}" if len(inv)
            else "no snapshot")
    nxt = f"{w.span(1, HORIZON_MONTHS)}"
    finished = inv[inv["item_type"].astype("string").str.lower() == "finished"]
    kpis = [
        kpi("Finished goods on hand", finished["on_hand"].sum() if len(finished) else None,
            "qty", "units"),
        kpi("Item-locations below safety stock", int((inv["available"] < inv["safety_stock"]
                                                      ).sum()) if len(inv) else None, "count"),
        kpi("SKU-warehouses at risk, next 3 months", len(risk), "count"),
        kpi("Projected stock-outs", int((risk.get("risk") == "stock-out").sum()) if len(risk)
            else 0, "count"),
        kpi("Production cover of forecast", share(pvd["planned"].sum(), pvd["forecast"].sum())
            if len(pvd) else None, "share"),
    ]
    tables = {
        "stock": table(
            stock_by_category(data, w),
            [Col("item_type", "Type"), Col("category", "Category"), Col("unit", "Unit"),
             Col("items", "Items", "count"),
             Col("on_hand", "On hand", "qty"), Col("available", "Available", "qty"),
             Col("in_transit", "In transit", "qty"), Col("safety_stock", "Safety stock", "qty"),
             Col("below_safety", "Below safety", "count")],
            title="Finished and material stock by category",
            unit="quantity in each row's unit (units for finished goods)", period=snap,
            empty="No inventory snapshot."),
        "bridge": table(
            stock_bridge(data, plan, w),
            [Col("step", "Finished goods"), Col("qty", "Units", "qty")],
            title="From stock on hand to the projected opening", unit="units", period=snap,
            empty="No inventory snapshot."),
        "balance": table(
            balance_outlook(plan, w),
            [Col("month", "Month"), Col("opening", "Opening", "qty"),
             Col("receipts", "Receipts", "qty"), Col("demand", "Demand", "qty"),
             Col("closing", "Closing", "qty"), Col("safety_stock", "Safety stock", "qty"),
             Col("below_safety", "Below safety", "count"), Col("negative", "Negative", "count")],
            title="Projected finished-goods balance", unit="units (all SKUs and warehouses)",
            period=nxt, empty="No projected balance in this plan."),
        "at_risk": table(
            risk.head(20),
            [Col("product", "Product"), Col("warehouse", "Warehouse"), Col("month", "From"),
             Col("closing", "Closing", "qty"), Col("safety_stock", "Safety stock", "qty"),
             Col("weeks_of_supply", "Weeks of supply", "weeks"), Col("risk", "Risk")],
            title="SKU-warehouses at risk", unit="units; weeks of supply", period=nxt,
            empty="No SKU-warehouse falls below safety stock.",
            note=f"20 of {len(risk)} shown." if len(risk) > 20 else None),
        "production": table(
            pvd,
            [Col("month", "Month"), Col("category", "Category"), Col("planned", "Planned", "qty"),
             Col("forecast", "Forecast demand", "qty"), Col("gap", "Planned - demand", "qty"),
             Col("cover", "Cover", "share")],
            title="Production plan against forecast demand", unit="units", period=nxt,
            empty="No production plan or forecast for the next 3 months."),
        "maintenance": table(
            maintenance_windows(data, w),
            [Col("line_id", "Line"), Col("start_date", "Start", "date"),
             Col("end_date", "End", "date"), Col("days", "Days", "count"), Col("kind", "Kind"),
             Col("capacity_lost_pct", "Capacity lost", "share")],
            title="Maintenance windows", unit="days; capacity lost in %", period=nxt,
            empty="No maintenance planned in the next 3 months."),
        "shipping": table(
            ships,
            [Col("ship_week", "Week", "date"), Col("warehouse", "Warehouse"),
             Col("regions", "Regions", "count"), Col("skus", "SKUs", "count"),
             Col("qty", "Units", "qty")],
            title="Shipping plan", unit="units", period=_weeks_label(ships),
            empty="No shipments planned for the coming weeks."),
    }
    return {"kpis": kpis, "tables": tables}
