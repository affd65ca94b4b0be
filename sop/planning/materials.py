"""Material balance: the forecast pulled through the bill of materials, against material stock
and open purchase orders, month by month over the forecast horizon.

Time phasing: production of month m consumes its materials in month m (the material must be
on hand at the start of m), so the requirement of month m = sum over skus of the sku's forecast
units of month m x qty_per_unit. Lead time enters in two places: an open PO from the material's
current supplier is expected at max(promised date, order date + the supplier's recent actual
lag), and a shortage month that starts before period end + lead time is `within_lead_time`:
a new order placed now would arrive too late to cover it.

Every exclusion is named in the notes returned with the frame; nothing is silently dropped and
no figure is left NaN.
"""

from __future__ import annotations

import pandas as pd

from sop.periods import parse_period, period_end
from sop.planning.procurement import Noted, named_list

REQUIREMENT_COLUMNS = ("material_id", "ds", "requirement")
MATERIAL_BALANCE_COLUMNS = (
    "material_id", "material", "unit", "ds", "opening", "scheduled_receipts",
    "expected_receipts", "gross_requirement", "projected_on_hand", "shortage",
    "shortage_on_promise", "lead_time_days", "lead_time_source", "drift_days",
    "within_lead_time")


def material_requirements(forecast: pd.DataFrame, bom: pd.DataFrame, period: str) -> Noted:
    """Gross material requirement by material x month (ds = month start) for the forecast
    months after `period`: sku_region forecast summed over regions x BOM qty_per_unit.

    Rules (named in the notes): skus with forecast but no BOM row are excluded; BOM rows
    without a quantity per unit are excluded; missing forecast values are excluded and negative
    ones count as 0.
    """
    start = parse_period(period)
    notes: list[str] = []
    fc = forecast[(forecast["level"] == "sku_region") & (pd.to_datetime(forecast["ds"]) > start)]
    fc = fc.assign(ds=pd.to_datetime(fc["ds"]).dt.to_period("M").dt.to_timestamp())
    if fc["forecast"].isna().any():
        notes.append(f"{int(fc['forecast'].isna().sum())} sku x region forecast value(s) missing, "
                     "left out of material requirements: "
                     + named_list(fc.loc[fc["forecast"].isna(), "sku"]))
        fc = fc[fc["forecast"].notna()]
    if (fc["forecast"] < 0).any():
        notes.append(f"{int((fc['forecast'] < 0).sum())} negative forecast value(s) counted as 0 "
                     "in material requirements")
    units = fc.assign(forecast=fc["forecast"].clip(lower=0)).groupby(
        ["sku", "ds"], as_index=False)["forecast"].sum()
    usable = bom[bom["qty_per_unit"].notna() & bom["material_id"].notna()]
    if len(usable) < len(bom):
        bad = bom[~bom.index.isin(usable.index)]
        notes.append(f"{len(bad)} BOM row(s) without material or quantity per unit, excluded: "
                     + named_list(f"{s}/{m}" for s, m in zip(bad["sku"], bad["material_id"],
                                                            strict=True)))
    demanded = set(units.loc[units["forecast"] > 0, "sku"])
    no_bom = demanded - set(usable["sku"])
    if no_bom:
        notes.append(f"{len(no_bom)} sku(s) with a forecast but no bill of materials, left out "
                     f"of material requirements: {named_list(no_bom)}")
    need = units.merge(usable[["sku", "material_id", "qty_per_unit"]], on="sku", how="inner")
    need["requirement"] = need["forecast"] * need["qty_per_unit"]
    out = need.groupby(["material_id", "ds"], as_index=False)["requirement"].sum()
    return Noted(out.sort_values(["material_id", "ds"])[list(REQUIREMENT_COLUMNS)].reset_index(
        drop=True), tuple(notes))


