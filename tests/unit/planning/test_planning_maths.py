
import numpy as np
import pandas as pd
import pytest

from sop.forecast.demand import hierarchy_series, sales_monthly
from sop.forecast.series import forecast_series
from sop.planning.budget import BudgetError, budget_by_month


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
                                "model", "snaive"]
    np.testing.assert_allclose(fc["forecast"].to_numpy(), hist["y"].to_numpy()[:12])
    assert fc["ds"].iloc[0] == pd.Timestamp("2025-01-01")
    pd.testing.assert_frame_equal(hist, before)


def test_short_series_take_a_recent_level_times_the_borrowed_seasonal_profile():
    hist = seasonal()
    short = pd.DataFrame({"unique_id": "b", "ds": pd.date_range("2024-07-01", periods=6, freq="MS"),
                          "y": [1.0, 2, 3, 4, 5, 6]})
    fc = forecast_series(pd.concat([hist, short]), h=3)
    b = fc[fc.unique_id == "b"]
    assert (b["model"] == "Level*Profile").all()
    index = hist["y"].to_numpy()[:12] / hist["y"].to_numpy()[:12].mean()  # pooled profile (a)
    level = np.mean(np.array([1.0, 2, 3, 4, 5, 6]) / index[6:])  # deseasonalised Jul..Dec
    np.testing.assert_allclose(b["forecast"].to_numpy(), level * index[:3])  # Jan..Mar


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
