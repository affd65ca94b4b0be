"""Order book, receivables and credit exposure as they stood at a date (a period's end):
what the packets show and the credit alerts judge, one definition for both.

Statuses are current (the ERP does not keep their history), so "open at period end" is
rebuilt from quantities: a line is open when it is not cancelled and part of it was not
shipped by the period end. A line whose status says it is done (shipped, closed...) counts
as open only when its order has shipments after the period end, i.e. it was still being
shipped then; otherwise it was closed without (recorded) shipments and is not owed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sop.contracts import DONE_STATUSES as DONE
from sop.contracts import counts_as_demand, dataset
from sop.memo import remembered

LINE_COLUMNS = ("order_id", "line_no", "order_date", "requested_date", "customer_id", "sku",
                "status", "qty", "shipped_qty", "open_qty", "unit_price", "open_value")


def _status(series: pd.Series) -> pd.Series:
    lower = {v: str(v).strip().lower() for v in series.dropna().unique()}
    return series.map(lower).fillna("").astype(object)


def open_order_lines(data: Mapping[str, pd.DataFrame], end: pd.Timestamp) -> pd.DataFrame:
    """Sales order lines open at `end` (exclusive), with open qty (units) and open value
    (open qty x unit price)."""
    frames = (dataset(data, "sales_orders"), dataset(data, "shipments"))
    return remembered("open", frames, pd.Timestamp(end),
                      lambda: _open_order_lines(*frames, end))


def _open_order_lines(so: pd.DataFrame, sh: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    so = so[pd.to_datetime(so["order_date"]) < end]
    so = so[counts_as_demand(so["status"])]
    if so.empty:
        return pd.DataFrame(columns=list(LINE_COLUMNS))
    ship_date = pd.to_datetime(sh["ship_date"])
    shipped = (sh[ship_date < end].groupby(["order_id", "sku"], as_index=False)["qty"].sum()
               .rename(columns={"qty": "shipped_total"}))
    later = set(sh.loc[ship_date >= end, "order_id"])
    lines = so.sort_values(["order_id", "line_no"]).merge(shipped, on=["order_id", "sku"],
                                                          how="left")
    lines["shipped_total"] = lines["shipped_total"].fillna(0.0)
    qty = lines["qty"].fillna(0.0)
    before = lines.groupby(["order_id", "sku"])["qty"].cumsum().fillna(0.0) - qty
    lines["shipped_qty"] = np.minimum((lines["shipped_total"] - before).clip(lower=0), qty)
    lines["open_qty"] = (qty - lines["shipped_qty"]).clip(lower=0)
    done = _status(lines["status"]).isin(DONE) & ~lines["order_id"].isin(later)
    lines = lines[(lines["open_qty"] > 0) & ~done].copy()
    lines["open_value"] = lines["open_qty"] * lines["unit_price"]
    return lines[list(LINE_COLUMNS)].reset_index(drop=True)


def invoice_balances(data: Mapping[str, pd.DataFrame], end: pd.Timestamp) -> pd.DataFrame:
    """Invoices issued before `end` with the balance unpaid at `end` and days overdue then.

    A payment counts when it has no date or was made before `end`. `days_overdue` is the
    number of days past the due date on the period's last day (0 when not due yet or paid).
    """
    frames = (dataset(data, "invoices"),)
    return remembered("invoices", frames, pd.Timestamp(end),
                      lambda: _invoice_balances(frames[0], end))


def _invoice_balances(inv: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    inv = inv[pd.to_datetime(inv["invoice_date"]) < end].copy()
    paid_date = pd.to_datetime(inv["paid_date"])
    counted = inv["paid_amount"].fillna(0.0).where(paid_date.isna() | (paid_date < end), 0.0)
    inv["balance"] = (inv["amount"].fillna(0.0) - counted).clip(lower=0)
    as_of = end - pd.Timedelta(days=1)
    late = (as_of - pd.to_datetime(inv["due_date"])).dt.days
    inv["days_overdue"] = late.where((inv["balance"] > 0) & (late > 0), 0).fillna(0).astype(int)
    inv["status"] = _status(inv["status"])
    return inv.reset_index(drop=True)


def credit_exposure_at(data: Mapping[str, pd.DataFrame], end: pd.Timestamp) -> pd.DataFrame:
    """Per customer with any exposure at `end` (exclusive): open order value (open qty x unit
    price) + unpaid invoice balance = exposure, against credit_limit; headroom (limit -
    exposure), `over_limit` and `excess` (exposure above the limit, 0 when within)."""
    orders = open_order_lines(data, end).groupby("customer_id")["open_value"].sum()
    unpaid = invoice_balances(data, end).groupby("customer_id")["balance"].sum()
    out = pd.DataFrame({"open_order_value": orders, "unpaid_invoices": unpaid}).fillna(0.0)
    out = out.rename_axis("customer_id").reset_index()
    out["exposure"] = out["open_order_value"] + out["unpaid_invoices"]
    out = out[out["exposure"] > 0].reset_index(drop=True)
    customers = dataset(data, "customers").drop_duplicates("customer_id")
    out["credit_limit"] = out["customer_id"].map(customers.set_index("customer_id")[
        "credit_limit"])
    out["headroom"] = out["credit_limit"] - out["exposure"]
    out["over_limit"] = out["credit_limit"].notna() & (out["exposure"] > out["credit_limit"])
    out["excess"] = (-out["headroom"]).clip(lower=0).where(out["over_limit"], 0.0)
    return out
