"""Forecast accuracy out of sample: stored forecast runs against the actuals since.

Definitions (all per group of rows, e.g. level x lag):

- lag: months from the run's as-of month (`period`) to the forecast month `ds`; a run made
  with actuals through 2026-03 forecasts 2026-04 at lag 1 and 2026-09 at lag 6.
- error e = forecast - actual.
- WAPE = sum |e| / sum actual; bias = sum e / sum actual (positive = over-forecast); both as
  fractions (0.12 = 12%).
- MASE = mean over rows of |e| / scale, scale = the series' mean absolute seasonal
  difference |y_t - y_{t-12}| over its actuals up to the run's period (rows whose series has
  no such history, or a zero scale, are left out of MASE only).
- seasonal naive benchmark: the stored `snaive` value where there is one, else the actual of
  the same month one year (two years for lags above 12...) before `ds`, known at the run's
  period.
- FVA (forecast value added) = WAPE of seasonal naive - WAPE of the forecast, on the rows
  where both exist: positive means the forecast beats the benchmark.

A metric whose denominator is zero (no actual sales, no scale) is NaN, with `n` telling why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

ACCURACY_COLUMNS = ("lag", "n", "actual", "forecast", "wape", "bias", "mase", "wape_snaive",
                    "mase_snaive", "fva")


def _month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(str)).dt.to_period("M").dt.to_timestamp()


def _index(ds: pd.Series) -> pd.Series:
    return ds.dt.year * 12 + ds.dt.month - 1


def _scales(actuals: pd.DataFrame, season_length: int) -> pd.DataFrame:
    """Per series and month: mean |y_t - y_{t-s}| over the months up to that one."""
    a = actuals.sort_values(["unique_id", "ds"])
    g = a.groupby("unique_id")
    lagged = g["y"].shift(season_length)
    gap_ok = _index(a["ds"]) - _index(g["ds"].shift(season_length)) == season_length
    diff = (a["y"] - lagged).abs().where(gap_ok)
    scale = diff.groupby(a["unique_id"]).expanding().mean().reset_index(level=0, drop=True)
    return a[["unique_id", "ds"]].assign(scale=scale.reindex(a.index))


def forecast_accuracy(stored: pd.DataFrame, actuals: pd.DataFrame,
                      lags: Sequence[int] = (1, 3, 6), season_length: int = 12,
                      by: Sequence[str] = ("level",)) -> pd.DataFrame:
    """WAPE, bias, MASE and FVA against seasonal naive of stored forecast runs, by `by` and lag.

    `stored`: period (as-of month, 'YYYY-MM' or a date), unique_id, ds, forecast, and the
    `by` columns (a missing `level` column counts as one level "all"); optionally snaive.
    `actuals`: unique_id, ds, y with the history before the runs (for the benchmark and the
    MASE scale). Rows whose actual has not arrived yet are skipped. Returns a new frame with
    the `by` columns and ACCURACY_COLUMNS, sorted.
    """
    by = list(by)
    f = stored.copy()
    if "level" in by and "level" not in f.columns:
        f["level"] = "all"
    f["period"] = _month(f["period"])
    f["ds"] = _month(f["ds"])
    f["lag"] = _index(f["ds"]) - _index(f["period"])
    f = f[f["lag"].isin(list(lags))]
    a = actuals.assign(ds=_month(actuals["ds"]), y=actuals["y"].astype(float))
    a = a.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    f = f.merge(a, on=["unique_id", "ds"], how="inner")
    back = np.ceil(f["lag"] / season_length).astype(int) * season_length
    m = (_index(f["ds"]) - back).to_numpy()
    f["bench_ds"] = pd.to_datetime({"year": m // 12, "month": m % 12 + 1, "day": 1})
    bench = a.rename(columns={"ds": "bench_ds", "y": "_snaive"})
    f = f.merge(bench, on=["unique_id", "bench_ds"], how="left")
    stored_bench = f["snaive"] if "snaive" in f.columns else pd.Series(np.nan, index=f.index)
    f["snaive"] = pd.to_numeric(stored_bench, errors="coerce").fillna(f["_snaive"])
    scales = _scales(a, season_length).rename(columns={"ds": "period"})
    f = f.merge(scales, on=["unique_id", "period"], how="left")
    f["abs_e"] = (f["forecast"] - f["y"]).abs()
    f["e"] = f["forecast"] - f["y"]
    f["abs_b"] = (f["snaive"] - f["y"]).abs()
    ok_scale = f["scale"] > 0
    f["q"] = (f["abs_e"] / f["scale"]).where(ok_scale)
    f["qb"] = (f["abs_b"] / f["scale"]).where(ok_scale)
    has_b = f["snaive"].notna()
    f["abs_e_b"] = f["abs_e"].where(has_b)
    f["y_b"] = f["y"].where(has_b)
    g = f.groupby([*by, "lag"], dropna=False)
    out = g.agg(n=("y", "size"), actual=("y", "sum"), forecast=("forecast", "sum"),
                abs_e=("abs_e", "sum"), e=("e", "sum"), mase=("q", "mean"),
                mase_snaive=("qb", "mean"), abs_b=("abs_b", "sum"), abs_e_b=("abs_e_b", "sum"),
                y_b=("y_b", "sum")).reset_index()
    denom = out["actual"].where(out["actual"] > 0)
    out["wape"] = out["abs_e"] / denom
    out["bias"] = out["e"] / denom
    denom_b = out["y_b"].where(out["y_b"] > 0)
    out["wape_snaive"] = out["abs_b"] / denom_b
    out["fva"] = out["wape_snaive"] - out["abs_e_b"] / denom_b
    return out[[*by, *ACCURACY_COLUMNS]].sort_values([*by, "lag"], ignore_index=True)


def backtest_origins(history: pd.DataFrame, n: int, step: int = 1) -> list[str]:
    """The `n` as-of months ('YYYY-MM') before the last month of `history`, `step` apart,
    oldest first: each leaves at least one month of actuals after it."""
    last = pd.Period(_month(history["ds"]).max(), "M")
    return [str(last - step * k) for k in range(n, 0, -1)]


def backtest_forecasts(history: pd.DataFrame, h: int, origins: int | Sequence[str],
                       forecaster: Callable[..., pd.DataFrame] | None = None,
                       **kwargs) -> pd.DataFrame:
    """Rolling-origin backtest: for each origin (as-of month), forecast `h` months from the
    history up to it. Returns the stacked forecasts with `period` (the origin) first, in the
    shape `forecast_accuracy` reads. `forecaster(history, h=h, **kwargs)` defaults to
    `forecast_series`; `origins` is a list of 'YYYY-MM' or a count (`backtest_origins`)."""
    if forecaster is None:
        from sop.forecast.series import forecast_series as forecaster
    if isinstance(origins, int):
        origins = backtest_origins(history, origins)
    ds = _month(history["ds"])
    runs = []
    for origin in origins:
        cut = history[ds <= _month(pd.Series([origin])).iloc[0]]
        if cut.empty:
            continue
        fc = forecaster(cut, h=h, **kwargs)
        runs.append(fc.assign(period=str(origin)))
    if not runs:
        return pd.DataFrame(columns=["period", "unique_id", "ds", "forecast"])
    out = pd.concat(runs, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]
