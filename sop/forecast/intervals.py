"""Calibrated (conformal) prediction intervals from a reconciled backtest.

From the chosen reconciliation's backtest (`reconciliation_backtest(...).reconciled[m]`):
the scaled error of a row = |actual - reconciled forecast| / the series' scale at that origin
(its in-sample seasonal-naive MAE). For each level of the hierarchy, each forecast step
(months ahead) and each interval level L, the half-width factor is the conformal quantile
of those scaled errors: the ceil((n + 1) L/100)-th smallest of the n pooled over the level's
series and the origins (the largest when n is too small for that). A step uses its own
errors when it has at least `min_points` of them, else the level's errors of all steps.

The interval of a forecast = point -/+ factor x the series' scale (seasonal-naive MAE of its
whole history), lower end at 0 or above for non-negative data; it always contains the point.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MIN_POINTS = 40  # below this (per level and step), the step's errors are pooled over steps


def _conformal(values: np.ndarray, level: float) -> float:
    v = np.sort(values[np.isfinite(values)])
    if len(v) == 0:
        return np.nan
    k = int(np.ceil((len(v) + 1) * level / 100.0))
    return float(v[min(k, len(v)) - 1])


def conformal_quantiles(reconciled_cv: pd.DataFrame, level: Sequence[int] = (80, 95),
                        min_points: int = MIN_POINTS) -> pd.DataFrame:
    """A new frame: level (of the hierarchy), step, interval, quantile (half-width in
    scales), n (errors it rests on), pooled (True when from all steps of the level).
    `reconciled_cv`: unique_id, level, cutoff, step, y, forecast, scale."""
    f = reconciled_cv.assign(
        scaled=(reconciled_cv["y"] - reconciled_cv["forecast"]).abs()
        / reconciled_cv["scale"])
    f = f[np.isfinite(f["scaled"])]
    rows = []
    steps = sorted(reconciled_cv["step"].unique())
    for lv, part in f.groupby("level", sort=False):
        pooled = part["scaled"].to_numpy()
        by_step = {k: g["scaled"].to_numpy() for k, g in part.groupby("step")}
        for step in steps:
            own = by_step.get(step, np.array([]))
            use = own if len(own) >= min_points else pooled
            for lvl in level:
                rows.append((lv, step, int(lvl), _conformal(use, lvl), len(use),
                             len(own) < min_points))
    return pd.DataFrame(rows, columns=["level", "step", "interval", "quantile", "n", "pooled"])


def calibrated_intervals(forecast: pd.DataFrame, quantiles: pd.DataFrame,
                         levels: pd.Series, scales: pd.Series,
                         nonnegative: bool = True) -> pd.DataFrame:
    """`forecast` (unique_id, ds, forecast, ...) as a new frame with lo_<L>, hi_<L> for
    each interval level L of `quantiles` (`conformal_quantiles`). `levels`: each
    unique_id's level of the hierarchy; `scales`: each unique_id's scale (e.g.
    `seasonal_scales` of its history). The step of a row is its rank in its series' ds;
    steps beyond the backtest's take its last step. A series without a scale or a level
    without quantiles gets no interval (NaN)."""
    out = forecast.copy()
    step = out.groupby("unique_id")["ds"].rank(method="first").astype(int)
    step = step.clip(upper=int(quantiles["step"].max()))
    scale = out["unique_id"].map(scales).to_numpy(dtype=float)
    key = pd.DataFrame({"level": out["unique_id"].map(levels).to_numpy(),
                        "step": step.to_numpy()})
    point = out["forecast"].to_numpy(dtype=float)
    for lvl in sorted(quantiles["interval"].unique()):
        q = quantiles[quantiles["interval"] == lvl][["level", "step", "quantile"]]
        factor = key.merge(q, on=["level", "step"], how="left")["quantile"].to_numpy()
        half = factor * scale
        lo, hi = point - half, point + half
        if nonnegative:
            lo = np.clip(lo, 0.0, None)
        out[f"lo_{lvl}"] = np.minimum(lo, point)
        out[f"hi_{lvl}"] = np.maximum(hi, point)
    return out


def interval_coverage(forecast: pd.DataFrame, actuals: pd.DataFrame,
                      level: Sequence[int] = (80, 95)) -> pd.DataFrame:
    """Share of actuals inside [lo_L, hi_L], per level of the hierarchy and interval level L:
    a new frame level, interval, coverage, n. `forecast`: unique_id, ds, lo_*, hi_*;
    `actuals`: unique_id, ds, y; the hierarchy's `level` column comes from either."""
    keys = ["unique_id", "ds"]
    ev = forecast.merge(actuals[[*keys, "y", *(["level"] if "level" in actuals.columns
                                                and "level" not in forecast.columns
                                                else [])]], on=keys)
    rows = []
    for lv, part in ev.groupby("level", sort=False):
        for lvl in level:
            lo, hi = part[f"lo_{lvl}"], part[f"hi_{lvl}"]
            ok = lo.notna() & hi.notna() & part["y"].notna()
            inside = (part["y"] >= lo) & (part["y"] <= hi)
            rows.append((lv, int(lvl), float(inside[ok].mean()) if ok.any() else np.nan,
                         int(ok.sum())))
    return pd.DataFrame(rows, columns=["level", "interval", "coverage", "n"])
