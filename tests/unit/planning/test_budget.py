"""The annual budget: decomposition, customers, promotions, versions, attainment."""

import numpy as np
import pandas as pd
import pytest

from sop.plan import BUDGET_COLUMNS
from sop.planning.budget import (
    BudgetError,
    budget_attainment,
    budget_by_customer,
    budget_by_month,
    next_budget_version,
    promotion_plan,
    promotion_uplift,
)


def sales(years=(2024, 2025), through=None):
    """Region N/S x category A/B x 2 customers per region; qty rises with the month."""
    rows = []
    for year in years:
        for m in range(1, 13):
            if through and pd.Timestamp(year, m, 1) > pd.Timestamp(through):
                break
            for r in "NS":
                for c in "AB":
                    for cust, extra in (("C1", 3), ("C2", 0)):
                        q = 10.0 + m + (5 if c == "A" else 0) + extra
                        rows.append((pd.Timestamp(year, m, 1), r, c, "S" + c, cust + r, q,
                                     q * 10.0))
    return pd.DataFrame(rows, columns=["ds", "region", "category", "sku", "customer_id", "qty",
                                       "revenue"])


def test_budget_sums_back_to_its_target_with_last_years_profile_and_mix():
    monthly = sales()
    before = monthly.copy()
    b = budget_by_month(monthly, 2026, growth_pct=10, version_id="2026-v1")
    last = monthly[monthly["ds"].dt.year == 2025]
    assert list(b.columns) == list(BUDGET_COLUMNS)
    assert b["revenue"].sum() == pytest.approx(last["revenue"].sum() * 1.1)
    assert set(b["version_id"]) == {"2026-v1"} and set(b["ds"].dt.year) == {2026}
    cell = last.groupby(["ds", "region", "category"])["revenue"].sum().to_numpy()
    np.testing.assert_allclose(b["revenue"].to_numpy(), cell * 1.1)  # profile and mix kept
    fixed = budget_by_month(monthly, 2026, amount=1_000_000.0)
    assert fixed["revenue"].sum() == pytest.approx(1_000_000.0)
    pd.testing.assert_frame_equal(monthly, before)
    with pytest.raises(BudgetError, match="no sales in 2022"):
        budget_by_month(monthly, 2023)


def test_budget_by_customer_splits_every_cell_by_last_years_share():
    monthly = sales()
    b = budget_by_month(monthly, 2026, growth_pct=0)
    per = budget_by_customer(monthly, b)
    back = per.groupby(["ds", "region", "category"])[["qty", "revenue"]].sum().reset_index()
    np.testing.assert_allclose(back["revenue"], b["revenue"])
    np.testing.assert_allclose(back["qty"], b["qty"])
    # region N, category A in 2025: C1 sells 18+m, C2 15+m a month -> 294 : 258 of 552
    jan = per[(per["ds"] == "2026-01-01") & (per["region"] == "N") & (per["category"] == "A")]
    share = jan.set_index("customer_id")["revenue"] / jan["revenue"].sum()
    assert share["C1N"] == pytest.approx(294 / 552)


def promotions():
    return pd.DataFrame({
        "promo_id": ["P1", "P2", "P3"], "name": "x",
        "start_date": pd.to_datetime(["2025-03-05", "2025-03-20", "2024-06-01"]),
        "end_date": pd.to_datetime(["2025-03-30", "2025-04-10", "2024-06-30"]),
        "region": ["N", None, "S"], "category": ["A", "A", "B"], "kind": "discount",
        "budget": [1000.0, 3000.0, 500.0]})


def test_promotion_uplift_by_hand():
    cells = pd.DataFrame({"ds": pd.to_datetime(["2025-01-01", "2025-02-01"] * 2),
                          "region": "N", "category": ["A", "A", "B", "B"],
                          "revenue": [50.0, 75.0, 50.0, 25.0]})
    promo = pd.DataFrame({"promo_id": ["P"], "start_date": pd.to_datetime(["2025-02-10"]),
                          "end_date": pd.to_datetime(["2025-02-20"]), "region": ["N"],
                          "category": ["A"], "budget": [1.0]})
    # A's share of the month: 0.5 without the promotion, 0.75 with it -> +50%
    assert promotion_uplift(promo, cells)["A"] == pytest.approx(0.5)


def test_promotion_plan_counts_sizes_and_costs_last_years_promotions():
    monthly = sales()
    b = budget_by_month(monthly, 2026, version_id="2026-v1")
    plan = promotion_plan(promotions(), monthly, b)
    assert len(plan) == 1  # P3 ran in 2024: not part of last year's plan
    row = plan.iloc[0]
    assert row["ds"] == pd.Timestamp("2026-03-01") and row["category"] == "A"
    assert row["count"] == 2 and row["size"] == 2000.0 and row["cost"] == 4000.0
    assert row["version_id"] == "2026-v1"
    u = promotion_uplift(promotions(), monthly)["A"]
    assert row["uplift_pct"] == pytest.approx(100 * u)
    carried = b[(b["ds"] == "2026-03-01") & (b["category"] == "A")]["revenue"].sum() * u / (1 + u)
    assert row["expected_uplift"] == pytest.approx(carried)  # P2 runs in every region


def test_next_budget_version():
    stored = pd.DataFrame({"version_id": ["2026-v1", "2026-v2"], "year": 2026,
                           "approved": [True, False]})
    assert next_budget_version(stored.iloc[0:0], 2026) == "2026-v1"
    assert next_budget_version(stored, 2026) == "2026-v2"  # the open draft is replaced
    assert next_budget_version(stored.assign(approved=True), 2026) == "2026-v3"
    assert next_budget_version(stored, 2027) == "2027-v1"


def test_attainment_month_ytd_and_full_year_outlook_by_hand():
    monthly = sales(years=(2025, 2026), through="2026-03-01")
    b = budget_by_month(monthly, 2026, growth_pct=10)
    fc = pd.DataFrame({"level": "category_region", "region": "N", "category": "A",
                       "ds": pd.date_range("2026-04-01", periods=12, freq="MS"),
                       "forecast": 10.0, "revenue": 100.0})
    att = budget_attainment(monthly, b, fc, "2026-03")
    na = att[(att["region"] == "N") & (att["category"] == "A")].iloc[0]
    # N/A: 2 customers, revenue 10 x (33 + 2m) a month; budget = 2025 x 1.1
    assert na["month_actual"] == 390.0 and na["month_budget"] == pytest.approx(429.0)
    assert na["month_variance"] == pytest.approx(-39.0)
    assert na["ytd_actual"] == 1110.0 and na["ytd_budget"] == pytest.approx(1221.0)
    assert na["ytd_attainment_pct"] == pytest.approx(100 / 1.1)
    assert na["fy_forecast_rest"] == 900.0  # Apr..Dec only: 2027 months are not this year
    assert na["fy_outlook"] == 2010.0 and na["fy_budget"] == pytest.approx(6072.0)
    assert na["fy_attainment_pct"] == pytest.approx(100 * 2010 / 6072)
    total = budget_attainment(monthly, b, fc.assign(level="total"), "2026-03", by=())
    assert len(total) == 1 and total["ytd_actual"].item() == monthly[
        monthly["ds"].dt.year == 2026]["revenue"].sum()
