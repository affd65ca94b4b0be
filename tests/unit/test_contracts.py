"""One vocabulary for order statuses: a line that is not demand is left out by the forecast's
history and by every packet alike."""

from __future__ import annotations

import pandas as pd

from sop.contracts import NOT_DEMAND_STATUSES, counts_as_demand
from sop.forecast.demand import sales_monthly
from sop.orders import open_order_lines
from tests.unit.frames import contract_frame

STATUSES = ["open", " Rejected", "VOID", "canceled", "Cancelled", None, "shipped", "lost"]


def _orders() -> pd.DataFrame:
    rows = [(f"O{i}", 1, "2026-10-05", "2026-12-20", "C1", "P1", 10 * (i + 1), 2.0, s, None)
            for i, s in enumerate(STATUSES)]
    return contract_frame("sales_orders", rows)


def test_statuses_that_are_not_demand_are_declared_once_and_matched_loosely():
    assert {"cancelled", "canceled", "rejected", "void"} == NOT_DEMAND_STATUSES
    kept = counts_as_demand(pd.Series(STATUSES, dtype=object))
    assert kept.tolist() == [True, False, False, False, False, True, True, True]


def test_forecast_history_and_order_book_leave_out_the_same_lines():
    orders = _orders()
    products = contract_frame("products", [("P1", "Widget", "Tools", "Hand", 1.0, 2.0, "active",
                                            "2020-01-01")])
    customers = contract_frame("customers", [("C1", "Acme", "North", "retail", 1000.0)])
    monthly = sales_monthly(orders, products, customers)
    kept = [10 * (i + 1) for i, s in enumerate(STATUSES)
            if s is None or s.strip().lower() not in NOT_DEMAND_STATUSES]
    assert monthly["qty"].sum() == sum(kept) == 10 + 60 + 70 + 80
    book = open_order_lines({"sales_orders": orders, "shipments": contract_frame("shipments", [])},
                            pd.Timestamp("2026-11-01"))
    assert set(book["order_id"]) <= {f"O{i}" for i, s in enumerate(STATUSES)
                                     if s is None or s.strip().lower() not in NOT_DEMAND_STATUSES}
    assert "O1" not in set(book["order_id"]) and "O0" in set(book["order_id"])
