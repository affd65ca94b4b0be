"""Finished-goods balance on hand-built cases with known answers."""

import pandas as pd
import pytest

from sop.planning.balance import (
    open_order_demand,
    production_by_month,
    projected_balance,
    service_level_safety_stock,
)


def balance_inputs():
    fc = pd.DataFrame({"level": "sku_region", "sku": "S1", "region": "N",
                       "ds": pd.date_range("2026-11-01", periods=4, freq="MS"),
                       "forecast": [100.0, 100.0, 100.0, 100.0]})
    inv = pd.DataFrame({"snapshot_date": pd.to_datetime(["2026-10-31"]), "warehouse_id": ["DC-N"],
                        "item_id": ["S1"], "item_type": ["finished"], "on_hand": [180.0],
                        "allocated": [30.0], "in_transit": [0.0], "safety_stock": [40.0]})
    weeks = pd.date_range("2026-11-02", periods=17, freq="W-MON")
    prod = pd.DataFrame({"plan_week": weeks, "line_id": "L1", "sku": "S1", "planned_qty": 10.0})
    maint = pd.DataFrame({"line_id": ["L1"], "start_date": pd.to_datetime(["2026-12-07"]),
                          "end_date": pd.to_datetime(["2026-12-13"]), "kind": ["shutdown"],
                          "capacity_lost_pct": [100.0]})
    wh = pd.DataFrame({"warehouse_id": ["DC-N", "P1"], "region": ["N", "N"],
                       "kind": ["distribution_centre", "plant"]})
    return fc, inv, prod, maint, wh


def test_balance_goes_negative_in_a_known_month():
    fc, inv, prod, maint, wh = balance_inputs()
    before = prod.copy()
    produced = production_by_month(prod, maint)
    pd.testing.assert_frame_equal(prod, before)
    dec = produced[produced.ds == "2026-12-01"]["qty"].item()
    assert dec == pytest.approx(30.0)  # 4 Mondays in Dec 2026 x 10, one week lost to the shutdown
    bal = projected_balance(fc, inv, prod, maint, wh, "2026-10")
    # opening 180-30 = 150 available; Nov (5 weeks): +50 -100 = 100; Dec: +30 -100 = 30;
    # Jan (4 weeks): +40 -100 = -30
    assert bal["closing"].round(6).tolist()[:3] == [100.0, 30.0, -30.0]
    assert bal["opening"].round(6).tolist()[:3] == [150.0, 100.0, 30.0]
    assert bal["warehouse_id"].unique().tolist() == ["DC-N"]
    # weeks of supply in Nov: 100 units / (mean demand of Nov-Jan 100 / 4.33 weeks)
    assert bal["weeks_of_supply"].iloc[0] == pytest.approx(100 / (100 / (52 / 12)))


def test_open_orders_above_forecast_and_planned_shipments_beyond_demand():
    fc, inv, prod, maint, wh = balance_inputs()
    orders = pd.DataFrame({"customer_id": ["C1", "C1"], "sku": ["S1", "S1"],
                           "qty": [130.0, 20.0], "status": ["open", "shipped"],
                           "requested_date": pd.to_datetime(["2026-10-20", "2026-11-03"])})
    customers = pd.DataFrame({"customer_id": ["C1"], "region": ["N"]})
    oo = open_order_demand(orders, customers, wh, "2026-10")
    # the overdue open line counts in the first month; the shipped line not at all
    assert oo[["warehouse_id", "ds", "open_orders"]].values.tolist() == [
        ["DC-N", pd.Timestamp("2026-11-01"), 130.0]]
    ship = pd.DataFrame({"ship_week": pd.to_datetime(["2026-12-07"]), "warehouse_id": ["DC-N"],
                         "region": ["N"], "sku": ["S1"], "qty": [160.0]})
    bal = projected_balance(fc, inv, prod, maint, wh, "2026-10", open_orders=oo,
                            shipping_plan=ship)
    # Nov: demand max(130, 100) = 130 -> 150 + 50 - 130 = 70
    # Dec: shipping 160 beyond demand 100 -> 60 extra -> 70 + 30 - 160 = -60
    assert bal["demand"].round(6).tolist()[:2] == [130.0, 160.0]
    assert bal["closing"].round(6).tolist()[:2] == [70.0, -60.0]


def test_service_level_safety_stock_replaces_the_snapshot():
    hist = pd.DataFrame({"sku": "S1", "region": "N",
                         "ds": pd.date_range("2025-11-01", periods=12, freq="MS"),
                         "y": [90.0, 110.0] * 6})
    ss = service_level_safety_stock(hist, 0.95, 1.0)
    sd = pd.Series([90.0, 110.0] * 6).std(ddof=1)
    assert ss["safety_stock"].item() == pytest.approx(1.6448536 * sd, rel=1e-6)
    fc, inv, prod, maint, wh = balance_inputs()
    bal = projected_balance(fc, inv, prod, maint, wh, "2026-10", safety_stock=ss)
    assert bal["safety_stock"].iloc[0] == pytest.approx(ss["safety_stock"].item())


def test_no_finished_snapshot_means_zero_opening_not_nan():
    fc, inv, prod, maint, wh = balance_inputs()
    bal = projected_balance(fc, inv.iloc[0:0], prod, maint, wh, "2026-10")
    assert bal["opening"].iloc[0] == 0.0 and not bal["closing"].isna().any()