def material_stock(inventory: pd.DataFrame, period: str,
                   materials: pd.DataFrame | None = None,
                   count_in_transit: bool = False) -> Noted:
    """Available material stock per material (material_id, stock) as of the period end: each
    plant's latest snapshot on or before it, on_hand - allocated (+ in_transit if asked),
    summed over plants. Missing figures count as 0 and rows for materials missing from the
    master (when one is given) are excluded: both named in the notes.
    """
    notes: list[str] = []
    inv = inventory[(inventory["item_type"].astype("string").str.strip().str.lower()
                     == "material") & (inventory["snapshot_date"] <= period_end(period))]
    latest = inv.groupby("warehouse_id")["snapshot_date"].transform("max")
    inv = inv[inv["snapshot_date"] == latest]
    if materials is not None:
        stray = ~inv["item_id"].isin(materials["material_id"])
        if stray.any():
            notes.append(f"{int(stray.sum())} material stock row(s) for materials missing from "
                         f"the material master, excluded: {named_list(inv.loc[stray, 'item_id'])}")
            inv = inv[~stray]
    parts = ["on_hand", "allocated"] + (["in_transit"] if count_in_transit else [])
    gaps = inv[parts].isna().any(axis=1)
    if gaps.any():
        notes.append(f"{int(gaps.sum())} material stock row(s) with missing quantities, counted "
                     f"as 0: {named_list(inv.loc[gaps, 'item_id'])}")
    figures = inv[parts].fillna(0.0)
    available = figures["on_hand"] - figures["allocated"] + (
        figures["in_transit"] if count_in_transit else 0.0)
    stock = available.groupby(inv["item_id"]).sum().rename_axis("material_id").rename("stock")
    return Noted(stock.reset_index(), tuple(notes))


def open_receipts(purchase_orders: pd.DataFrame, lead_times: pd.DataFrame,
                  period: str) -> Noted:
    """Open PO quantity as of the period end: lines ordered by then and not received by then;
    open = qty - received_qty (received_qty counts only when the line has no receipt date, a
    received line being closed). Columns: po_id, line_no, supplier_id, material_id, open_qty,
    promised_date, expected_date (the promised date plus the current supplier's drift_days from
    `material_lead_times`). Lines without a promised date are excluded and named.
    """
    end = period_end(period)
    po = purchase_orders[pd.to_datetime(purchase_orders["order_date"]) <= end]
    rec = pd.to_datetime(po["received_date"])
    po = po[rec.isna() | (rec > end)]
    booked = po["received_qty"].fillna(0.0).where(po["received_date"].isna(), 0.0)
    po = po.assign(open_qty=(po["qty"].fillna(0.0) - booked).clip(lower=0))
    po = po[po["open_qty"] > 0]
    notes = []
    undated = po["promised_date"].isna()
    if undated.any():
        notes.append(f"{int(undated.sum())} open purchase order line(s) without a promised date, "
                     f"left out of scheduled receipts: {named_list(po.loc[undated, 'po_id'])}")
    po = po[~undated]
    drift = lead_times.set_index(["material_id", "supplier_id"])["drift_days"] if len(
        lead_times) else pd.Series(dtype=float)
    days = pd.Series([drift.get((m, s)) for m, s in zip(po["material_id"], po["supplier_id"],
                                                         strict=True)], index=po.index, dtype=float)
    out = po.assign(expected_date=pd.to_datetime(po["promised_date"])
                    + pd.to_timedelta(days.fillna(0.0), unit="D"))
    cols = ["po_id", "line_no", "supplier_id", "material_id", "open_qty", "promised_date",
            "expected_date"]
    return Noted(out[cols].reset_index(drop=True), tuple(notes))


