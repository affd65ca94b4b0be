"""Purchase actions that close the projected shortages of sop.planning.materials'
material_balance: planned purchase orders (MRP-style) and expedites of open PO lines into a
shortage month within lead time. Both are stated in ERP terms; applied, and the balance re-run,
they leave no shortage:

- an expedite: the PO line's promised_date `days_earlier` days earlier, so that it is expected
  (promised + the current supplier's drift_days) on `deliver_by`, in the shortage month;
- a planned purchase: a new PO line from `supplier_id` for `qty` ordered on the period end
  after every existing line (the balance counts lines ordered by then; the latest names the
  current supplier), promised on `promised_date` (need date - drift: expected in the need month).

Supplier score, per material among the active suppliers that delivered it by the period end and
its current supplier if active: OTIF % / 100 over SCORE_MONTHS months (unknown: UNKNOWN_OTIF_PCT)
+ (1 + shortest lead time) / (1 + its lead time) + lowest price / its latest price, each worth
at most 1 point; highest wins, the current supplier on ties. Lead time = the larger of contract
and median actual lag of its lines of the material (received in the last SCORE_MONTHS months,
else ever). Frames are new; inputs are never mutated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.periods import parse_period, period_end
from sop.planning.materials import open_receipts
from sop.planning.procurement import _contract_days, _lags, _names, material_lead_times
from sop.planning.suppliers import ACTIVE, supplier_performance

SCORE_MONTHS = 6
UNKNOWN_OTIF_PCT = 50.0
PLANNED_PURCHASE_COLUMNS = (
    "material_id", "material", "unit", "need_date", "qty", "supplier_id", "supplier",
    "lead_time_days", "order_by", "promised_date", "unit_price", "value", "otif_pct", "late",
    "alternatives")
EXPEDITE_COLUMNS = (
    "material_id", "material", "unit", "po_id", "line_no", "supplier_id", "supplier", "open_qty",
    "expected_date", "deliver_by", "days_earlier", "shortage_closed", "value")
_KEYS = ["material_id", "supplier_id"]
_NO_SUPPLIER = {"supplier_id": None, "supplier": "no active supplier", "lead_time_days": 0.0,
                "unit_price": np.nan, "otif_pct": np.nan}


def supplier_options(purchase_orders: pd.DataFrame, suppliers: pd.DataFrame, period: str,
                     lead_times: pd.DataFrame) -> pd.DataFrame:
    """Candidate suppliers per material with the figures of the score (module doc), best first.

    Columns: material_id, supplier_id, supplier, lead_time_days, unit_price, otif_pct, current,
    score. Suppliers missing from the master or not active/approved/enabled are left out, and so
    are candidates with neither a contract lead time nor a receipt.
    """
    cols = ["material_id", "supplier_id", "supplier", "lead_time_days", "unit_price", "otif_pct",
            "current", "score"]
    end = period_end(period)
    po = purchase_orders[pd.to_datetime(purchase_orders["order_date"]) <= end]
    rec = pd.to_datetime(po["received_date"])
    current = lead_times[_KEYS] if len(lead_times) else pd.DataFrame(columns=_KEYS)
    pairs = pd.concat([po.loc[rec.notna() & (rec <= end), _KEYS], current]).drop_duplicates()
    status = _names(suppliers, "supplier_id", "status").astype("string").str.strip().str.lower()
    pairs = pairs[pairs["supplier_id"].isin(status[status.isin(ACTIVE)].index)]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    lags = _lags(purchase_orders, period)
    since = parse_period(period) - pd.DateOffset(months=SCORE_MONTHS - 1)
    recent = lags[pd.to_datetime(lags["received_date"]) >= since]  # _lags: received by the end
    actual = recent.groupby(_KEYS)["lag_days"].median().combine_first(
        lags.groupby(_KEYS)["lag_days"].median()).rename("actual")
    out = pairs.merge(actual.reset_index(), on=_KEYS, how="left") if len(actual) else (
        pairs.assign(actual=np.nan))
    out["lead_time_days"] = pd.concat(
        [out["supplier_id"].map(_contract_days(suppliers)), out["actual"]], axis=1).max(axis=1)
    out = out[out["lead_time_days"].notna()]
    latest = po.sort_values(["order_date", "po_id", "line_no"]).drop_duplicates(_KEYS, keep="last")
    out = out.merge(latest[[*_KEYS, "unit_price"]], on=_KEYS, how="left")
    perf = supplier_performance(purchase_orders, period, SCORE_MONTHS).set_index("supplier_id")
    out["otif_pct"] = out["supplier_id"].map(perf["otif_pct"]).astype(float)
    out["supplier"] = out["supplier_id"].map(_names(suppliers, "supplier_id", "name"))
    out["current"] = pd.MultiIndex.from_frame(out[_KEYS]).isin(list(current.itertuples(
        index=False, name=None)))
    g = out.groupby("material_id")
    lead = (1 + g["lead_time_days"].transform("min")) / (1 + out["lead_time_days"])
    price = (g["unit_price"].transform("min") / out["unit_price"]).where(
        out["unit_price"] > 0, 1.0).fillna(0.0)
    otif = out["otif_pct"].fillna(UNKNOWN_OTIF_PCT) / 100.0
    out["score"] = (otif + lead + price).round(9)
    out = out.sort_values(["material_id", "score", "current", "supplier_id"],
                          ascending=[True, False, False, True])
    return out[cols].reset_index(drop=True)


def _expedited(purchase_orders: pd.DataFrame, expedites: pd.DataFrame | None) -> pd.DataFrame:
    """The purchase orders with the expedited lines' promised dates moved earlier."""
    if expedites is None or expedites.empty:
        return purchase_orders
    keys = ["po_id", "line_no"]
    days = purchase_orders[keys].merge(expedites[[*keys, "days_earlier"]], on=keys, how="left")
    shift = pd.to_timedelta(days["days_earlier"].fillna(0).to_numpy(dtype=float), unit="D")
    return purchase_orders.assign(promised_date=pd.to_datetime(
        purchase_orders["promised_date"]) - shift)


