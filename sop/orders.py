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
from typing import NamedTuple

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


class _Book(NamedTuple):
    """What the order book needs of one run's frames whatever the date: the (order_id, sku)
    pair of each line and shipment as a number from 0 to `pairs` - 1 (-1 when either is
    missing), the lines' positions in (order_id, line_no) order (missing order ids last,
    ties as given), which lines count as demand, and the order and ship dates."""
    pairs: int
    so_pair: np.ndarray
    sh_pair: np.ndarray
    order: np.ndarray
    demand: np.ndarray
    order_date: np.ndarray
    ship_date: np.ndarray


def _book(so: pd.DataFrame, sh: pd.DataFrame) -> _Book:
    orders = pd.concat([so["order_id"], sh["order_id"]], ignore_index=True).to_numpy()
    skus = pd.concat([so["sku"], sh["sku"]], ignore_index=True).to_numpy()
    o, o_names = pd.factorize(orders, sort=True)  # codes in the order sort_values gives
    k, k_names = pd.factorize(skus)
    pair = np.where((o < 0) | (k < 0), -1, o.astype(np.int64) * max(len(k_names), 1) + k)
    dense, known = np.full(len(pair), -1, dtype=np.int64), pair >= 0
    dense[known], pairs = pd.factorize(pair[known])
    rank = np.where(o < 0, len(o_names), o)[:len(so)]
    ranked = pd.DataFrame({"rank": rank, "line_no": so["line_no"].to_numpy()})
    order = ranked.sort_values(["rank", "line_no"], kind="stable").index.to_numpy()
    return _Book(len(pairs), dense[:len(so)], dense[len(so):], order,
                 counts_as_demand(so["status"]), pd.to_datetime(so["order_date"]).to_numpy(),
                 pd.to_datetime(sh["ship_date"]).to_numpy())


def _pairs(codes: np.ndarray, pairs: int) -> pd.Categorical:
    """Pair numbers as a grouping pandas takes as they are (no hashing): -1 is missing."""
    return pd.Categorical.from_codes(codes, categories=pd.RangeIndex(pairs))


def _open_order_lines(so: pd.DataFrame, sh: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The order book at `end`. Shipments are matched to the lines of their (order, sku) in
    line order: a line's shipped qty is what its pair shipped before `end` beyond the lines
    before it. Keys are compared as integers, and what does not depend on `end` is worked
    out once for a run's frames (sop.memo)."""
    book = remembered("book", (so, sh), None, lambda: _book(so, sh))
    end64 = np.datetime64(pd.Timestamp(end).as_unit("ns"))
    keep = (book.order_date < end64) & book.demand
    if not keep.any():
        return pd.DataFrame(columns=list(LINE_COLUMNS))
    early = (book.ship_date < end64) & (book.sh_pair >= 0)
    shipped = sh["qty"][early].groupby(_pairs(book.sh_pair[early], book.pairs), observed=False,
                                        sort=True).sum().to_numpy()  # 0 where none shipped
    later = set(sh.loc[book.ship_date >= end64, "order_id"])
    rows = book.order[keep[book.order]]
    keys = book.so_pair[rows]
    qty = pd.Series(so["qty"].to_numpy()[rows])
    filled = qty.fillna(0.0).to_numpy()
    total = np.where(keys >= 0, shipped[np.maximum(keys, 0)] if len(shipped) else 0.0, 0.0)
    # a line without a pair has no line before it (NaN, as a merge leaves it)
    ahead = qty.groupby(_pairs(keys, book.pairs), observed=True).cumsum()
    before = ahead.fillna(0.0).to_numpy() - filled
    shipped_qty = np.minimum(pd.Series(total - before).clip(lower=0).to_numpy(), filled)
    open_qty = pd.Series(filled - shipped_qty).clip(lower=0).to_numpy()
    owed = open_qty > 0  # only these can be open: their status is read, not every line's
    lines = so.iloc[rows[owed]].reset_index(drop=True)
    lines["shipped_qty"], lines["open_qty"] = shipped_qty[owed], open_qty[owed]
    done = _status(lines["status"]).isin(DONE) & ~lines["order_id"].isin(later)
    lines = lines[~done].copy()
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
