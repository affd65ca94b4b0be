"""Procurement signals from purchase-order history, as of a period ('YYYY-MM'): prices,
lead times (suppliers' performance and changes: sop.planning.suppliers).

Windows, counted back from the period month P (inclusive), e.g. for P = 2026-10:

- recent: the `recent_months` (default 3) months ending with P: 2026-08..2026-10;
- earlier: the same number of months before them: 2026-05..2026-07 (prices, supplier shares);
- trailing: the `trailing_months` (default 12) months before the recent ones: 2025-08..2026-07
  (a supplier's own lead-time baseline).

Prices and supplier shares are dated by order date, lead times by receipt date, on-time-in-full
by promised date. Anything dated after the end of P is ignored, so a past period is read as it
was. Lead time (lag) = received_date - order_date in days, received lines only. Frames are new;
inputs are never mutated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from sop.periods import parse_period


class Noted(NamedTuple):
    """A result frame and the data-quality notes about what was excluded and why."""

    frame: pd.DataFrame
    notes: tuple[str, ...] = ()


def month_window(period: str, back: int, count: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the `count` months ending `back` months before the period month."""
    end = parse_period(period) + pd.DateOffset(months=1 - back)
    return end - pd.DateOffset(months=count), end


def window_label(window: tuple[pd.Timestamp, pd.Timestamp]) -> str:
    first, last = window[0], window[1] - pd.DateOffset(months=1)
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} to {last:%Y-%m}"