def _receipts(purchase_orders: pd.DataFrame, lead_times: pd.DataFrame,
              period: str) -> pd.DataFrame:
    """Expected open receipts by material x month, as material_balance lands them."""
    rc = open_receipts(purchase_orders, lead_times, period).frame
    ds = rc["expected_date"].dt.to_period("M").dt.to_timestamp().clip(
        lower=parse_period(period) + pd.DateOffset(months=1))
    return rc.assign(ds=ds).groupby(["material_id", "ds"], as_index=False)["open_qty"].sum()


def _on_hand(balance: pd.DataFrame, base: pd.DataFrame, receipts: pd.DataFrame) -> np.ndarray:
    """The balance's projected_on_hand with `receipts` in place of `base` (the balance's own)."""
    keys = ["material_id", "ds"]
    step = balance[keys].merge(receipts, on=keys, how="left").merge(
        base, on=keys, how="left", suffixes=("", "_base")).fillna(
        {"open_qty": 0.0, "open_qty_base": 0.0})
    moved = (step["open_qty"] - step["open_qty_base"]).groupby(step["material_id"]).cumsum()
    return balance["projected_on_hand"].to_numpy(dtype=float) + moved.to_numpy(dtype=float)


def _increments(on_hand: np.ndarray) -> np.ndarray:
    """Whole units to receive each month so that the running total covers the running worst
    shortage: qty_m = max(0, shortage_m - planned before m), rounded up."""
    cover = np.ceil(np.round(np.maximum.accumulate(np.clip(-on_hand, 0.0, None)), 6))
    return np.diff(cover, prepend=0.0)


def planned_purchases(material_balance: pd.DataFrame, purchase_orders: pd.DataFrame,
                      suppliers: pd.DataFrame, period: str, lead_times: pd.DataFrame, *,
                      expedites: pd.DataFrame | None = None,
                      drift_tolerance_pct: float = 20.0) -> pd.DataFrame:
    """Planned purchase orders that close every projected shortage of the balance's horizon.

    Per material, one supplier (supplier_options' best) and one row per month m with
    qty = max(0, shortage_m - planned qty of earlier months) > 0, in whole units: need_date =
    the first day of m, order_by = need_date - the supplier's lead time (days, rounded up),
    promised_date = need_date - its drift_days, late = order_by before the day after period end
    (a shortage within lead time keeps its late row, with the alternatives). Given `expedites`
    (this module's frame), those lines count as pulled forward and only what they leave short
    is planned. A chosen supplier that is not the current one becomes current with its new line:
    the open lines are re-timed with its drift_days (material_lead_times with
    `drift_tolerance_pct`: pass the balance's) before planning. A material without an eligible
    supplier gets supplier_id None, supplier 'no active supplier', lead time 0, no price.
    Columns: PLANNED_PURCHASE_COLUMNS; alternatives names the other candidates ("Acme Metals:
    30 days, OTIF 92%, 4.10 per kg"; "" when none). Sorted by order_by, material_id.
    """
    cols = list(PLANNED_PURCHASE_COLUMNS)
    bal = material_balance.sort_values(["material_id", "ds"]).reset_index(drop=True)
    if bal.empty:
        return pd.DataFrame(columns=cols)
    end = period_end(period)
    po = _expedited(purchase_orders, expedites)
    options = supplier_options(purchase_orders, suppliers, period, lead_times)
    chosen = options.drop_duplicates("material_id").set_index("material_id")
    switched = chosen[~chosen["current"]]
    lead_new = lead_times
    if len(switched):
        plus = pd.concat([po, pd.DataFrame({
            "po_id": "~planned", "line_no": 1, "supplier_id": switched["supplier_id"].to_numpy(),
            "material_id": switched.index.to_numpy(), "order_date": end, "qty": 0.0})],
            ignore_index=True)
        after = material_lead_times(plus, suppliers, period,
                                    drift_tolerance_pct=drift_tolerance_pct).frame
        keep = lead_times[~lead_times["material_id"].isin(switched.index)] if len(
            lead_times) else lead_times
        lead_new = pd.concat([keep, after[after["material_id"].isin(switched.index)]],
                             ignore_index=True)
    drift = lead_new.set_index(_KEYS)["drift_days"] if len(lead_new) else pd.Series(dtype=float)
    base = _receipts(purchase_orders, lead_times, period)
    stay = _on_hand(bal, base, _receipts(po, lead_times, period))
    move = _on_hand(bal, base, _receipts(po, lead_new, period))
    parts = []
    for mid, idx in bal.groupby("material_id", sort=True).indices.items():
        if _increments(stay[idx]).sum() == 0:
            continue  # no shortage to close (and no reason to switch supplier)
        qty = _increments(move[idx])
        if qty.sum() == 0:  # switching alone would close it, but only once something is ordered
            qty = _increments(stay[idx])
        pick = chosen.loc[mid].to_dict() if mid in chosen.index else dict(_NO_SUPPLIER)
        part = bal.iloc[idx][qty > 0].rename(columns={"ds": "need_date"})
        others = options[(options["material_id"] == mid)
                         & (options["supplier_id"] != pick["supplier_id"])]
        days = np.floor(float(drift.get((mid, pick["supplier_id"]), 0.0)))
        parts.append(part.assign(**pick, qty=qty[qty > 0], alternatives="; ".join(
            f"{o.supplier}: {o.lead_time_days:.0f} days, OTIF "
            + ("n/a" if pd.isna(o.otif_pct) else f"{o.otif_pct:.0f}%")
            + f", {o.unit_price:,.2f} per {part['unit'].iloc[0]}" for o in others.itertuples()),
            promised_date=part["need_date"] - pd.Timedelta(days=days)))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["order_by"] = out["need_date"] - pd.to_timedelta(np.ceil(out["lead_time_days"].astype(
        float)), unit="D")
    out["value"] = out["qty"] * out["unit_price"].astype(float)
    out["late"] = out["order_by"] < end + pd.Timedelta(days=1)
    return out.sort_values(["order_by", "material_id"])[cols].reset_index(drop=True)


