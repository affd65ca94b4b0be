import json

import numpy as np
import pandas as pd
import pytest

from sop.alerts import alert_states, divergence_alerts, stockout_alerts
from sop.balance import production_by_month, projected_balance
from sop.budget import BudgetError, budget_by_month
from sop.config import Thresholds
from sop.demand import hierarchy_series, sales_monthly
from sop.forecast import forecast_series


def seasonal(n_years=3, uid="a", scale=1.0):
    pattern = np.array([10, 12, 15, 20, 30, 40, 35, 30, 22, 18, 14, 11], dtype=float)
    return pd.DataFrame({"unique_id": uid,
                         "ds": pd.date_range("2022-01-01", periods=12 * n_years, freq="MS"),
                         "y": np.tile(pattern, n_years) * scale})


def test_perfectly_seasonal_series_is_forecast_exactly():
    hist = seasonal()
    before = hist.copy()
    fc = forecast_series(hist, h=12)
    assert list(fc.columns) == ["unique_id", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95",
                                "model"]
    np.testing.assert_allclose(fc["forecast"].to_numpy(), hist["y"].to_numpy()[:12])
    assert fc["ds"].iloc[0] == pd.Timestamp("2025-01-01")
    pd.testing.assert_frame_equal(hist, before)


def test_level_shift_is_carried_and_short_series_use_naive():
    hist = seasonal()
    hist.loc[hist.index[-3:], "y"] *= 1.5
    short = pd.DataFrame({"unique_id": "b", "ds": pd.date_range("2024-07-01", periods=6, freq="MS"),
                          "y": [1.0, 2, 3, 4, 5, 6]})
    fc = forecast_series(pd.concat([hist, short]), h=3)
    a = fc[fc.unique_id == "a"]["forecast"].to_numpy()
    np.testing.assert_allclose(a, [15.0, 18.0, 22.5])  # last Jan-Mar x 1.5
    b = fc[fc.unique_id == "b"]
    assert (b["forecast"] == 6.0).all() and (b["model"] == "Naive").all()


def test_budget_sums_back_to_its_target():
    monthly = pd.DataFrame({
        "ds": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01", "2024-12-01"]),
        "region": ["N", "N", "S", "N"], "category": ["A", "A", "B", "A"],
        "qty": [10.0, 20.0, 30.0, 99.0], "revenue": [100.0, 200.0, 300.0, 990.0]})
    b = budget_by_month(monthly, 2026, growth_pct=10)
    assert b["revenue"].sum() == pytest.approx(660.0)
    assert b["qty"].sum() == pytest.approx(66.0)
    assert set(b["ds"].dt.year) == {2026}
    fixed = budget_by_month(monthly, 2026, amount=1234.5)
    assert fixed["revenue"].sum() == pytest.approx(1234.5)
    with pytest.raises(BudgetError, match="no sales in 2022"):
        budget_by_month(monthly, 2023)


def test_hierarchy_fills_gaps_with_zero_and_levels_add_up():
    orders = pd.DataFrame({
        "order_date": pd.to_datetime(["2026-01-05", "2026-03-05", "2026-03-09"]),
        "customer_id": ["C1", "C2", "C1"], "sku": ["S1", "S1", "S2"],
        "qty": [2.0, 3.0, 4.0], "unit_price": [10.0, 10.0, 5.0],
        "status": ["shipped", "shipped", "cancelled"]})
    products = pd.DataFrame({"sku": ["S1", "S2"], "category": ["A", "B"]})
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "region": ["N", "S"]})
    monthly = sales_monthly(orders, products, customers)
    assert monthly["qty"].sum() == 5.0  # cancelled line excluded
    series = hierarchy_series(monthly, "2026-03")
    total = series[series.unique_id == "total"]
    assert total["y"].tolist() == [2.0, 0.0, 3.0]
    for level in ("category", "region", "category_region", "sku_region"):
        per = series[series.level == level].groupby("ds")["y"].sum()
        assert per.reindex(total["ds"], fill_value=0).tolist() == total["y"].tolist(), level


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
    produced = production_by_month(prod, maint)
    dec = produced[produced.ds == "2026-12-01"]["qty"].item()
    assert dec == pytest.approx(30.0)  # 4 Mondays in Dec 2026 x 10, one week lost to the shutdown
    bal = projected_balance(fc, inv, prod, maint, wh, "2026-10")
    # opening 180-30 = 150 available; Nov (5 weeks): +50 -100 = 100; Dec: +30 -100 = 30;
    # Jan (4 weeks): +40 -100 = -30
    assert bal["closing"].round(6).tolist()[:3] == [100.0, 30.0, -30.0]
    assert bal["warehouse_id"].unique().tolist() == ["DC-N"]
    alerts = stockout_alerts(bal, "2026-10", Thresholds(stockout_weeks=14))
    assert alerts["alert_key"].tolist() == ["stockout:S1@DC-N"]
    assert json.loads(alerts["figures"].item())["month"] == "2027-01"
    assert stockout_alerts(bal, "2026-10", Thresholds(stockout_weeks=6)).empty


def test_divergence_alert_names_demand_as_cause_and_lifecycle():
    hist = pd.DataFrame({"level": "category", "category": "A",
                         "ds": pd.date_range("2025-08-01", periods=15, freq="MS"),
                         "y": [100.0] * 12 + [150.0] * 3})
    months = pd.date_range("2026-11-01", periods=3, freq="MS")
    # stock 60, production 100/month, demand 150/month: closing 60 -> 10 -> -40 -> -90
    balance = pd.DataFrame({"sku": "S1", "warehouse_id": "DC", "ds": months,
                            "opening": [60.0, 10.0, -40.0], "receipts": 100.0, "demand": 150.0,
                            "closing": [10.0, -40.0, -90.0], "safety_stock": 45.0,
                            "weeks_of_supply": 0.0})
    products = pd.DataFrame({"sku": ["S1"], "category": ["A"]})
    fired = divergence_alerts(balance, hist, products, "2026-10", Thresholds())
    row = fired.iloc[0]
    assert row["alert_key"] == "demand_supply_divergence:A" and row["cause"] == "demand"
    figures = json.loads(row["figures"])
    assert figures["shortfall_pct"] == pytest.approx((45 + 90) / 450 * 100, abs=0.1)
    assert figures["demand_growth_pct"] == 50.0
    covered = balance.assign(closing=[110.0, 160.0, 210.0])
    assert divergence_alerts(covered, hist, products, "2026-10", Thresholds()).empty
    flat = hist.assign(y=100.0)
    assert divergence_alerts(balance, flat, products, "2026-10", Thresholds())["cause"].item() == "supply"
    first = alert_states(fired.iloc[0:0], fired, "2026-10")
    assert first["state"].tolist() == ["open"]
    again = alert_states(first, fired.assign(first_seen="2026-11", last_seen="2026-11"), "2026-11")
    assert again["first_seen"].tolist() == ["2026-10"]
    closed = alert_states(again, fired.iloc[0:0], "2026-12")
    assert closed["state"].tolist() == ["resolved"]
    assert alert_states(closed, fired.iloc[0:0], "2026-12").empty
