"""Procurement signals from purchase-order history, on hand-built frames with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from sop.planning.procurement import (
    lead_time_drift,
    material_lead_times,
    price_series,
    price_trend,
)
from sop.planning.suppliers import supplier_changes, supplier_performance
from tests.unit.frames import contract_frame

PERIOD = "2026-10"


def frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    return contract_frame(name, rows, "Int64")


def po(rows: list[tuple]) -> pd.DataFrame:
    """Purchase orders from (po_id, supplier, material, ordered, promised, received, qty,
    received_qty, price) tuples, one line each."""
    return frame("purchase_orders", [(p, 1, *rest) for p, *rest in rows])


MATERIALS = frame("materials", [("M1", "Steel sheet", "Metals", "kg"),
                                ("M2", "Chip", "Electronics", "pcs")])
SUPPLIERS = frame("suppliers", [("S1", "Acme Metals", 30, "active"),
                                ("S2", "ChipCo", 20, "active"),
                                ("S3", "Old Supply", 10, "inactive"),
                                ("S4", "NewCo", 15, "active"),
                                ("S5", "Sleepy Ltd", 25, "active")])


def test_price_trend_is_quantity_weighted_recent_vs_earlier_three_months():
    orders = po([
        ("P0", "S1", "M1", "2026-04-20", "2026-05-20", "2026-05-20", 500, 500, 1.00),  # too old
        ("P1", "S1", "M1", "2026-06-01", "2026-07-01", "2026-07-01", 200, 200, 2.00),
        ("P2", "S1", "M1", "2026-08-05", "2026-09-04", "2026-09-04", 100, 100, 2.20),
        ("P3", "S1", "M1", "2026-10-30", "2026-11-29", None, 300, None, 2.40),
        ("P4", "S1", "M1", "2026-11-02", "2026-12-02", None, 999, None, 9.99),  # after period
        ("P5", "S2", "M2", "2026-09-01", "2026-09-21", "2026-09-20", 50, 50, 1.50),
    ])
    pt = price_trend(orders, MATERIALS, PERIOD).set_index("material_id")
    assert pt.loc["M1", "recent_price"] == pytest.approx(2.35)  # (100 x 2.2 + 300 x 2.4) / 400
    assert pt.loc["M1", "earlier_price"] == pytest.approx(2.00)
    assert pt.loc["M1", "change_pct"] == pytest.approx(17.5)
    assert pt.loc["M1", "recent_qty"] == 400 and pt.loc["M1", "earlier_qty"] == 200
    assert pt.loc["M1", "recent_window"] == "2026-08 to 2026-10"
    assert pt.loc["M1", "earlier_window"] == "2026-05 to 2026-07"
    assert (pt.loc["M1", "material"], pt.loc["M1", "unit"]) == ("Steel sheet", "kg")
    assert pd.isna(pt.loc["M2", "change_pct"])  # no earlier price: not measurable
    assert list(pt.index) == ["M1", "M2"]  # largest increase first, unmeasured last
    series = price_series(orders, PERIOD).set_index(["material_id", "ds"])
    assert series.loc[("M1", pd.Timestamp("2026-10-01")), "avg_price"] == pytest.approx(2.40)
    assert ("M1", pd.Timestamp("2026-11-01")) not in series.index
    assert ("M1", pd.Timestamp("2026-04-01")) in series.index  # 12 months of history


def test_lead_time_drift_recent_median_vs_trailing_median_and_contract():
    orders = po([
        # trailing 12 months (received 2025-08..2026-07): 30 days each
        ("T1", "S1", "M1", "2026-01-01", "2026-01-31", "2026-01-31", 10, 10, 1),
        ("T2", "S1", "M1", "2026-03-01", "2026-03-31", "2026-03-31", 10, 10, 1),
        ("T3", "S1", "M1", "2026-06-01", "2026-07-01", "2026-07-01", 10, 10, 1),
        # recent (received 2026-08..2026-10): 39 and 40 days, promised at 30: late
        ("R1", "S1", "M1", "2026-08-01", "2026-08-31", "2026-09-09", 10, 10, 1),
        ("R2", "S1", "M1", "2026-09-01", "2026-10-01", "2026-10-11", 10, 10, 1),
        ("R3", "S1", "M1", "2026-10-01", "2026-10-31", "2026-11-15", 10, 10, 1),  # after period
        ("R4", "S2", "M2", "2026-09-01", "2026-09-21", "2026-09-20", 10, 10, 1),
    ])
    d = lead_time_drift(orders, SUPPLIERS, PERIOD).set_index("supplier_id")
    s1 = d.loc["S1"]
    assert (s1["recent_lines"], s1["trailing_lines"]) == (2, 3)
    assert s1["recent_lag_days"] == 39.5 and s1["trailing_lag_days"] == 30
    assert s1["change_days"] == 9.5 and s1["change_pct"] == pytest.approx(9.5 / 30 * 100)
    assert s1["vs_contract_days"] == 9.5 and s1["vs_contract_pct"] == pytest.approx(31.6667, 1e-4)
    assert s1["late_share"] == 100 and s1["supplier"] == "Acme Metals"
    assert d.loc["S2", "recent_lag_days"] == 19 and d.loc["S2", "late_share"] == 0
    assert pd.isna(d.loc["S2", "trailing_lag_days"])
    by_mat = lead_time_drift(orders, SUPPLIERS, PERIOD, by_material=True)
    assert set(zip(by_mat["supplier_id"], by_mat["material_id"], strict=True)) == {
        ("S1", "M1"), ("S2", "M2")}


def test_supplier_performance_on_time_in_full():
    orders = po([
        ("A", "S1", "M1", "2026-08-01", "2026-08-31", "2026-08-30", 10, 10, 1),  # OTIF
        ("B", "S1", "M1", "2026-09-01", "2026-09-30", "2026-09-29", 10, 8, 1),  # on time, short
        ("C", "S1", "M1", "2026-09-01", "2026-10-01", "2026-10-05", 10, 10, 1),  # late, in full
        ("D", "S1", "M1", "2026-09-15", "2026-10-15", None, 10, None, 1),  # due, not received
        ("E", "S1", "M1", "2026-10-20", "2026-11-20", None, 10, None, 1),  # not due yet
        ("F", "S1", "M1", "2026-09-20", None, None, 10, None, 1),  # no promise: not judged
    ])
    perf = supplier_performance(orders, PERIOD).set_index("supplier_id").loc["S1"]
    assert perf["lines_due"] == 4 and perf["received"] == 3 and perf["open_past_due"] == 1
    assert perf["otif_pct"] == 25 and perf["on_time_pct"] == 50 and perf["in_full_pct"] == 50


def test_supplier_changes_new_inactive_dormant_and_share_shift():
    orders = po([
        ("A", "S1", "M1", "2026-05-10", "2026-06-09", "2026-06-09", 100, 100, 1),
        ("B", "S1", "M1", "2026-09-10", "2026-10-10", None, 20, None, 1),
        ("C", "S4", "M1", "2026-09-12", "2026-09-27", None, 80, None, 1),  # new, takes M1 over
        ("D", "S5", "M2", "2025-12-01", "2025-12-26", "2025-12-26", 50, 50, 1),  # dormant
        ("E", "S3", "M2", "2025-01-01", "2025-01-11", "2025-01-11", 50, 50, 1),
        ("F", "S9", "M2", "2026-10-01", "2026-10-20", None, 5, None, 1),  # not in the master
    ])
    ch = supplier_changes(orders, SUPPLIERS, PERIOD, materials=MATERIALS)
    plain = ch[ch["material_id"].isna()].set_index("supplier_id")["change"].to_dict()
    assert plain == {"S3": "inactive", "S4": "new", "S5": "dormant", "S9": "not_in_master"}
    shifts = ch[ch["material_id"].notna()].set_index("supplier_id")
    assert shifts.loc["S1", "change"] == "share_down"
    assert shifts.loc["S1", "share_change_pp"] == pytest.approx(-80.0)
    assert shifts.loc["S4", "change"] == "share_up"
    assert shifts.loc["S4", "detail"] == "share of Steel sheet orders from 0% to 80%"
    quiet = supplier_changes(orders, SUPPLIERS, PERIOD, share_shift_pp=90)
    assert not quiet["change"].isin(["share_up", "share_down"]).any()


def test_material_lead_times_contract_or_actual_and_suppliers_missing():
    orders = po([
        ("A", "S1", "M1", "2026-06-01", "2026-07-01", "2026-07-11", 10, 10, 1),  # 40 days
        ("B", "S1", "M1", "2026-08-01", "2026-08-31", "2026-09-10", 10, 10, 1),  # 40 days
        ("C", "S2", "M2", "2026-06-01", "2026-06-21", "2026-06-19", 10, 10, 1),  # 18 days
        ("D", "S2", "M2", "2026-09-01", "2026-09-21", None, 10, None, 1),
        ("E", "S9", "M3", "2026-09-01", "2026-09-21", None, 10, None, 1),  # unknown supplier
    ])
    lt = material_lead_times(orders, SUPPLIERS, PERIOD)
    t = lt.frame.set_index("material_id")
    assert t.loc["M1", "lead_time_days"] == 40 and t.loc["M1", "lead_time_source"] == "actual"
    assert t.loc["M1", "drift_days"] == 10  # 33% over the 30-day contract
    assert t.loc["M2", "lead_time_days"] == 20 and t.loc["M2", "lead_time_source"] == "contract"
    assert t.loc["M2", "drift_days"] == 0
    assert "M3" not in t.index
    assert any("M3 (S9)" in n and "supplier master" in n for n in lt.notes)
    tolerant = material_lead_times(orders, SUPPLIERS, PERIOD, drift_tolerance_pct=50)
    assert tolerant.frame.set_index("material_id").loc["M1", "drift_days"] == 0


def test_empty_history_gives_empty_frames_not_errors():
    empty = po([])
    assert price_trend(empty, MATERIALS, PERIOD).empty
    assert price_series(empty, PERIOD).empty
    assert lead_time_drift(empty, SUPPLIERS, PERIOD).empty
    assert supplier_performance(empty, PERIOD).empty
    assert set(supplier_changes(empty, SUPPLIERS, PERIOD)["change"]) == {"inactive"}
    assert material_lead_times(empty, SUPPLIERS, PERIOD).frame.empty


def test_inputs_are_not_mutated():
    orders = po([
        ("A", "S1", "M1", "2026-06-01", "2026-07-01", "2026-07-11", 10, 10, 1),
        ("B", "S4", "M1", "2026-09-01", "2026-09-16", None, 10, None, 2),
    ])
    before = (orders.copy(deep=True), SUPPLIERS.copy(deep=True), MATERIALS.copy(deep=True))
    price_trend(orders, MATERIALS, PERIOD)
    price_series(orders, PERIOD)
    lead_time_drift(orders, SUPPLIERS, PERIOD, by_material=True)
    supplier_performance(orders, PERIOD)
    supplier_changes(orders, SUPPLIERS, PERIOD, materials=MATERIALS)
    material_lead_times(orders, SUPPLIERS, PERIOD)
    for original, now in zip(before, (orders, SUPPLIERS, MATERIALS), strict=True):
        pd.testing.assert_frame_equal(original, now)
