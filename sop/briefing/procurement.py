"""Procurement: material prices and trend, lead-time changes, supplier changes and material
requirements against stock and open purchase orders. Purchase prices and supplier terms
live here only (and in the management packet)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.briefing.common import CURRENCY, Col, Window, dataset, kpi, pct_change, table, with_names
from sop.briefing.supply import HORIZON_MONTHS, latest_inventory
from sop.plan import Plan

ACTIVE = frozenset({"active", "approved", "enabled"})


def _weighted_price(po: pd.DataFrame) -> pd.Series:
    value = (po["qty"] * po["unit_price"]).groupby(po["material_id"]).sum()
    return value / po.groupby("material_id")["qty"].sum().replace(0, float("nan"))


def price_trend(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Per material: quantity-weighted average PO unit price for lines ordered in the last
    3 months vs the 3 months before, change (%), and last-3-month ordered quantity. Largest
    increase first."""
    po = dataset(data, "purchase_orders")
    day = pd.to_datetime(po["order_date"])
    recent = po[(day >= w.months(-2)) & (day < w.end)]
    prior = po[(day >= w.months(-5)) & (day < w.months(-2))]
    if recent.empty and prior.empty:
        return pd.DataFrame(columns=["material_id", "material"])
    out = pd.DataFrame({"recent_price": _weighted_price(recent),
                        "prior_price": _weighted_price(prior),
                        "recent_qty": recent.groupby("material_id")["qty"].sum()})
    out["change"] = [pct_change(a, b) for a, b in zip(out["recent_price"], out["prior_price"],
                                                      strict=True)]
    out = out.rename_axis("material_id").reset_index()
    materials = dataset(data, "materials")
    out = with_names(out, materials, "material_id", target="material")
    out = with_names(out, materials, "material_id", "unit", "unit")
    out["_c"] = out["change"].astype(float)
    return out.sort_values("_c", ascending=False, na_position="last").drop(columns="_c").reset_index(
        drop=True)


