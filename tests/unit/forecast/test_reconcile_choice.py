"""Reconciliation by backtest and conformal intervals: coherence, preserved levels, the
chooser on cases with a clear winner, interval coverage, inputs left alone."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import MinTrace

from sop.forecast.intervals import calibrated_intervals, conformal_quantiles, interval_coverage
from sop.forecast.reconcile import summing_matrix
from sop.forecast.reconcile_choice import chosen_reconciliation, reconciliation_backtest
from sop.forecast.reconcile_methods import RECONCILIATION_METHODS, reconciled_by

BOTTOMS = [("A", "S1", "N"), ("A", "S2", "N"), ("B", "S3", "N"),
           ("A", "S1", "S"), ("A", "S2", "S"), ("B", "S3", "S"), ("B", "S4", "S")]
MONTHS = 60
CUTOFFS = (36, 42, 48)  # month indexes of the backtest origins
H = 6


def _attrs() -> pd.DataFrame:
    rows = [("total", "total", None, None, None)]
    cats = sorted({c for c, _, _ in BOTTOMS})
    regions = sorted({r for _, _, r in BOTTOMS})
    rows += [(f"category={c}", "category", None, c, None) for c in cats]
    rows += [(f"region={r}", "region", r, None, None) for r in regions]
    rows += [(f"category={c}|region={r}", "category_region", r, c, None)
             for c, r in sorted({(c, r) for c, _, r in BOTTOMS})]
    rows += [(f"sku={s}|region={r}", "sku_region", r, c, s) for c, s, r in BOTTOMS]
    return pd.DataFrame(rows, columns=["unique_id", "level", "region", "category", "sku"])


def _history(seed=0):
    """(attrs, S, tags, actuals of every series over MONTHS months, long)."""
    rng = np.random.default_rng(seed)
    attrs = _attrs()
    s, tags = summing_matrix(attrs)
    t = np.arange(MONTHS)
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    bottoms = np.array([rng.uniform(20, 80) * season * rng.uniform(0.8, 1.2, MONTHS)
                        for _ in s.col_labels])
    full = s.to_csr() @ bottoms
    ds = pd.date_range("2020-01-01", periods=MONTHS, freq="MS")
    actual = pd.DataFrame(full, index=pd.Index(s.row_labels, name="unique_id"), columns=ds)
    long = actual.stack().rename("y").reset_index().rename(columns={"level_1": "ds"})
    return attrs, s, tags, long


def _cv(long: pd.DataFrame, noise, seed=1) -> pd.DataFrame:
    """Base forecasts at each origin: the actual x (1 + noise(series) x N(0, 1))."""
    rng = np.random.default_rng(seed)
    ds = np.sort(long["ds"].unique())
    parts = []
    for c in CUTOFFS:
        f = long[long["ds"].isin(ds[c + 1: c + 1 + H])].copy()
        f["cutoff"] = ds[c]
        f["forecast"] = f["y"] * (1 + f["unique_id"].map(noise) * rng.normal(size=len(f)))
        parts.append(f)
    return pd.concat(parts, ignore_index=True)[["unique_id", "cutoff", "ds", "y", "forecast"]]


def _fitted(long: pd.DataFrame, seed=2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return long.assign(fitted=long["y"] * (1 + 0.1 * rng.normal(size=len(long))))


@pytest.fixture(scope="module")
def case():
    attrs, s, tags, long = _history()
    cv = _cv(long, lambda u: 0.2)
    return attrs, s, tags, long, cv, _fitted(long)


def _origin(cv, i=0):
    return cv[cv["cutoff"] == sorted(cv["cutoff"].unique())[i]][["unique_id", "ds", "forecast"]]


@pytest.mark.parametrize("method", RECONCILIATION_METHODS)
def test_every_method_is_coherent(case, method):
    attrs, s, tags, long, cv, fitted = case
    rec = reconciled_by(method, _origin(cv), fitted, s, tags, attrs)
    wide = rec.pivot(index="unique_id", columns="ds", values="forecast")
    bottoms = wide.loc[s.col_labels].to_numpy()
    assert (bottoms >= 0).all()
    for level, ids in tags.items():  # each level adds up to the total
        np.testing.assert_allclose(wide.loc[ids].sum().to_numpy(), wide.loc["total"].to_numpy(),
                                   rtol=1e-12, err_msg=level)
    np.testing.assert_allclose(wide.loc[s.row_labels].to_numpy(), s.to_csr() @ bottoms,
                               rtol=1e-12)
    # a parent and its children: category A in region N = S1 + S2 there
    np.testing.assert_allclose(wide.loc["category=A|region=N"],
                               wide.loc["sku=S1|region=N"] + wide.loc["sku=S2|region=N"],
                               rtol=1e-12)
    base = _origin(cv).pivot(index="unique_id", columns="ds", values="forecast")
    assert not np.allclose(base.loc["total"], base.loc[tags["sku_region"]].sum())  # incoherent


def test_top_down_and_middle_out_keep_their_level(case):
    attrs, s, tags, long, cv, fitted = case
    base = _origin(cv).pivot(index="unique_id", columns="ds", values="forecast")
    for method, level in (("TopDown(forecast_proportions)", "total"),
                          ("MiddleOut(category_region)", "category_region")):
        rec = reconciled_by(method, _origin(cv), fitted, s, tags, attrs).pivot(
            index="unique_id", columns="ds", values="forecast")
        np.testing.assert_allclose(rec.loc[tags[level]], base.loc[tags[level]], rtol=1e-12)
    td = reconciled_by("TopDown(forecast_proportions)", _origin(cv), fitted, s, tags,
                       attrs).pivot(index="unique_id", columns="ds", values="forecast")
    # category A's share of the total is its base forecast's share of the categories'
    cats = base.loc[tags["category"]]
    np.testing.assert_allclose(td.loc["category=A"],
                               base.loc["total"] * cats.loc["category=A"] / cats.sum(),
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["ols", "wls_struct", "wls_var"])
def test_diagonal_mintrace_matches_the_library(case, name):
    attrs, s, tags, long, cv, fitted = case
    origin = _origin(cv)
    ours = reconciled_by(f"MinTrace({name})", origin, fitted, s, tags, attrs, nonnegative=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = HierarchicalReconciliation([MinTrace(method=name)]).reconcile(
            Y_hat_df=origin, Y_df=fitted.rename(columns={"fitted": "forecast"}), S_df=s,
            tags=tags)
    both = ours.merge(lib, on=["unique_id", "ds"])
    np.testing.assert_allclose(both["forecast_x"], both[f"forecast/MinTrace_method-{name}"],
                               rtol=1e-6)


def test_chooser_picks_bottom_up_when_the_bottoms_are_exact():
    attrs, s, tags, long = _history(seed=3)
    noise = lambda u: 0.0 if u.startswith("sku=") else 0.3  # noqa: E731
    cv = _cv(long, noise)
    bt = reconciliation_backtest(cv, _fitted(long), s, tags, attrs)
    bu = bt.scores[bt.scores["method"] == "BottomUp"]
    assert np.allclose(bu["mase"], 0.0, atol=1e-9)
    assert (bt.scores[bt.scores["method"] == "MinTrace(ols)"]["mase"] > 0.01).all()
    method, reason = chosen_reconciliation(bt.scores)
    assert method == "BottomUp"
    assert "product forecasts added up" in reason


def test_chooser_picks_top_down_when_the_total_and_the_shares_are_right():
    attrs, s, tags, long = _history(seed=4)
    cv = _cv(long, lambda u: 0.0)
    wrong = ~cv["unique_id"].isin(["total"])  # every other series 30 % high, shares right
    cv.loc[wrong, "forecast"] *= 1.3
    bt = reconciliation_backtest(cv, _fitted(long), s, tags, attrs)
    method, reason = chosen_reconciliation(bt.scores)
    assert method == "TopDown(forecast_proportions)"
    td = bt.scores[bt.scores["method"] == method]
    assert np.allclose(td["mase"], 0.0, atol=1e-9)
    assert "% below the product forecasts added up" in reason


def test_chooser_breaks_ties_towards_the_simpler_method():
    scores = pd.DataFrame({"method": ["MinTrace(mint_shrink)", "BottomUp", "MinTrace(ols)"] * 2,
                           "level": ["total"] * 3 + ["sku_region"] * 3,
                           "mase": [0.5, 0.5, 0.6, 0.7, 0.7, 0.8], "bias": 0.0,
                           "n_series": 1, "n_origins": 3})
    assert chosen_reconciliation(scores)[0] == "BottomUp"
    scores.loc[0, "mase"] = 0.45
    method, reason = chosen_reconciliation(scores)
    assert method == "MinTrace(mint_shrink)"
    assert f"{1 - (0.45 + 0.7) / (0.5 + 0.7):.1%} below" in reason


def test_backtest_leaves_its_inputs_alone_and_returns_each_method(case):
    attrs, s, tags, long, cv, fitted = case
    before = cv.copy(), fitted.copy(), attrs.copy()
    bt = reconciliation_backtest(cv, fitted, s, tags, attrs)
    for a, b in zip((cv, fitted, attrs), before, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert set(bt.reconciled) == set(RECONCILIATION_METHODS)
    assert set(bt.scores["level"]) == set(tags)
    rec = bt.reconciled["BottomUp"]
    assert len(rec) == len(cv) and rec["scale"].gt(0).all()
    assert sorted(rec["step"].unique()) == list(range(1, H + 1))


def _gaussian_cv(rng, n_series, origins, sd=1.0):
    ids = [f"s{i}" for i in range(n_series)]
    rows = pd.DataFrame([(u, o, k) for u in ids for o in range(origins) for k in (1, 2)],
                        columns=["unique_id", "cutoff", "step"])
    scale = rows["unique_id"].str[1:].astype(int) + 1.0
    return rows.assign(level="sku_region", forecast=100.0, scale=scale,
                       y=100.0 + sd * scale * rng.normal(size=len(rows)))


def test_conformal_intervals_cover_the_planted_fraction():
    rng = np.random.default_rng(7)
    cal = _gaussian_cv(rng, 50, 20)  # 1,000 calibration errors per step
    q = conformal_quantiles(cal, level=(80, 95), min_points=500)
    assert not q["pooled"].any()
    test = _gaussian_cv(rng, 50, 20)
    test = test.assign(ds=pd.Timestamp("2024-01-01") + pd.to_timedelta(
        test["cutoff"] * 40 + test["step"], unit="D"))
    fc = test[["unique_id", "ds", "forecast"]]
    levels = pd.Series("sku_region", index=test["unique_id"].unique())
    scales = test.drop_duplicates("unique_id").set_index("unique_id")["scale"]
    # the step of a forecast row is its rank among its series' dates: 40 per series here,
    # beyond the backtest's 2 steps -> the last step's factor
    with_iv = calibrated_intervals(fc, q, levels, scales)
    cov = interval_coverage(with_iv, test.assign(level="sku_region"))
    n = len(test)
    for lvl in (80, 95):
        p = lvl / 100
        got = cov[cov["interval"] == lvl]["coverage"].item()
        tol = 4 * np.sqrt(p * (1 - p) * (1 / 1000 + 1 / n))
        assert abs(got - p) < tol, (lvl, got, tol)
    assert (with_iv["lo_80"] <= with_iv["forecast"]).all()
    assert (with_iv["hi_95"] >= with_iv["hi_80"]).all()


def test_few_errors_are_pooled_over_steps_and_lower_ends_stay_non_negative():
    rng = np.random.default_rng(8)
    cal = _gaussian_cv(rng, 3, 5, sd=30.0)
    before = cal.copy()
    q = conformal_quantiles(cal, level=(80,), min_points=20)
    pd.testing.assert_frame_equal(cal, before)
    assert q["pooled"].all() and (q["n"] == 30).all()
    assert q["quantile"].nunique() == 1
    fc = pd.DataFrame({"unique_id": ["s0", "s0"], "ds": pd.to_datetime(["2024-01-01",
                                                                         "2024-02-01"]),
                       "forecast": [5.0, 5.0]})
    out = calibrated_intervals(fc, q, pd.Series({"s0": "sku_region"}), pd.Series({"s0": 50.0}))
    assert (out["lo_80"] == 0.0).all() and (out["hi_80"] > 5.0).all()
    assert list(fc.columns) == ["unique_id", "ds", "forecast"]
