"""reconciled_forecast and customer_allocation: coherence, fallbacks, sums that add back."""

import numpy as np
import pandas as pd
import pytest

import sop.forecast.reconcile as reconcile
from sop.forecast.customers import customer_allocation
from sop.forecast.demand import hierarchy_series
from sop.forecast.hierarchy import reconciled_forecast, summing_matrix
from sop.forecast.reconcile_methods import RECONCILIATION_METHODS
from sop.plan import FORECAST_COLUMNS

LEVELS = ("category", "region", "category_region", "sku_region")


def monthly_sales(months=36, seed=1):
    """2 regions x 3 skus (2 categories) x 2 customers; S3 in S stops selling 8 months ago."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=months, freq="MS")
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(months) / 12)
    rows = []
    for sku, cat in {"S1": "A", "S2": "A", "S3": "B"}.items():
        for region in ("N", "S"):
            for cust in ("C1", "C2"):
                y = np.round(rng.uniform(20, 50) * season * rng.uniform(0.8, 1.2, months))
                if (sku, region) == ("S3", "S"):
                    y[-8:] = 0
                price = 10.0 if cat == "A" else 4.0
                rows += [(d, region, cat, sku, f"{cust}{region}", q, q * price)
                         for d, q in zip(ds, y, strict=True)]
    return pd.DataFrame(rows, columns=["ds", "region", "category", "sku", "customer_id", "qty",
                                       "revenue"])


@pytest.fixture(scope="module")
def reconciled():
    monthly = monthly_sales()
    series = hierarchy_series(monthly, "2025-12")
    before = series.copy()
    rec = reconciled_forecast(series, h=6)
    pd.testing.assert_frame_equal(series, before)  # input untouched
    return monthly, series, rec


def per_level_totals(fc, col):
    return {lv: fc[fc["level"] == lv].groupby("ds")[col].sum().to_numpy() for lv in LEVELS}


def test_reconciled_forecast_is_coherent_at_every_level(reconciled):
    _, _, rec = reconciled
    fc = rec.forecast
    assert rec.method in RECONCILIATION_METHODS and rec.reason  # chosen on the backtest
    assert list(fc.columns) == [*FORECAST_COLUMNS, "snaive"]
    num = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95", "revenue", "snaive"]
    assert fc[num].notna().all().all() and (fc[num] >= 0).all().all()
    total = fc[fc["level"] == "total"]
    for col in ("forecast", "revenue"):
        for lv, sums in per_level_totals(fc, col).items():
            np.testing.assert_allclose(sums, total[col].to_numpy(), rtol=1e-9, err_msg=lv)
    cat_a = fc[fc["unique_id"] == "category=A"]["forecast"].to_numpy()
    skus_a = fc[(fc["level"] == "sku_region") & (fc["category"] == "A")]
    np.testing.assert_allclose(skus_a.groupby("ds")["forecast"].sum().to_numpy(), cat_a)
    assert (fc["lo_80"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["hi_80"]).all()


def test_dead_bottom_series_stays_zero_and_revenue_uses_its_price(reconciled):
    _, _, rec = reconciled
    fc = rec.forecast
    dead = fc[fc["unique_id"] == "sku=S3|region=S"]
    assert (dead["model"] == "Zero").all() and (dead["forecast"] == 0).all()
    s1 = fc[fc["unique_id"] == "sku=S1|region=N"]
    np.testing.assert_allclose(s1["revenue"], s1["forecast"] * 10.0)
    assert f"forecasts adjusted so that all levels add up: {rec.reason}" in rec.notes
    assert not any("MinTrace" in n for n in rec.notes)  # the method's name stays internal
    assert any("forecast 0" in n and "sku=S3|region=S" in n for n in rec.notes)


def test_bottom_up_is_the_fallback_when_mintrace_fails(monkeypatch):
    class Broken:
        def __init__(self, method=None):
            raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(reconcile, "MinTrace", Broken)
    series = hierarchy_series(monthly_sales(months=30, seed=2), "2025-06")
    rec = reconciled_forecast(series, h=3, origins=0)  # the rule, no backtest
    assert rec.method == "BottomUp"
    assert any("MinTrace(mint_shrink) failed (LinAlgError" in n for n in rec.notes)
    monkeypatch.setattr(reconcile, "BottomUp", Broken)
    last_resort = reconciled_forecast(series, h=3, origins=0)
    assert last_resort.method == "BottomUp (base bottoms added up)"
    for fc in (rec.forecast, last_resort.forecast):
        total = fc[fc["level"] == "total"]["forecast"].to_numpy()
        for lv, sums in per_level_totals(fc, "forecast").items():
            np.testing.assert_allclose(sums, total, rtol=1e-9, err_msg=lv)
        assert fc["forecast"].notna().all()


def test_summing_matrix_by_hand():
    attrs = pd.DataFrame({
        "unique_id": ["total", "region=N", "region=S", "category=A|region=N",
                      "category=A|region=S", "category=B|region=S"],
        "level": ["total", "region", "region", "category_region", "category_region",
                  "category_region"],
        "region": [None, "N", "S", "N", "S", "S"], "category": [None, None, None, "A", "A", "B"],
        "sku": None})
    s, tags = summing_matrix(attrs)
    assert s.row_labels.tolist() == attrs["unique_id"].tolist()
    assert s.col_labels.tolist() == attrs["unique_id"].tolist()[3:]
    assert s.to_dense().tolist() == [
        [1, 1, 1], [1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert tags["region"].tolist() == ["region=N", "region=S"]


def test_customer_allocation_sums_back_and_forecasts_key_accounts_directly(reconciled):
    monthly, _, rec = reconciled
    alloc = customer_allocation(rec.forecast, monthly, key_accounts=["C1N"])
    parent = rec.forecast[rec.forecast["level"] == "sku_region"].set_index(
        ["sku", "region", "ds"])
    sums = alloc.groupby(["sku", "region", "ds"])[["forecast", "revenue"]].sum()
    np.testing.assert_allclose(sums["forecast"], parent.loc[sums.index, "forecast"], atol=1e-9)
    np.testing.assert_allclose(sums["revenue"], parent.loc[sums.index, "revenue"], atol=1e-9)
    assert set(alloc[alloc["customer_id"] == "C1N"]["basis"]) == {"key_account"}
    assert set(alloc[alloc["customer_id"] != "C1N"]["basis"]) == {"share"}
    assert (alloc["forecast"] >= 0).all() and alloc.notna().all().all()


def test_customer_allocation_by_hand():
    fc = pd.DataFrame({"level": "sku_region", "region": "N", "category": "A",
                       "sku": ["S1", "S2", "S3"], "ds": pd.Timestamp("2026-01-01"),
                       "forecast": [100.0, 10.0, 5.0], "revenue": [1000.0, 100.0, 50.0]})
    ds = pd.date_range("2025-01-01", periods=12, freq="MS")
    monthly = pd.concat([
        pd.DataFrame({"ds": ds, "region": "N", "category": "A", "sku": "S1",
                      "customer_id": c, "qty": q, "revenue": q * 10})
        for c, q in (("K", 30.0), ("X", 10.0), ("Y", 30.0))] + [
        pd.DataFrame({"ds": ds, "region": "N", "category": "A", "sku": "S2",
                      "customer_id": "K", "qty": 40.0, "revenue": 400.0})])
    alloc = customer_allocation(fc, monthly, key_accounts=["K"]).set_index(["sku", "customer_id"])
    # S1: K's own flat history forecasts 30; the other 70 go to X and Y by share 1:3
    assert alloc.loc[("S1", "K"), "forecast"] == pytest.approx(30.0)
    assert alloc.loc[("S1", "X"), "forecast"] == pytest.approx(17.5)
    assert alloc.loc[("S1", "Y"), "forecast"] == pytest.approx(52.5)
    assert alloc.loc[("S1", "Y"), "revenue"] == pytest.approx(525.0)
    # S2: K is the only customer: its 40 is scaled down to the parent's 10
    assert alloc.loc[("S2", "K"), "forecast"] == pytest.approx(10.0)
    # S3: nobody ever bought it
    assert alloc.loc[("S3", "(unallocated)"), "forecast"] == pytest.approx(5.0)
    assert alloc.loc[("S3", "(unallocated)"), "basis"] == "unallocated"


@pytest.mark.slow
def test_project_forecast_beats_seasonal_naive_on_aus_retail():
    """The public check (bench/forecast_aus_retail.py, all states there) on three states
    and without the reference runs, to stay well under a minute."""
    from bench.forecast_aus_retail import run

    states = ("Australian Capital Territory", "New South Wales", "Northern Territory")
    table, info = run(states, n_jobs=1, reference=False)
    ours = table.loc["project: reconciled_forecast (backtest choice)"]
    snaive = table.loc["seasonal naive"]
    assert info["n_series"] == {"state x industry": 41, "state": 3, "total": 1}
    assert (ours < snaive).all(), table


def test_large_hierarchy_path_is_coherent_and_keeps_interval_widths():
    series = hierarchy_series(monthly_sales(months=36, seed=3), "2025-12")
    dense = reconciled_forecast(series, h=6, origins=0)
    rec = reconciled_forecast(series, h=6, method="wls_var", origins=0)
    assert dense.method == "MinTrace(mint_shrink)" and rec.method == "MinTraceSparse(wls_var)"
    assert any("each range moves with its adjusted forecast" in n for n in rec.notes)
    fc = rec.forecast
    total = fc[fc["level"] == "total"]["forecast"].to_numpy()
    for lv, sums in per_level_totals(fc, "forecast").items():
        np.testing.assert_allclose(sums, total, rtol=1e-9, err_msg=lv)
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["hi_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()
    # the two methods differ, but not by much: same base forecasts, both minimum trace
    assert not np.allclose(fc["forecast"], dense.forecast["forecast"])
    np.testing.assert_allclose(fc["forecast"], dense.forecast["forecast"], rtol=0.15)


def test_sparse_path_falls_back_to_structural_weights_when_variances_fail(monkeypatch):
    def broken():
        raise ValueError("needs covariance matrix to be positive definite")

    monkeypatch.setattr(reconcile, "WlsVarSparse", broken)
    series = hierarchy_series(monthly_sales(months=30, seed=2), "2025-06")
    rec = reconciled_forecast(series, h=3, method="wls_var")
    assert rec.method == "MinTraceSparse(wls_struct)"
    assert any("MinTraceSparse(wls_var) failed (ValueError" in n for n in rec.notes)


@pytest.mark.parametrize(("n", "want"), [(1, "mint_shrink"), (reconcile.DENSE_MAX_SERIES,
                                         "mint_shrink"),
                                         (reconcile.DENSE_MAX_SERIES + 1, "wls_var")])
def test_method_follows_the_hierarchy_size(n, want):
    assert reconcile.chosen_method("auto", n) == want
    assert reconcile.chosen_method("wls_struct", n) == "wls_struct"
    with pytest.raises(ValueError, match="unknown reconciliation method 'shrink'"):
        reconcile.chosen_method("shrink", n)


def test_summing_matrix_adds_each_series_from_the_bottoms_that_share_its_keys():
    rng = np.random.default_rng(5)
    bottoms = pd.DataFrame({"sku": [f"K{i}" for i in range(60)],
                            "category": rng.choice(["A", "B", "C"], 60)})
    monthly = bottoms.merge(pd.DataFrame({"region": ["N", "S", "E"]}), how="cross")
    monthly = monthly.sample(frac=0.7, random_state=1).assign(
        ds=pd.Timestamp("2025-01-01"), customer_id="C", qty=1.0, revenue=1.0)
    attrs = hierarchy_series(monthly, "2025-01").drop_duplicates("unique_id")
    s, tags = summing_matrix(attrs)
    by_id = attrs.set_index("unique_id")
    bottom = by_id.loc[s.col_labels]
    dense = s.to_dense()
    for i, uid in enumerate(s.row_labels):
        row = by_id.loc[uid]
        want = np.ones(len(bottom), dtype=bool)
        for k in ("category", "region", "sku"):
            if pd.notna(row[k]):
                want &= (bottom[k] == row[k]).to_numpy()
        assert dense[i].tolist() == want.astype(float).tolist(), uid
    assert sorted(np.concatenate(list(tags.values()))) == sorted(attrs["unique_id"])


def test_sparse_wls_var_equals_the_libraries_dense_wls_var():
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace

    from sop.forecast.backtest import settled_fitted as _settled
    from sop.forecast.hierarchy import ATTRS, base_forecasts, borrowed_profiles

    monthly = monthly_sales(months=40, seed=4)
    monthly.loc[(monthly["sku"] == "S2") & (monthly["ds"] < "2026-02-01"), "qty"] = 0
    series = hierarchy_series(monthly, "2026-04")  # S2 launched 3 months ago: few residuals
    base = base_forecasts(series, 6, series["ds"].max(), borrowed_profiles(series))
    s, tags = summing_matrix(series.drop_duplicates("unique_id")[["unique_id", *ATTRS]])
    y_hat = base.forecast[["unique_id", "ds", "forecast"]]
    y_df = _settled(base.fitted, 12).rename(columns={"fitted": "forecast"})
    got, want = (HierarchicalReconciliation([r]).reconcile(
        Y_hat_df=y_hat, Y_df=y_df, S_df=s, tags=tags).sort_values(["unique_id", "ds"])
        for r in (reconcile.WlsVarSparse(), MinTrace(method="wls_var")))
    np.testing.assert_allclose(got.filter(like="forecast/").to_numpy(),
                               want.filter(like="forecast/").to_numpy(), rtol=1e-7)
    assert not np.allclose(got["forecast"], got.filter(like="forecast/").iloc[:, 0])
