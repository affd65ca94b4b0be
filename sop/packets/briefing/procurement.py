"""Procurement: material prices and trend (against market prices where the company records
them), lead-time changes, supplier changes and material requirements against stock and open
purchase orders. Purchase prices and supplier terms
live here only (and in the management packet).

The figures come from the canonical functions in sop.planning (procurement, suppliers) and
from the plan's material balance, the same ones the alert rules use; this module only picks
the packet's window and columns."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.packets.briefing.common import CURRENCY, Col, Window, between, dataset, kpi, table
from sop.packets.briefing.supply import HORIZON_MONTHS
from sop.plan import Plan
from sop.planning import procurement as proc
from sop.planning import suppliers as sup
from sop.planning.market import market_comparison

RECENT_MONTHS = 3
TRAILING_MONTHS = 12


def price_trend(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Per material: quantity-weighted average PO unit price for lines ordered in the last
    3 months vs the 3 months before (prior_price), change (%), and last-3-month ordered
    quantity. Largest increase first."""
    out = proc.price_trend(dataset(data, "purchase_orders"), dataset(data, "materials"),
                           w.period, RECENT_MONTHS)
    return out.rename(columns={"earlier_price": "prior_price", "change_pct": "change"})


def lead_time_changes(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Per supplier: contract lead time vs the median order-to-receipt days of lines received
    in the last 3 months (recent_days) and in the 12 months before (earlier_days), change
    (days and %), days over contract, the share of recent lines received after the promised
    date and on-time-in-full (%) of lines promised in the last 3 months."""
    po = dataset(data, "purchase_orders")
    out = proc.lead_time_drift(po, dataset(data, "suppliers"), w.period,
                               recent_months=RECENT_MONTHS, trailing_months=TRAILING_MONTHS)
    otif = sup.supplier_performance(po, w.period, RECENT_MONTHS)
    out = out.merge(otif[["supplier_id", "otif_pct"]], on="supplier_id", how="left")
    return out.rename(columns={"recent_lag_days": "recent_days", "trailing_lag_days":
                               "earlier_days", "change_pct": "change",
                               "vs_contract_days": "vs_contract", "otif_pct": "otif"})


def supplier_changes(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Suppliers that are new (first PO in the last 3 months), not active (status), have had
    no PO for 6 months after ordering before, are missing from the master, or whose share of a
    material's orders moved by more than 20 points (last 3 months vs the 3 before)."""
    out = sup.supplier_changes(dataset(data, "purchase_orders"), dataset(data, "suppliers"),
                                w.period, RECENT_MONTHS, materials=dataset(data, "materials"))
    return out.assign(change=out["detail"])[
        ["supplier_id", "supplier", "change", "first_order", "last_order"]]


def material_requirements(data: Mapping[str, pd.DataFrame], plan: Plan,
                          w: Window) -> pd.DataFrame:
    """Per material, over the next 3 months (from the plan's month-by-month material balance,
    the one the material alerts read):
    requirement (SKU forecast units x BOM quantity per unit), available stock at the period end
    (on hand - allocated), open PO quantity expected by the horizon end, the projected balance
    at the horizon end and the status ('short' when any of the months runs below zero).
    Shortest first."""
    bal = plan.material_balance  # the plan's, computed with the configured thresholds
    if len(bal):
        bal = bal[bal["ds"] < w.months(HORIZON_MONTHS + 1)].sort_values(["material_id", "ds"])
    if bal.empty:
        return pd.DataFrame(columns=["material_id", "material"])
    g = bal.groupby("material_id")
    out = pd.DataFrame({"material": g["material"].first(), "unit": g["unit"].first(),
                        "requirement": g["gross_requirement"].sum(),
                        "available": g["opening"].first(),
                        "open_po": g["expected_receipts"].sum(),
                        "balance": g["projected_on_hand"].last(),
                        "status": g["shortage"].max().gt(0).map({True: "short",
                                                                 False: "covered"})})
    out = out[out["requirement"] > 0].rename_axis("material_id").reset_index()
    return out.sort_values(["balance", "material_id"]).reset_index(drop=True)


def supplier_materials(data: Mapping[str, pd.DataFrame], w: Window,
                       months: int = 6) -> pd.DataFrame:
    """Which supplier delivers which material: per material x supplier over the PO lines
    ordered in the last `months` months, the quantity, its share of the material's quantity
    (%), the quantity-weighted price, and OTIF (%) over the lines promised in those months
    (received by the promised date and in full, as of the period end); by material, largest
    share first."""
    cols = ["material", "supplier", "unit", "lines", "qty", "share", "price", "otif_pct"]
    po = dataset(data, "purchase_orders")
    start = w.months(1 - months)
    ordered = po[between(po["order_date"], start, w.end)]
    if ordered.empty:
        return pd.DataFrame(columns=cols)
    g = ordered.assign(value=ordered["qty"] * ordered["unit_price"]).groupby(
        ["material_id", "supplier_id"], as_index=False).agg(
        lines=("po_id", "size"), qty=("qty", "sum"), value=("value", "sum"))
    g["share"] = g["qty"] / g.groupby("material_id")["qty"].transform("sum") * 100.0
    g["price"] = g["value"] / g["qty"].where(g["qty"] > 0)
    due = po[between(po["promised_date"], start, w.end)]
    rec = pd.to_datetime(due["received_date"])
    ok = (rec.notna() & (rec < w.end) & (rec <= pd.to_datetime(due["promised_date"]))
          & (due["received_qty"].fillna(0.0) >= due["qty"]))
    otif = ok.groupby([due["material_id"], due["supplier_id"]]).mean() * 100.0
    g["otif_pct"] = [otif.get((m, s)) for m, s in zip(g["material_id"], g["supplier_id"],
                                                       strict=True)]
    mats = dataset(data, "materials").drop_duplicates("material_id").set_index("material_id")
    sups = dataset(data, "suppliers").drop_duplicates("supplier_id").set_index("supplier_id")
    g["material"] = g["material_id"].map(mats["name"]).fillna(g["material_id"])
    g["unit"] = g["material_id"].map(mats["unit"]).fillna("")
    g["supplier"] = g["supplier_id"].map(sups["name"]).fillna(g["supplier_id"])
    return g.sort_values(["material", "share"], ascending=[True, False])[cols].reset_index(
        drop=True)


def market_table(data: Mapping[str, pd.DataFrame], w: Window) -> dict | None:
    """Market prices against the prices paid (sop.planning.market), or None when the company
    records no market prices."""
    market = market_comparison(
        proc.price_trend(dataset(data, "purchase_orders"), dataset(data, "materials"), w.period,
                         RECENT_MONTHS), dataset(data, "market_prices"),
        dataset(data, "materials"), w.period, RECENT_MONTHS)
    if market.empty:
        return None
    return table(
        market, [Col("material", "Material"), Col("index_name", "Market index"),
                 Col("unit", "Unit"), Col("market_recent", "Market, last 3 m", "price"),
                 Col("market_change_pct", "Market change", "pct"),
                 Col("paid_recent", "Paid, last 3 m", "price"),
                 Col("paid_change_pct", "Paid change", "pct"),
                 Col("premium_pct", "Paid over market", "pct"),
                 Col("excess_value", "Cost above the market's move", "money")],
        title="Market prices against prices paid",
        unit=f"{CURRENCY} per material unit; market = the index's monthly average",
        period=f"{w.span(-2, 0)} vs {w.span(-5, -3)}", empty="No market prices recorded.",
        note="Cost above the market's move = quantity ordered in the last 3 months x (price paid "
             "now - the earlier price paid moved as the market moved); below zero when the price "
             "paid rose less than the market.")


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
        "supplier_materials": table(
            supplier_materials(data, w),
            [Col("material", "Material"), Col("supplier", "Supplier"), Col("unit", "Unit"),
             Col("lines", "Lines", "count"), Col("qty", "Quantity", "qty"),
             Col("share", "Share of the material", "share"),
             Col("price", "Avg price", "price"), Col("otif_pct", "On time in full", "share")],
            title="Which supplier delivers which material",
            unit=f"each material's unit; price in {CURRENCY} per unit, quantity-weighted",
            period=f"orders placed {w.span(-5, 0)}", empty="No purchase orders in the last 6 months.",
            note="On time in full: the supplier's lines of that material promised in those "
                 "months, received by the promised date and in full."),
        "lead_times": table(
            leads, [Col("supplier", "Supplier"), Col("contract_days", "Contract", "days"),
                    Col("recent_days", "Actual, last 3 m", "days"),
                    Col("earlier_days", "Actual, prior 12 m", "days"),
                    Col("change_days", "Change (days)", "days"), Col("change", "Change", "pct"),
                    Col("late_share", "Received late", "share"),
                    Col("otif", "On time in full", "share")],
            title="Lead-time changes by supplier",
            unit="days from order to receipt, median of the lines received",
            period=f"lines received {w.span(-2, 0)} vs {w.span(-14, -3)}",
            empty="No receipts in the last 15 months.",
            note="On time in full: lines promised in the last 3 months received by the "
                 "promised date and in full."),
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
            note="Requirement = SKU forecast x BOM, month by month; available = stock on hand "
                 "less allocated at the period end; open POs = quantity not yet received, "
                 f"expected by the end of {w.months(HORIZON_MONTHS):%Y-%m} (the promised date, "
                 "later for a supplier running over its contract lead time; orders without a "
                 "promised date are not counted); short = below zero in any month."),
    }
    market = market_table(data, w)
    if market is not None:
        tables["market"] = market
    return {"kpis": kpis, "tables": tables}
