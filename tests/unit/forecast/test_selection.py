"""Choice of model by backtest: planted series, the combination rule, fallbacks, purity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop.forecast import selection as sel
from sop.forecast.series import forecasts_and_fitted

MONTHS = 60


def _frame(series: dict[str, np.ndarray], start: str = "2019-01-01") -> pd.DataFrame:
    parts = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq="MS"),
                           "y": np.asarray(y, dtype=float)}) for uid, y in series.items()]
    return pd.concat(parts, ignore_index=True)


def _seasonal(seed: int, months: int = MONTHS) -> np.ndarray:
    """A season of 12 arbitrary values repeated exactly."""
    pattern = np.random.default_rng(seed).uniform(50, 150, 12)
    return np.tile(pattern, months // 12 + 1)[:months]


def _season_with_old_spikes(seed: int, months: int = MONTHS) -> np.ndarray:
    """An exact season with one-off spikes in the first years (none a year before the
    backtest): seasonal naive is exact on the backtest, smoothing models carry the spikes."""
    y = _seasonal(seed, months)
    y[[4, 17, 30]] *= 4.0
    return y


def _trend(seed: int, months: int = MONTHS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    return 100 + 6.0 * t + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, months)


def test_seasonal_naive_wins_on_a_repeating_season_and_loses_on_a_trend():
    clean = _frame({"season": _season_with_old_spikes(1), "trend": _trend(2)})
    scores, cv = sel.backtest_scores(clean, 3, 12, windows=4)
    choice = sel.chosen_models(scores, cv).set_index("unique_id")
    by = scores.pivot(index="unique_id", columns="model", values="mase")
    assert choice.loc["season", "model"] == "SeasonalNaive"
    assert by.loc["season", "SeasonalNaive"] < by.loc["season"].drop("SeasonalNaive").min()
    assert choice.loc["trend", "best_single"] != "SeasonalNaive"
    assert choice.loc["trend", "mase"] < by.loc["trend", "SeasonalNaive"]
    assert set(cv["lag"]) == {1, 2, 3}
    assert cv.groupby("unique_id")["cutoff"].nunique().eq(4).all()


def _cv(errors: dict[str, dict[str, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A backtest frame where each model's forecast is y + a planted error (scale 1)."""
    rows = []
    for uid, errs in errors.items():
        for lag in (1, 2, 3):
            rows.append({"unique_id": uid, "cutoff": pd.Timestamp("2024-01-01"),
                         "ds": pd.Timestamp("2024-01-01") + pd.DateOffset(months=lag),
                         "y": 10.0, "lag": lag, **{m: 10.0 + e for m, e in errs.items()}})
    cv = pd.DataFrame(rows)
    models = list(next(iter(errors.values())))
    mae = cv[models].sub(cv["y"], axis=0).abs().groupby(cv["unique_id"]).mean()
    scores = mae.rename_axis("unique_id").reset_index().melt(
        "unique_id", var_name="model", value_name="mae").assign(scale=1.0)
    return scores.assign(mase=scores["mae"]), cv


def test_a_combination_is_kept_only_where_it_beats_the_best_single():
    # opposite errors cancel in the weighted mean; same-signed ones do not
    scores, cv = _cv({"cancel": {"A": 1.0, "B": -1.0, "C": 2.0},
                      "same": {"A": 1.0, "B": 2.0, "C": 3.0}})
    choice = sel.chosen_models(scores, cv).set_index("unique_id")
    assert choice.loc["cancel", "rule"] != "single"
    assert choice.loc["cancel", "mase"] < choice.loc["cancel", "best_single_mase"]
    assert choice.loc["same", "rule"] == "single"
    assert choice.loc["same", "model"] == "A"
    assert (choice["mase"] <= choice["best_single_mase"]).all()


def test_pooled_choice_is_one_per_group_and_covers_series_not_backtested():
    scores, cv = _cv({"a": {"A": 1.0, "B": 3.0}, "b": {"A": 3.0, "B": 2.0},
                      "c": {"A": 5.0, "B": 1.0}})
    groups = pd.Series({"a": "g1", "b": "g1", "c": "g2", "d": "g1", "e": "g3"})
    choice = sel.chosen_models(scores, cv, groups, pool=True).set_index("unique_id")
    assert choice.loc["a", "model"] == choice.loc["b", "model"] == choice.loc["d", "model"]
    assert choice.loc["c", "model"] == "B"
    assert np.isnan(choice.loc["d", "mase"])
    assert "e" not in choice.index  # no backtested series in its group: the caller's rule


def test_forecasts_use_the_choice_and_short_series_fall_back():
    long = {f"t{i}": _trend(10 + i) for i in range(3)}
    hist = _frame({**long, "season": _seasonal(3), "short_alone": _trend(7, 28),
                   "short_pooled": _trend(8, 28)}, start="2019-01-01")
    # the short series end with the others
    short = hist["unique_id"].str.startswith("short")
    hist.loc[short, "ds"] = hist.loc[short, "ds"] + pd.DateOffset(months=MONTHS - 28)
    hist["group"] = np.where(hist["unique_id"] == "short_alone", "other", "main")
    before = hist.copy()
    fc, fit, classes = forecasts_and_fitted(hist, 6, choose=True)
    pd.testing.assert_frame_equal(hist, before)
    model = fc.drop_duplicates("unique_id").set_index("unique_id")["model"]
    assert model["short_alone"] == "AutoETS+AutoTheta"
    assert model["short_pooled"] != "AutoETS+AutoTheta"
    assert model["season"] == "SeasonalNaive"
    assert not model[list(long)].eq("AutoETS+AutoTheta").any()
    assert fc["forecast"].notna().all() and (fc["lo_80"] <= fc["hi_80"]).all()
    assert len(fc) == 6 * hist["unique_id"].nunique()
    assert fit.groupby("unique_id")["fitted"].count().gt(0).all()
    again, _, _ = forecasts_and_fitted(hist, 6, choose=True)
    pd.testing.assert_frame_equal(fc, again)


@pytest.mark.parametrize("choose", [False])
def test_choose_false_is_the_fixed_combination(choose):
    hist = _frame({f"t{i}": _trend(20 + i) for i in range(2)})
    fc, _, _ = forecasts_and_fitted(hist, 3, choose=choose)
    assert fc["model"].eq("AutoETS+AutoTheta").all()


def test_selected_backtest_is_the_chosen_models_forecast_at_each_origin():
    clean = _frame({"season": _seasonal(4), "trend": _trend(5)})
    scores, cv = sel.backtest_scores(clean, 3, 12, windows=3)
    choice = sel.chosen_models(scores, cv)
    fc, fit, bt = sel.selected_forecasts(clean, choice, 4, 12, cv=cv)
    assert set(fc.columns) >= {"unique_id", "ds", "forecast", "lo_95", "hi_95", "model"}
    assert len(bt) == len(cv)
    per = bt.assign(err=(bt["forecast"] - bt["y"]).abs())
    per = per[cv["lag"].isin(sel.LAGS).to_numpy()].groupby("unique_id")["err"].mean()
    scale = scores.drop_duplicates("unique_id").set_index("unique_id")["scale"]
    np.testing.assert_allclose((per / scale).sort_index(),
                               choice.set_index("unique_id")["mase"].sort_index())
