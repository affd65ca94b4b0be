"""Suppliers as of a period ('YYYY-MM'): on-time-in-full, and who is new, inactive, dormant,
missing from the master or took or lost share of a material. Windows as in
sop.planning.procurement; frames are new, inputs never mutated."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.planning.procurement import _in, _names, month_window

ACTIVE = frozenset({"active", "approved", "enabled"})
SHARE_SHIFT_PP = 20.0  # supplier share of a material's PO quantity moving by more points


def supplier_performance(purchase_orders: pd.DataFrame, period: str,
                         recent_months: int = 3) -> pd.DataFrame:
    """On-time-in-full per supplier over PO lines promised in the recent months.

    A line is on time when received by its promised date, in full when received_qty >= qty,
    both as of the period end (a line due but not received is neither). Lines without a
    promised date cannot be judged and are left out. Columns: supplier_id, lines_due,
    received, on_time_pct, in_full_pct, otif_pct, open_past_due. Worst OTIF first.
    """
    cols = ["supplier_id", "lines_due", "received", "on_time_pct", "in_full_pct", "otif_pct",
            "open_past_due"]
    recent = month_window(period, 0, recent_months)
    due = purchase_orders[_in(purchase_orders["promised_date"], recent)]
    rec = pd.to_datetime(due["received_date"])
    got = rec.notna() & (rec < recent[1])
    on_time = got & (rec <= pd.to_datetime(due["promised_date"]))
    in_full = got & (due["received_qty"].fillna(0.0) >= due["qty"])
    flags = pd.DataFrame({"supplier_id": due["supplier_id"], "got": got, "on_time": on_time,
                          "in_full": in_full, "otif": on_time & in_full})
    g = flags.groupby("supplier_id")
    out = pd.DataFrame({"lines_due": g.size(), "received": g["got"].sum(),
                        "on_time_pct": g["on_time"].mean() * 100.0,
                        "in_full_pct": g["in_full"].mean() * 100.0,
                        "otif_pct": g["otif"].mean() * 100.0})
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.rename_axis("supplier_id").reset_index().astype({"received": int})
    out["open_past_due"] = out["lines_due"] - out["received"]
    return out.sort_values(["otif_pct", "supplier_id"], na_position="last")[cols].reset_index(
        drop=True)


def supplier_changes(purchase_orders: pd.DataFrame, suppliers: pd.DataFrame, period: str,
                     recent_months: int = 3, share_shift_pp: float = SHARE_SHIFT_PP,
                     materials: pd.DataFrame | None = None) -> pd.DataFrame:
    """Supplier changes as of the period end, one row each:

    - inactive: status not active/approved/enabled (whatever its orders);
    - new: first PO in the recent months;
    - dormant: ordered before, but no PO in the recent and earlier months (2 x recent_months);
    - not_in_master: POs in the recent months from a supplier missing from the master;
    - share_up / share_down: the supplier's share of a material's ordered quantity moved by more
      than `share_shift_pp` points, recent vs earlier months (materials ordered in both).

    Columns: supplier_id, supplier, material_id (share rows only), change, detail (a readable
    phrase), first_order, last_order, earlier_share, recent_share, share_change_pp.
    """
    cols = ["supplier_id", "supplier", "material_id", "change", "detail", "first_order",
            "last_order", "earlier_share", "recent_share", "share_change_pp"]
    recent = month_window(period, 0, recent_months)
    earlier = month_window(period, recent_months, recent_months)
    po = purchase_orders[pd.to_datetime(purchase_orders["order_date"]) < recent[1]]
    first = po.groupby("supplier_id")["order_date"].min()
    last = po.groupby("supplier_id")["order_date"].max()
    names = _names(suppliers, "supplier_id", "name")
    rows = []
    for s in suppliers.drop_duplicates("supplier_id").itertuples(index=False):
        f, la = first.get(s.supplier_id), last.get(s.supplier_id)
        status = str(s.status).strip().lower() if pd.notna(s.status) else ""
        if status not in ACTIVE:
            change, detail = "inactive", f"status {status or 'unknown'}"
        elif f is not None and f >= recent[0]:
            change, detail = "new", "new supplier"
        elif la is not None and la < earlier[0]:
            change, detail = "dormant", f"no orders for {2 * recent_months} months"
        else:
            continue
        rows.append({"supplier_id": s.supplier_id, "supplier": s.name, "change": change,
                     "detail": detail, "first_order": f, "last_order": la})
    stray = set(po.loc[_in(po["order_date"], recent), "supplier_id"]) - set(names.index)
    rows += [{"supplier_id": sid, "supplier": sid, "change": "not_in_master",
              "detail": "orders from a supplier missing from the supplier master",
              "first_order": first.get(sid), "last_order": last.get(sid)} for sid in sorted(stray)]
    shifts = _share_shifts(po, recent, earlier, share_shift_pp)
    if len(shifts):
        label = shifts["material_id"].map(_names(materials, "material_id", "name"))
        shifts = shifts.assign(
            supplier=shifts["supplier_id"].map(names).fillna(shifts["supplier_id"]),
            change=np.where(shifts["share_change_pp"] > 0, "share_up", "share_down"),
            detail=[f"share of {m} orders from {e:.0f}% to {r:.0f}%" for m, e, r in zip(
                label.fillna(shifts["material_id"]), shifts["earlier_share"],
                shifts["recent_share"], strict=True)],
            first_order=shifts["supplier_id"].map(first),
            last_order=shifts["supplier_id"].map(last))
    out = pd.DataFrame(rows, columns=cols)
    return pd.concat([out, shifts[cols]], ignore_index=True) if len(shifts) else out


def _share_shifts(po: pd.DataFrame, recent, earlier, threshold: float) -> pd.DataFrame:
    """material_id, supplier_id, earlier/recent share (%) and change (points) where the share
    moved by more than `threshold` points, for materials ordered in both windows."""
    def shares(window) -> pd.Series:
        q = po[_in(po["order_date"], window) & (po["qty"] > 0)].groupby(
            ["material_id", "supplier_id"])["qty"].sum()
        return q / q.groupby(level="material_id").transform("sum") * 100.0

    r, e = shares(recent), shares(earlier)
    if r.empty or e.empty:
        return pd.DataFrame()
    t = pd.DataFrame({"recent_share": r, "earlier_share": e}).fillna(0.0)
    t = t.rename_axis(["material_id", "supplier_id"]).reset_index()
    both = set(r.index.get_level_values(0)) & set(e.index.get_level_values(0))
    t = t[t["material_id"].isin(both)]
    t["share_change_pp"] = t["recent_share"] - t["earlier_share"]
    return t[t["share_change_pp"].abs() > threshold].reset_index(drop=True)