def expedites(material_balance: pd.DataFrame, purchase_orders: pd.DataFrame,
              lead_times: pd.DataFrame, period: str, *,
              suppliers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open PO lines to pull forward into a shortage month within lead time.

    For each shortage month with within_lead_time, in month order, the open lines of the
    material (open_receipts with the same lead_times) expected after that month, earliest
    first, are taken whole until the shortage left after earlier expedites is closed:
    deliver_by = the first day of the shortage month, days_earlier = expected_date -
    deliver_by in whole days, shortage_closed = the units of that month's shortage the line
    closes, value = open_qty x the line's unit_price. Only real expedite lines are returned:
    what no open line can close is left to planned_purchases (pass it this frame), whose row
    for it is late. Supplier names come from `suppliers` when given. Columns:
    EXPEDITE_COLUMNS, sorted by deliver_by, material_id, expected_date.
    """
    cols = list(EXPEDITE_COLUMNS)
    bal = material_balance.sort_values(["material_id", "ds"])
    hit = bal[bal["within_lead_time"].astype(bool) & (bal["shortage"] > 1e-9)]
    if hit.empty:
        return pd.DataFrame(columns=cols)
    first = parse_period(period) + pd.DateOffset(months=1)
    rc = open_receipts(purchase_orders, lead_times, period).frame
    rc = rc[rc["material_id"].isin(hit["material_id"])].merge(
        purchase_orders[["po_id", "line_no", "unit_price"]].drop_duplicates(["po_id", "line_no"]),
        on=["po_id", "line_no"], how="left")
    rc["month"] = rc["expected_date"].dt.to_period("M").dt.to_timestamp().clip(lower=first)
    rc = rc.sort_values(["expected_date", "po_id", "line_no"])
    names = _names(lead_times, "supplier_id", "supplier").to_dict()
    names.update(_names(suppliers, "supplier_id", "name").to_dict())
    picks = []  # (open line, shortage month, units of its shortage closed)
    for mid, short in hit.groupby("material_id", sort=True):
        lines, mine = rc[rc["material_id"] == mid], []
        for h in short.itertuples():
            need = h.shortage - sum(lines.at[i, "open_qty"] for i, d, _ in mine
                                    if d <= h.ds < lines.at[i, "month"])
            for i in lines.index[lines["month"] > h.ds]:
                if need > 1e-9 and i not in {p[0] for p in mine}:
                    mine.append((i, h.ds, float(min(lines.at[i, "open_qty"], need))))
                    need -= lines.at[i, "open_qty"]
        picks += mine
    if not picks:
        return pd.DataFrame(columns=cols)
    idx, deliver, closed = zip(*picks, strict=True)
    out = rc.loc[list(idx)].assign(deliver_by=list(deliver), shortage_closed=list(closed)).merge(
        hit[["material_id", "material", "unit"]].drop_duplicates("material_id"), on="material_id")
    out["days_earlier"] = (out["expected_date"] - out["deliver_by"]).dt.days.astype(int)
    out["value"] = out["open_qty"] * out["unit_price"]
    out["supplier"] = out["supplier_id"].map(names).fillna(out["supplier_id"])
    return out.sort_values(["deliver_by", "material_id", "expected_date"])[cols].reset_index(
        drop=True)
