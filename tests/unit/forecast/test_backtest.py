"""The hierarchy's backtest in the forecast: origins, the reconciliation it chooses, the
intervals calibrated on its errors, and what the plain-words method table says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop.forecast.backtest import backtest_cutoffs, series_at
from sop.forecast.demand import hierarchy_series
from sop.forecast.hierarchy import reconciled_forecast
from sop.forecast.intervals import interval_coverage
from sop.forecast.reconcile_methods import RECONCILIATION_METHODS
from sop.packets.briefing.method import method_mix, model_words

H = 6


def monthly_sales(months: int, seed: int) -> pd.DataFrame:
    """2 regions x 4 skus (2 categories): seasonal levels with multiplicative noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=months, freq="MS")
    rows = []
    for i, (sku, cat) in enumerate({"S1": "A", "S2": "A", "S3": "B", "S4": "B"}.items()):
        for region in ("N", "S"):
            season = 1 + 0.3 * np.sin(2 * np.pi * (np.arange(months) + i) / 12)
            y = np.round(rng.uniform(40, 90) * season * rng.normal(1, 0.15, months)).clip(0)
            rows += [(d, region, cat, sku, f"C{region}", float(q), q * 5.0)
                     for d, q in zip(ds, y, strict=True)]
    return pd.DataFrame(rows, columns=["ds", "region", "category", "sku", "customer_id", "qty",
                                       "revenue"])


@pytest.fixture(scope="module")
def series():
    return hierarchy_series(monthly_sales(60, seed=11), "2025-12")


@pytest.fixture(scope="module")
def rec(series):
    before = series.copy()
    out = reconciled_forecast(series, h=H)
    pd.testing.assert_frame_equal(series, before)  # input untouched
    return out


def test_origins_are_spaced_before_the_end_and_off_when_asked(series):
    cuts = backtest_cutoffs(series, origins=3, step=3)
    assert cuts == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-06-01"),
                    pd.Timestamp("2025-09-01")]
    assert backtest_cutoffs(series, origins=0) == []
    assert backtest_cutoffs(series, origins=3, max_series=series["unique_id"].nunique() - 1) == []
    short = series_at(series, "2022-06-01")  # 18 months: under two seasons before any origin
    assert backtest_cutoffs(short, origins=3) == []
    assert series_at(series, cuts[0])["ds"].max() == cuts[0]


def test_the_backtest_chooses_the_method_with_the_lowest_mean_error(rec, series):
    assert rec.method in RECONCILIATION_METHODS
    assert set(rec.backtest["level"]) == set(series["level"])
    assert (rec.backtest["origins"] == 3).all()
    assert rec.reason and f"forecasts adjusted so that all levels add up: {rec.reason}" in rec.notes
    assert not any(m in rec.reason for m in ("MinTrace", "BottomUp", "TopDown"))


def test_the_chosen_reconciliation_is_coherent_and_its_ranges_nest(rec):
    fc = rec.forecast
    total = fc[fc["level"] == "total"].set_index("ds")["forecast"]
    for lv in ("category", "region", "category_region", "sku_region"):
        sums = fc[fc["level"] == lv].groupby("ds")["forecast"].sum()
        np.testing.assert_allclose(sums.to_numpy(), total.loc[sums.index].to_numpy(), rtol=1e-9)
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["hi_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()
    assert (fc["hi_80"] > fc["lo_80"]).any()


def test_calibrated_ranges_cover_about_their_share_of_months_not_seen():
    """Held-out year of a longer history of the same kind: the 80 % and 95 % ranges of the
    products by region (48 points) hold roughly their share of the actuals."""
    full = hierarchy_series(monthly_sales(72, seed=5), "2026-12")
    train = full[full["ds"] <= "2025-12-01"]
    test = full[(full["ds"] > "2025-12-01") & (full["ds"] <= "2026-06-01")]
    rec = reconciled_forecast(train, h=H)
    cover = interval_coverage(rec.forecast, test[["unique_id", "ds", "y", "level"]])
    bottom = cover[cover["level"] == "sku_region"].set_index("interval")["coverage"]
    assert 0.6 <= bottom[80] <= 0.97 and 0.8 <= bottom[95] <= 1.0
    assert bottom[95] >= bottom[80]


def test_methods_are_named_in_plain_words():
    assert model_words("AutoETS+AutoTheta") == \
        "the average of exponential smoothing and the Theta method"
    assert model_words("median(AutoETS, AutoTheta, AutoCES)") == \
        "the middle of exponential smoothing, the Theta method and complex exponential smoothing"
    assert model_words("weighted(AutoETS 0.55, SeasonalNaive 0.45)") == \
        "a weighted mix of exponential smoothing and the same month last year"
    choice = pd.DataFrame({"level": ["sku_region", "sku_region", "total"],
                           "model": ["CrostonSBA", "AutoETS+AutoTheta", "AutoETS+AutoTheta"],
                           "series": [3, 9, 1]})
    mix = method_mix(choice)
    assert mix["level"].tolist() == ["the total", "products by region", "products by region"]
    assert mix["series"].tolist() == [1, 9, 3]
    assert not mix["method"].str.contains("Auto|SBA").any()  # no model class names