def material_balance(requirements: pd.DataFrame, inventory: pd.DataFrame,
                     purchase_orders: pd.DataFrame, lead_times: pd.DataFrame, period: str, *,
                     materials: pd.DataFrame | None = None,
                     count_in_transit: bool = False) -> Noted:
    """Projected material balance by material x month over the requirement months.

    For each material with a requirement: opening (projected on hand at the start of the month;
    the first month opens with `material_stock`), scheduled_receipts (open PO quantity by
    promised month; overdue promises land in the first month), expected_receipts (the same by
    expected month: later when the supplier's recent lags exceed its contract),
    gross_requirement, projected_on_hand = opening + expected_receipts - gross_requirement,
    shortage = units below zero, shortage_on_promise = the same with receipts on their promised
    dates, lead_time_days/lead_time_source/drift_days from `material_lead_times`, and
    within_lead_time = a shortage in a month that starts before period end + lead time.

    Material in transit is not counted by default: in this contract it is stock on open
    purchase orders, already counted as receipts (set `count_in_transit` for an ERP where it is
    not). A material without a lead time (no supplier) is planned with lead time 0
    (lead_time_source 'none'): its shortages are never within lead time; named in the notes.
    """
    cols = list(MATERIAL_BALANCE_COLUMNS)
    req = requirements[requirements["requirement"].fillna(0) != 0]
    if req.empty:
        return Noted(pd.DataFrame(columns=cols))
    start, end = parse_period(period), period_end(period)
    first = start + pd.DateOffset(months=1)
    last = pd.to_datetime(req["ds"]).max()
    months = pd.date_range(max(first, pd.to_datetime(req["ds"]).min()), last, freq="MS")
    mats = sorted(req["material_id"].unique())
    grid = pd.MultiIndex.from_product([mats, months], names=["material_id", "ds"])
    out = pd.DataFrame(index=grid)
    out["gross_requirement"] = req.groupby(["material_id", "ds"])["requirement"].sum()
    stock = material_stock(inventory, period, materials, count_in_transit)
    receipts = open_receipts(purchase_orders, lead_times, period)
    rc = receipts.frame[receipts.frame["material_id"].isin(mats)]
    for col, date in (("scheduled_receipts", "promised_date"), ("expected_receipts",
                                                                 "expected_date")):
        ds = pd.to_datetime(rc[date]).dt.to_period("M").dt.to_timestamp().clip(lower=first)
        out[col] = rc["open_qty"].groupby([rc["material_id"], ds]).sum()
    out = out.fillna(0.0).reset_index()
    out = out.merge(stock.frame, on="material_id", how="left").fillna({"stock": 0.0})
    lt = lead_times.drop_duplicates("material_id").set_index("material_id") if len(
        lead_times) else pd.DataFrame(columns=["lead_time_days", "lead_time_source", "drift_days"])
    out["lead_time_days"] = out["material_id"].map(lt["lead_time_days"]).astype(float)
    out["lead_time_source"] = out["material_id"].map(lt["lead_time_source"]).fillna("none")
    out["drift_days"] = out["material_id"].map(lt["drift_days"]).astype(float).fillna(0.0)
    notes = [*stock.notes, *receipts.notes]
    blind = out["lead_time_days"].isna()
    if blind.any():
        notes.append(f"{out.loc[blind, 'material_id'].nunique()} material(s) needed but without "
                     "a supplier lead time (no purchase order, or supplier missing from the "
                     "master), planned with lead time 0: "
                     + named_list(out.loc[blind, "material_id"]))
    unknown = set(mats) - set(materials["material_id"]) if materials is not None else set()
    if unknown:
        notes.append("material(s) in the bill of materials but missing from the material "
                     f"master, kept in the balance: {named_list(unknown)}")
    out["lead_time_days"] = out["lead_time_days"].fillna(0.0)
    flow = out["expected_receipts"] - out["gross_requirement"]
    out["projected_on_hand"] = out["stock"] + flow.groupby(out["material_id"]).cumsum()
    out["opening"] = out["projected_on_hand"] - flow
    promise = (out["scheduled_receipts"] - out["gross_requirement"]).groupby(
        out["material_id"]).cumsum() + out["stock"]
    out["shortage"] = (-out["projected_on_hand"]).clip(lower=0.0)
    out["shortage_on_promise"] = (-promise).clip(lower=0.0)
    cutoff = end + pd.to_timedelta(out["lead_time_days"], unit="D")
    out["within_lead_time"] = (out["shortage"] > 0) & (out["ds"] < cutoff)
    names = materials.drop_duplicates("material_id").set_index("material_id") if (
        materials is not None and len(materials)) else pd.DataFrame(columns=["name", "unit"])
    out["material"] = out["material_id"].map(names["name"]).fillna(out["material_id"])
    out["unit"] = out["material_id"].map(names["unit"]).fillna("units")
    return Noted(out[cols].reset_index(drop=True), tuple(notes))