def lead_time_changes(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Per supplier: contract lead time vs the actual order-to-receipt days of lines received
    in the last 3 months and in the 3 months before (averages), change (days and %), and the
    share of recent lines received after the promised date."""
    po = dataset(data, "purchase_orders")
    rec = pd.to_datetime(po["received_date"])
    po = po.assign(days=(rec - pd.to_datetime(po["order_date"])).dt.days, _rec=rec,
                   late=(rec > pd.to_datetime(po["promised_date"])).astype(float))
    recent = po[(rec >= w.months(-2)) & (rec < w.end)]
    earlier = po[(rec >= w.months(-5)) & (rec < w.months(-2))]
    if recent.empty and earlier.empty:
        return pd.DataFrame(columns=["supplier_id", "supplier"])
    out = pd.DataFrame({"recent_days": recent.groupby("supplier_id")["days"].mean(),
                        "earlier_days": earlier.groupby("supplier_id")["days"].mean(),
                        "recent_lines": recent.groupby("supplier_id")["days"].size(),
                        "late_share": recent.groupby("supplier_id")["late"].mean() * 100.0})
    out = out.rename_axis("supplier_id").reset_index()
    out["recent_lines"] = out["recent_lines"].fillna(0)
    suppliers = dataset(data, "suppliers")
    terms = suppliers.drop_duplicates("supplier_id").set_index("supplier_id")
    out["contract_days"] = out["supplier_id"].map(terms["contract_lead_time_days"])
    out["change_days"] = out["recent_days"] - out["earlier_days"]
    out["change"] = [pct_change(a, b) for a, b in zip(out["recent_days"], out["earlier_days"],
                                                      strict=True)]
    out["vs_contract"] = out["recent_days"] - out["contract_days"]
    out = with_names(out, suppliers, "supplier_id", target="supplier")
    return out.sort_values("change_days", ascending=False, na_position="last").reset_index(
        drop=True)


def supplier_changes(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Suppliers that are new (first PO in the last 3 months), not active (status), or have
    had no PO for 6 months after ordering before."""
    suppliers = dataset(data, "suppliers")
    po = dataset(data, "purchase_orders")
    po = po[pd.to_datetime(po["order_date"]) < w.end]
    first = po.groupby("supplier_id")["order_date"].min()
    last = po.groupby("supplier_id")["order_date"].max()
    rows = []
    for _, s in suppliers.iterrows():
        sid = s["supplier_id"]
        f, la = first.get(sid), last.get(sid)
        status = str(s["status"]).strip().lower() if pd.notna(s["status"]) else ""
        if status not in ACTIVE:
            change = f"status {status or 'unknown'}"
        elif f is not None and pd.Timestamp(f) >= w.months(-2):
            change = "new supplier"
        elif la is not None and pd.Timestamp(la) < w.months(-5):
            change = "no orders for 6 months"
        else:
            continue
        rows.append({"supplier_id": sid, "supplier": s["name"], "change": change,
                     "first_order": f, "last_order": la})
    return pd.DataFrame(rows, columns=["supplier_id", "supplier", "change", "first_order",
                                       "last_order"])


def material_requirements(data: Mapping[str, pd.DataFrame], plan: Plan,
                          w: Window) -> pd.DataFrame:
    """Per material: requirement for the next 3 months (SKU forecast units x BOM quantity per
    unit), available stock (on hand - allocated, latest snapshot), open PO quantity due by the
    horizon end (qty not received by the period end; undated promises count), and the balance
    (available + open POs - requirement). Shortest first."""
    fc = plan.forecast
    end = w.months(HORIZON_MONTHS + 1)
    fds = pd.to_datetime(fc["ds"])
    sku_level = fc[(fc["level"] == "sku_region") & (fds >= w.end) & (fds < end)]
    need_sku = sku_level.groupby("sku")["forecast"].sum()
    bom = dataset(data, "bom")
    need = (bom.assign(need=bom["sku"].map(need_sku).fillna(0.0) * bom["qty_per_unit"])
            .groupby("material_id")["need"].sum())
    inv = latest_inventory(data, w)
    inv = inv[inv["item_type"].astype("string").str.lower() == "material"]
    stock = inv.groupby("item_id")["available"].sum()
    po = dataset(data, "purchase_orders")
    po = po[pd.to_datetime(po["order_date"]) < w.end]
    rec = pd.to_datetime(po["received_date"])
    got = po["received_qty"].fillna(0.0).where(rec.notna() & (rec < w.end), 0.0)
    promised = pd.to_datetime(po["promised_date"])
    due = po.assign(open=(po["qty"] - got).clip(lower=0))[promised.isna() | (promised < end)]
    open_po = due.groupby("material_id")["open"].sum()
    out = pd.DataFrame({"requirement": need, "available": stock, "open_po": open_po})
    out = out[out["requirement"].fillna(0) > 0] if len(need_sku) else out.iloc[0:0]
    if out.empty:
        return pd.DataFrame(columns=["material_id", "material"])
    out = out.fillna({"available": 0.0, "open_po": 0.0}).rename_axis("material_id").reset_index()
    out["balance"] = out["available"] + out["open_po"] - out["requirement"]
    out["status"] = ["short" if b < 0 else "covered" for b in out["balance"]]
    materials = dataset(data, "materials")
    out = with_names(out, materials, "material_id", target="material")
    out = with_names(out, materials, "material_id", "unit", "unit")
    return out.sort_values("balance").reset_index(drop=True)


def procurement_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    prices = price_trend(data, w)
    leads = lead_time_changes(data, w)
    changes = supplier_changes(data, w)
    reqs = material_requirements(data, plan, w)
    up = prices[prices["change"].astype(float) > 0] if len(prices) else prices
    kpis = [
        kpi("Materials with a price increase", len(up), "count"),
        kpi("Largest price change", prices["change"].iloc[0] if len(prices) else None, "pct"),
        kpi("Suppliers with longer lead times",
            int((leads["change_days"] > 0).sum()) if len(leads) else 0, "count"),
        kpi("Supplier changes", len(changes), "count"),
        kpi("Materials short, next 3 months",
            int((reqs["status"] == "short").sum()) if len(reqs) else 0, "count"),
    ]
    three = f"{w.span(-2, 0)} vs {w.span(-5, -3)}"
    nxt = w.span(1, HORIZON_MONTHS)
    tables = {
        "prices": table(
            prices, [Col("material", "Material"), Col("unit", "Unit"),
                     Col("recent_price", "Avg price, last 3 m", "price"),
                     Col("prior_price", "Avg price, prior 3 m", "price"),
                     Col("change", "Change", "pct"), Col("recent_qty", "Qty ordered, last 3 m",
                                                          "qty")],
            title="Raw-material prices and trend",
            unit=f"PO unit price in {CURRENCY} per material unit, quantity-weighted",
            period=f"orders placed {three}", empty="No purchase orders in the last 6 months."),
        "lead_times": table(
            leads, [Col("supplier", "Supplier"), Col("contract_days", "Contract", "days"),
                    Col("recent_days", "Actual, last 3 m", "days"),
                    Col("earlier_days", "Actual, prior 3 m", "days"),
                    Col("change_days", "Change (days)", "days"), Col("change", "Change", "pct"),
                    Col("late_share", "Received late", "share")],
            title="Lead-time changes by supplier", unit="days from order to receipt",
            period=f"lines received {three}", empty="No receipts in the last 6 months."),
        "suppliers": table(
            changes, [Col("supplier", "Supplier"), Col("change", "Change"),
                      Col("first_order", "First order", "date"),
                      Col("last_order", "Last order", "date")],
            title="Supplier changes", unit="suppliers", period=f"as of end of {w.period}",
            empty="No new or inactive suppliers."),
        "requirements": table(
            reqs, [Col("material", "Material"), Col("unit", "Unit"),
                   Col("requirement", "Requirement", "qty"), Col("available", "Available", "qty"),
                   Col("open_po", "Open POs", "qty"), Col("balance", "Balance", "qty"),
                   Col("status", "Status")],
            title="Material requirements against stock and open orders",
            unit="material units", period=nxt,
            empty="No SKU-level forecast or bill of materials to derive requirements from.",
            note="Requirement = SKU forecast x BOM; open POs = quantity not yet received, "
                 f"promised by the end of {w.months(HORIZON_MONTHS):%Y-%m}."),
    }
    return {"kpis": kpis, "tables": tables}