def named_list(items, limit: int = 20) -> str:
    """'a, b, c' (sorted, at most `limit`, then 'and N more')."""
    items = sorted({str(i) for i in items})
    head = ", ".join(items[:limit])
    return head + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _in(values: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    v = pd.to_datetime(values)
    return (v >= window[0]) & (v < window[1])


def _weighted(po: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = po.assign(value=po["qty"] * po["unit_price"]).groupby(keys)
    out = g[["value", "qty"]].sum()
    out["price"] = out["value"] / out["qty"]
    return out


def _names(master: pd.DataFrame | None, key: str, col: str) -> pd.Series:
    ok = master is not None and len(master)
    return master.drop_duplicates(key).set_index(key)[col] if ok else pd.Series(dtype=object)


def price_trend(purchase_orders: pd.DataFrame, materials: pd.DataFrame, period: str,
                recent_months: int = 3) -> pd.DataFrame:
    """Per material: quantity-weighted average unit price of PO lines ordered in the recent
    months vs the earlier months, change in %, and the quantities. change_pct is NaN when a
    window has no priced line. Largest increase first.

    Columns: material_id, material, unit, recent_price, earlier_price, change_pct, recent_qty,
    earlier_qty, recent_window, earlier_window. Lines without quantity or price are ignored.
    """
    cols = ["material_id", "material", "unit", "recent_price", "earlier_price", "change_pct",
            "recent_qty", "earlier_qty", "recent_window", "earlier_window"]
    recent = month_window(period, 0, recent_months)
    earlier = month_window(period, recent_months, recent_months)
    po = purchase_orders[(purchase_orders["qty"] > 0) & purchase_orders["unit_price"].notna()]
    r = _weighted(po[_in(po["order_date"], recent)], ["material_id"])
    e = _weighted(po[_in(po["order_date"], earlier)], ["material_id"])
    out = pd.DataFrame({"recent_price": r["price"], "earlier_price": e["price"],
                        "recent_qty": r["qty"], "earlier_qty": e["qty"]})
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.rename_axis("material_id").reset_index()
    out[["recent_qty", "earlier_qty"]] = out[["recent_qty", "earlier_qty"]].fillna(0.0)
    out["change_pct"] = (out["recent_price"] / out["earlier_price"] - 1.0) * 100.0
    out["material"] = out["material_id"].map(_names(materials, "material_id", "name")).fillna(
        out["material_id"])
    out["unit"] = out["material_id"].map(_names(materials, "material_id", "unit")).fillna("unit")
    out["recent_window"], out["earlier_window"] = window_label(recent), window_label(earlier)
    out = out.sort_values(["change_pct", "material_id"], ascending=[False, True],
                          na_position="last")
    return out[cols].reset_index(drop=True)


def price_series(purchase_orders: pd.DataFrame, period: str, months: int = 12) -> pd.DataFrame:
    """Material x order month (ds = month start) quantity-weighted average price and quantity
    over the `months` months ending with the period: the series behind a price chart."""
    window = month_window(period, 0, months)
    po = purchase_orders[(purchase_orders["qty"] > 0) & purchase_orders["unit_price"].notna()]
    po = po[_in(po["order_date"], window)]
    po = po.assign(ds=pd.to_datetime(po["order_date"]).dt.to_period("M").dt.to_timestamp())
    out = _weighted(po, ["material_id", "ds"]).reset_index()
    return out.rename(columns={"price": "avg_price"})[["material_id", "ds", "avg_price", "qty"]]


def _lags(purchase_orders: pd.DataFrame, period: str) -> pd.DataFrame:
    """Lines received by the end of the period, with lag_days = received - ordered."""
    end = month_window(period, 0, 1)[1]
    rec, ordered = (pd.to_datetime(purchase_orders[c]) for c in ("received_date", "order_date"))
    lag = (rec - ordered).dt.days.astype(float)
    return purchase_orders.assign(lag_days=lag)[rec.notna() & (rec < end) & (lag >= 0)]


def _contract_days(suppliers: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(_names(suppliers, "supplier_id", "contract_lead_time_days"),
                         errors="coerce").astype(float)


def lead_time_drift(purchase_orders: pd.DataFrame, suppliers: pd.DataFrame, period: str,
                    by_material: bool = False, recent_months: int = 3,
                    trailing_months: int = 12) -> pd.DataFrame:
    """Per supplier (or supplier x material): median lag of lines received in the recent
    months vs the median of the trailing months before them and vs the contract lead time.

    Columns: supplier_id, material_id (None unless by_material), supplier, contract_days,
    recent_lines, recent_lag_days, trailing_lines, trailing_lag_days, change_days, change_pct
    (vs trailing), vs_contract_days, vs_contract_pct, late_share (% of recent lines received
    after their promised date), recent_window, trailing_window. Figures that cannot be
    measured (no line in a window, no contract) are NaN. Largest change in days first.
    """
    cols = ["supplier_id", "material_id", "supplier", "contract_days", "recent_lines",
            "recent_lag_days", "trailing_lines", "trailing_lag_days", "change_days", "change_pct",
            "vs_contract_days", "vs_contract_pct", "late_share", "recent_window",
            "trailing_window"]
    keys = ["supplier_id", "material_id"] if by_material else ["supplier_id"]
    recent = month_window(period, 0, recent_months)
    trailing = month_window(period, recent_months, trailing_months)
    po = _lags(purchase_orders, period)
    promised = pd.to_datetime(po["promised_date"])
    po = po.assign(late=(pd.to_datetime(po["received_date"]) > promised).astype(float).where(
        promised.notna()))
    r = po[_in(po["received_date"], recent)].groupby(keys)
    t = po[_in(po["received_date"], trailing)].groupby(keys)
    out = pd.DataFrame({"recent_lines": r.size(), "recent_lag_days": r["lag_days"].median(),
                        "trailing_lines": t.size(), "trailing_lag_days": t["lag_days"].median(),
                        "late_share": r["late"].mean() * 100.0})
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.reset_index()
    if not by_material:
        out["material_id"] = None
    lines = ["recent_lines", "trailing_lines"]
    out[lines] = out[lines].fillna(0).astype(int)
    out["contract_days"] = out["supplier_id"].map(_contract_days(suppliers))
    out["supplier"] = out["supplier_id"].map(_names(suppliers, "supplier_id", "name"))
    out["supplier"] = out["supplier"].fillna(out["supplier_id"])
    for name, base in (("change", "trailing_lag_days"), ("vs_contract", "contract_days")):
        out[f"{name}_days"] = out["recent_lag_days"] - out[base]
        out[f"{name}_pct"] = out[f"{name}_days"] / out[base].replace(0, np.nan) * 100.0
    out["recent_window"], out["trailing_window"] = window_label(recent), window_label(trailing)
    out = out.sort_values(["change_days", *keys], ascending=[False] + [True] * len(keys),
                          na_position="last")
    return out[cols].reset_index(drop=True)


def material_lead_times(purchase_orders: pd.DataFrame, suppliers: pd.DataFrame, period: str,
                        trailing_months: int = 6, drift_tolerance_pct: float = 20.0) -> Noted:
    """Lead time (days) to plan each material with, from its current supplier (on its latest
    PO line): the contract lead time, or the median actual lag of that supplier's lines of the
    material received in the last `trailing_months` months if larger. drift_days = actual -
    contract when over the contract by more than `drift_tolerance_pct` (pass
    Thresholds.lead_time_increase_pct), else 0 (noise is not drift).

    Materials whose supplier is missing from the master, or has neither a contract lead time
    nor receipts, are left out and named in the notes (material_balance names materials never
    ordered). Columns: material_id, supplier_id, supplier, contract_days, actual_lag_days,
    lead_time_days, lead_time_source ('contract' or 'actual'), drift_days, last_order.
    """
    cols = ["material_id", "supplier_id", "supplier", "contract_days", "actual_lag_days",
            "lead_time_days", "lead_time_source", "drift_days", "last_order"]
    window = month_window(period, 0, trailing_months)
    po = purchase_orders[pd.to_datetime(purchase_orders["order_date"]) < window[1]]
    if po.empty:
        return Noted(pd.DataFrame(columns=cols))
    latest = po.sort_values(["order_date", "po_id", "line_no"]).drop_duplicates(
        "material_id", keep="last")[["material_id", "supplier_id", "order_date"]]
    lags = _lags(purchase_orders, period)
    lags = lags[_in(lags["received_date"], window)]
    actual = lags.groupby(["material_id", "supplier_id"])["lag_days"].median().rename(
        "actual_lag_days")
    out = latest.rename(columns={"order_date": "last_order"}).join(
        actual, on=["material_id", "supplier_id"])
    known = out["supplier_id"].isin(_names(suppliers, "supplier_id", "name").index)
    out["contract_days"] = out["supplier_id"].map(_contract_days(suppliers))
    out["supplier"] = out["supplier_id"].map(_names(suppliers, "supplier_id", "name"))
    notes = []
    if (~known).any():
        notes.append(f"{int((~known).sum())} material(s) whose latest purchase order is from a "
                     "supplier missing from the supplier master, so no lead time: "
                     + named_list(out.loc[~known, "material_id"] + " ("
                                  + out.loc[~known, "supplier_id"].astype(str) + ")"))
    blind = known & out["contract_days"].isna() & out["actual_lag_days"].isna()
    if blind.any():
        notes.append(f"{int(blind.sum())} material(s) whose supplier has no contract lead time "
                     "and no receipts, so no lead time: "
                     + named_list(out.loc[blind, "material_id"]))
    out = out[known & ~blind].copy()
    out["lead_time_days"] = out[["contract_days", "actual_lag_days"]].max(axis=1)
    out["lead_time_source"] = np.where(
        out["actual_lag_days"].fillna(-1) > out["contract_days"].fillna(-1), "actual", "contract")
    over = out["actual_lag_days"] - out["contract_days"]
    drifting = over > out["contract_days"] * drift_tolerance_pct / 100.0
    out["drift_days"] = over.where(drifting, 0.0).fillna(0.0)
    return Noted(out.sort_values("material_id")[cols].reset_index(drop=True), tuple(notes))
