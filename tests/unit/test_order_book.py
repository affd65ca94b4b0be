"""The order book at a date (sop.orders.open_order_lines) keyed by integers, against the
plain pandas definition it replaced (string keys, a sort and a merge): the same lines, the
same quantities, on random books with missing keys, repeated line numbers, fractional and
missing quantities, and shipments of unknown orders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop.contracts import DONE_STATUSES, counts_as_demand
from sop.orders import LINE_COLUMNS, open_order_lines
from tests.unit.frames import contract_frame


def reference_open_lines(so: pd.DataFrame, sh: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The definition before the integer keys (sop/orders.py until the data-plane issue)."""
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
    status = lines["status"].map(lambda v: str(v).strip().lower() if pd.notna(v) else "")
    done = status.isin(DONE_STATUSES) & ~lines["order_id"].isin(later)
    lines = lines[(lines["open_qty"] > 0) & ~done].copy()
    lines["open_value"] = lines["open_qty"] * lines["unit_price"]
    return lines[list(LINE_COLUMNS)].reset_index(drop=True)


STATUSES = ["open", "Shipped", " closed", "cancelled", None, "partial", "invoiced"]


def random_book(seed: int, n: int = 3000) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"SO-{i:04d}" for i in rng.integers(0, n // 4, n)]
    ids = [None if rng.random() < 0.01 else i for i in ids]
    skus = [None if rng.random() < 0.01 else f"P{k}" for k in rng.integers(0, 6, n)]
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    qty = np.round(rng.uniform(0, 40, n), int(rng.integers(0, 3)))
    qty[rng.random(n) < 0.01] = np.nan
    so = contract_frame("sales_orders", [
        (ids[i], int(rng.integers(1, 4)), days[i], days[i], "C1", skus[i], qty[i],
         float(rng.uniform(1, 9)), STATUSES[int(rng.integers(0, len(STATUSES)))], None)
        for i in range(n)])
    m = n
    sh_ids = [ids[int(j)] if rng.random() < 0.9 else f"SO-X{j}" for j in rng.integers(0, n, m)]
    sh_skus = [skus[int(j)] for j in rng.integers(0, n, m)]
    ship = pd.Timestamp("2025-01-05") + pd.to_timedelta(rng.integers(0, 220, m), unit="D")
    sh = contract_frame("shipments", [
        (f"SH{i}", 1, sh_ids[i], ship[i], sh_skus[i], float(rng.uniform(0, 30)), "W1")
        for i in range(m)])
    return so, sh


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_order_book_is_the_plain_definition_on_random_books(seed):
    so, sh = random_book(seed)
    data = {"sales_orders": so, "shipments": sh}
    for end in ("2025-02-01", "2025-05-01", "2025-08-01", "2024-12-01"):
        end = pd.Timestamp(end)
        expected = reference_open_lines(so, sh, end)
        got = open_order_lines(data, end)
        assert len(got) == len(expected)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=f"book at {end}")
    assert len(expected) == 0 or len(open_order_lines(data, pd.Timestamp("2025-05-01"))) > 0
