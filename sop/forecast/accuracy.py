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
- coverage_80 / coverage_95: the share of actuals inside the run's stored 80 % / 95 % range
  (lo_80..hi_80, lo_95..hi_95): calibrated ranges hold about 0.80 / 0.95 of them.

Calendars: with `freq="QS"` or `"W-MON"` (see `sop.forecast.calendar`) read quarters or
weeks for months above: dates move to the start of their period, lags count periods, the
seasonal difference and the benchmark are `season_length` periods back, and the origins of
`backtest_origins` are dates ('YYYY-MM-DD'; monthly origins stay 'YYYY-MM').

A metric whose denominator is zero (no actual sales, no scale) is NaN, with `n` telling why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sop.forecast import calendar as cal

ACCURACY_COLUMNS = ("lag", "n", "actual", "forecast", "wape", "bias", "mase", "wape_snaive",
                    "mase_snaive", "fva")
# share of actuals inside the stored 80 % and 95 % ranges (NaN where a run stored none)
COVERAGE_COLUMNS = ("coverage_80", "coverage_95")


def _month(values: pd.Series, freq: str = cal.MONTHLY) -> pd.Series:
    return cal.period_starts(pd.to_datetime(values.astype(str)), freq)


def _index(ds: pd.Series, freq: str = cal.MONTHLY) -> pd.Series:
    return pd.Series(cal.period_numbers(ds, freq), index=ds.index)


def _scales(actuals: pd.DataFrame, season_length: int, freq: str = cal.MONTHLY) -> pd.DataFrame:
    """Per series and month: mean |y_t - y_{t-s}| over the months up to that one."""
    a = actuals.sort_values(["unique_id", "ds"])
    g = a.groupby("unique_id")
    lagged = g["y"].shift(season_length)
    gap_ok = _index(a["ds"], freq) - _index(g["ds"].shift(season_length), freq) == season_length
    diff = (a["y"] - lagged).abs().where(gap_ok)
    scale = diff.groupby(a["unique_id"]).expanding().mean().reset_index(level=0, drop=True)
    return a[["unique_id", "ds"]].assign(scale=scale.reindex(a.index))


def forecast_accuracy(stored: pd.DataFrame, actuals: pd.DataFrame,
                      lags: Sequence[int] = (1, 3, 6), season_length: int = 12,
                      by: Sequence[str] = ("level",), freq: str = cal.MONTHLY) -> pd.DataFrame:
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
    f["period"] = _month(f["period"], freq)
    f["ds"] = _month(f["ds"], freq)
    f["lag"] = _index(f["ds"], freq) - _index(f["period"], freq)
    f = f[f["lag"].isin(list(lags))]
    a = actuals.assign(ds=_month(actuals["ds"], freq), y=actuals["y"].astype(float))
    a = a.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    f = f.merge(a, on=["unique_id", "ds"], how="inner")
    back = np.ceil(f["lag"] / season_length).astype(int) * season_length
    m = (_index(f["ds"], freq) - back).to_numpy()
    f["bench_ds"] = cal.period_dates(m, freq) if len(m) else pd.Series(dtype="datetime64[ns]")
    bench = a.rename(columns={"ds": "bench_ds", "y": "_snaive"})
    f = f.merge(bench, on=["unique_id", "bench_ds"], how="left")
    stored_bench = f["snaive"] if "snaive" in f.columns else pd.Series(np.nan, index=f.index)
    f["snaive"] = pd.to_numeric(stored_bench, errors="coerce").fillna(f["_snaive"])
    scales = _scales(a, season_length, freq).rename(columns={"ds": "period"})
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
    for col in COVERAGE_COLUMNS:
        lv = col.split("_")[1]
        if f"lo_{lv}" in f.columns and f"hi_{lv}" in f.columns:
            lo, hi = pd.to_numeric(f[f"lo_{lv}"]), pd.to_numeric(f[f"hi_{lv}"])
            f[col] = ((f["y"] >= lo) & (f["y"] <= hi)).astype(float).where(lo.notna() & hi.notna())
        else:
            f[col] = np.nan
    g = f.groupby([*by, "lag"], dropna=False)
    out = g.agg(coverage_80=("coverage_80", "mean"), coverage_95=("coverage_95", "mean"),
                n=("y", "size"), actual=("y", "sum"), forecast=("forecast", "sum"),
                abs_e=("abs_e", "sum"), e=("e", "sum"), mase=("q", "mean"),
                mase_snaive=("qb", "mean"), abs_b=("abs_b", "sum"), abs_e_b=("abs_e_b", "sum"),
                y_b=("y_b", "sum")).reset_index()
    denom = out["actual"].where(out["actual"] > 0)
    out["wape"] = out["abs_e"] / denom
    out["bias"] = out["e"] / denom
    denom_b = out["y_b"].where(out["y_b"] > 0)
    out["wape_snaive"] = out["abs_b"] / denom_b
    out["fva"] = out["wape_snaive"] - out["abs_e_b"] / denom_b
    return out[[*by, *ACCURACY_COLUMNS, *COVERAGE_COLUMNS]].sort_values([*by, "lag"],
                                                                          ignore_index=True)


def backtest_origins(history: pd.DataFrame, n: int, step: int = 1,
                     freq: str = cal.MONTHLY) -> list[str]:
    """The `n` as-of months ('YYYY-MM'; periods 'YYYY-MM-DD' for other `freq`) before the
    last one of `history`, `step` apart, oldest first: each leaves at least one period of
    actuals after it."""
    if freq == cal.MONTHLY:
        last = pd.Period(_month(history["ds"]).max(), "M")
        return [str(last - step * k) for k in range(n, 0, -1)]
    last = cal.period_numbers([_month(history["ds"], freq).max()], freq)[0]
    dates = cal.period_dates([last - step * k for k in range(n, 0, -1)], freq)
    return [d.strftime("%Y-%m-%d") for d in dates]


def backtest_forecasts(history: pd.DataFrame, h: int, origins: int | Sequence[str],
                       forecaster: Callable[..., pd.DataFrame] | None = None,
                       freq: str = cal.MONTHLY, **kwargs) -> pd.DataFrame:
    """Rolling-origin backtest: for each origin (as-of month), forecast `h` months from the
    history up to it. Returns the stacked forecasts with `period` (the origin) first, in the
    shape `forecast_accuracy` reads. `forecaster(history, h=h, **kwargs)` defaults to
    `forecast_series`; `origins` is a list of 'YYYY-MM' or a count (`backtest_origins`).
    A `freq` other than monthly is passed on to the forecaster (periods instead of months)."""
    if forecaster is None:
        from sop.forecast.series import forecast_series as forecaster
    if freq != cal.MONTHLY:
        kwargs = {**kwargs, "freq": freq}
    if isinstance(origins, int):
        origins = backtest_origins(history, origins, freq=freq)
    ds = _month(history["ds"], freq)
    runs = []
    for origin in origins:
        cut = history[ds <= _month(pd.Series([origin]), freq).iloc[0]]
        if cut.empty:
            continue
        fc = forecaster(cut, h=h, **kwargs)
        runs.append(fc.assign(period=str(origin)))
    if not runs:
        return pd.DataFrame(columns=["period", "unique_id", "ds", "forecast"])
    out = pd.concat(runs, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]
