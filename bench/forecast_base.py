"""Base-forecast accuracy per level: raw single models against the project's fixed
combination and its choice by backtest, computed side by side on one train/test split.

Used by ``python -m bench.forecast_aus_retail --base`` and ``python -m bench.forecast_pbs``.
The raw candidates run once on the training window; the choices (per series, pooled per
group) are applied to those same forecasts, and the project rows run `forecasts_and_fitted`
itself (choose=False: the fixed AutoETS+AutoTheta mean; choose=True: the choice by backtest).
"""

from __future__ import annotations

import time

import pandas as pd
from statsforecast import StatsForecast

from sop.forecast import candidates as fc_cand
from sop.forecast import selection as sel
from sop.forecast.series import clean_history, forecasts_and_fitted


def _history(train: pd.DataFrame) -> pd.DataFrame:
    return train[["unique_id", "ds", "y"]].assign(group=train["category"])


def base_table(train: pd.DataFrame, test: pd.DataFrame, h: int, n_jobs: int, arima: bool,
               score, season_length: int = 12) -> pd.DataFrame:
    """MASE per level (columns: the `level` values) of every method (rows); `score(fc, test,
    train)` -> {level: MASE}."""
    singles = ["AutoETS", "AutoTheta", "AutoCES", "SeasonalNaive"] + (["AutoARIMA"] if arima
                                                                      else [])
    t0 = time.perf_counter()
    sf = StatsForecast(models=fc_cand.statsforecast_models(singles, season_length), freq="MS",
                       n_jobs=n_jobs)
    raw = sf.forecast(df=train[["unique_id", "ds", "y"]], h=h).reset_index(drop=True)
    print(f"raw singles: {time.perf_counter() - t0:.1f} s", flush=True)
    rows = {f"raw {m}": score(raw.assign(forecast=raw[m]), test, train) for m in singles}
    hist = _history(train)
    for choose in (False, True):
        t0 = time.perf_counter()
        fc, _, _ = forecasts_and_fitted(hist, h, season_length, n_jobs=n_jobs, choose=choose)
        name = "project: backtest choice" if choose else "project: fixed AutoETS+AutoTheta"
        print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)
        rows[name] = score(fc, test, train)
    clean, _ = clean_history(hist)
    levels = train.drop_duplicates("unique_id").set_index("unique_id")["level"]
    for lags in ((1, 2, 3), tuple(range(1, 13))):
        cand = tuple(m for m in singles if m != "AutoARIMA") + (("AutoARIMA",) if arima
                                                                 else ())
        scores, cv = sel.backtest_scores(clean, max(lags), season_length, windows=sel.WINDOWS,
                                         lags=lags, n_jobs=n_jobs, candidates=cand)
        for label, groups, pool in (("per series", None, False),
                                    ("pooled per level", levels, True)):
            choice = sel.chosen_models(scores, cv, groups, lags, pool=pool)
            fc = raw.assign(forecast=sel.chosen_values(raw, choice))
            rows[f"choice {label}, lags 1..{max(lags)}"] = score(fc, test, train)
    return pd.DataFrame(rows).T
