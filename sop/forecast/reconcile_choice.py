"""Reconciliation chosen by what wins in a backtest.

`reconciliation_backtest` reconciles the base forecasts made at several past origins
(statsforecast's cross_validation) by every candidate method of
`sop.forecast.reconcile_methods` and scores each level of the hierarchy:

- MASE of a series at an origin = mean over the forecast months of |forecast - actual| /
  scale, scale = the series' in-sample seasonal-naive MAE (mean |y_t - y_{t-season}|) up
  to that origin; a level's MASE = the mean over its series and the origins (series with a
  zero or missing scale left out);
- bias = sum(forecast - actual) / sum(actual) over the level (positive = over-forecast).

`chosen_reconciliation` picks the method whose mean over levels of the level MASE is lowest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hierarchicalforecast.utils import SMatrix

from sop.forecast.reconcile import DENSE_MAX_SERIES
from sop.forecast.reconcile_methods import (
    BOTTOM_UP,
    DENSE_ONLY,
    MIDDLE_OUT,
    RECONCILIATION_METHODS,
    reconciled_by,
)

METHOD_PLAIN_WORDS = {  # what each method does, in a department head's words
    BOTTOM_UP: "the product forecasts added up",
    "TopDown(forecast_proportions)": "the total forecast shared out in proportion to the "
                                     "forecasts below it",
    MIDDLE_OUT: "the category-by-region forecasts kept, shared out to products and added up "
                "above",
    "MinTrace(ols)": "all forecasts adjusted alike until they add up",
    "MinTrace(wls_struct)": "adjusted by how many products each figure covers",
    "MinTrace(wls_var)": "adjusted by how far each series erred in the past",
    "MinTrace(mint_shrink)": "adjusted by how far each series erred in the past and how "
                             "their errors move together",
}


@dataclass(frozen=True)
class ReconciliationBacktest:
    scores: pd.DataFrame  # method, level, mase, bias, n_series, n_origins
    reconciled: dict[str, pd.DataFrame]  # per method: unique_id, level, cutoff, ds, step, y,
    # forecast, scale
    skipped: dict[str, str]  # method -> why it was not run


def _fitted_at(fitted: pd.DataFrame, cutoff) -> pd.DataFrame:
    """The in-sample rows known at `cutoff`: those of that cutoff when `fitted` has a
    cutoff column (cross_validation's fitted values), else those up to it."""
    if "cutoff" in fitted.columns:
        fitted = fitted[fitted["cutoff"] == cutoff]
    return fitted[fitted["ds"] <= cutoff]


def seasonal_scales(history: pd.DataFrame, season_length: int) -> pd.Series:
    """Per unique_id: mean |y_t - y_{t-season_length}| over its history (rows in order of
    ds, one per period), NaN when it has none or it is 0."""
    h = history.sort_values(["unique_id", "ds"])
    diff = (h["y"] - h.groupby("unique_id")["y"].shift(season_length)).abs()
    scale = diff.groupby(h["unique_id"]).mean()
    return scale.where(scale > 0)


def reconciliation_backtest(cv: pd.DataFrame, fitted: pd.DataFrame, s: SMatrix,
                            tags: dict[str, np.ndarray], attrs: pd.DataFrame,
                            methods: Sequence[str] = RECONCILIATION_METHODS,
                            season_length: int = 12,
                            nonnegative: bool | None = None) -> ReconciliationBacktest:
    """Scores of each method (see the module's notes) and its reconciled backtest.

    `cv`: unique_id, cutoff, ds, y, forecast (base forecasts of every series of `s` at each
    origin `cutoff`); `fitted`: unique_id, ds, y, fitted (in-sample one-step, [cutoff]),
    covering each series' history (its y gives the MASE scales). `attrs`: one row per
    series (unique_id, level, region, category, sku). Dense methods are skipped beyond
    DENSE_MAX_SERIES series, MiddleOut when category_region is the bottom (it is BottomUp
    then). `nonnegative` (default: whether all actuals are >= 0) sets negative bottoms to 0.
    """
    if nonnegative is None:
        nonnegative = bool((fitted["y"].dropna() >= 0).all() and (cv["y"].dropna() >= 0).all())
    level_of = attrs.set_index("unique_id")["level"]
    skipped = {}
    run = []
    for m in methods:
        if m in DENSE_ONLY and len(s.row_labels) > DENSE_MAX_SERIES:
            skipped[m] = f"dense: {len(s.row_labels)} series > {DENSE_MAX_SERIES}"
        elif m == MIDDLE_OUT and level_of.get(s.col_labels[0]) == "category_region":
            skipped[m] = "category_region is the bottom level: the same as BottomUp"
        elif m == MIDDLE_OUT and "category_region" not in set(level_of):
            skipped[m] = "no category_region level"
        else:
            run.append(m)
    parts: dict[str, list[pd.DataFrame]] = {m: [] for m in run}
    for cutoff, origin in cv.groupby("cutoff", sort=True):
        known = _fitted_at(fitted, cutoff)
        scale = seasonal_scales(known, season_length)
        truth = origin[["unique_id", "ds", "y"]].assign(
            cutoff=cutoff, scale=origin["unique_id"].map(scale),
            step=origin.groupby("unique_id")["ds"].rank(method="first").astype(int))
        for m in run:
            rec = reconciled_by(m, origin[["unique_id", "ds", "forecast"]], known, s, tags,
                                attrs, nonnegative)
            parts[m].append(truth.merge(rec, on=["unique_id", "ds"], how="left"))
    reconciled = {}
    rows = []
    for m, frames in parts.items():
        rec = pd.concat(frames, ignore_index=True).assign(
            level=lambda f: f["unique_id"].map(level_of))
        rec = rec[["unique_id", "level", "cutoff", "ds", "step", "y", "forecast", "scale"]]
        reconciled[m] = rec
        rows.append(_level_scores(rec).assign(method=m))
    scores = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    cols = ["method", "level", "mase", "bias", "n_series", "n_origins"]
    return ReconciliationBacktest(scores[cols] if len(scores) else pd.DataFrame(columns=cols),
                                  reconciled, skipped)


def _level_scores(rec: pd.DataFrame) -> pd.DataFrame:
    err = rec["forecast"] - rec["y"]
    f = rec.assign(scaled=err.abs() / rec["scale"], err=err)
    g = f.groupby("level", sort=False)
    out = pd.DataFrame({
        "mase": g["scaled"].mean(),
        "bias": g["err"].sum() / g["y"].sum().replace(0.0, np.nan),
        "n_series": g["unique_id"].nunique(),
        "n_origins": g["cutoff"].nunique(),
    })
    return out.reset_index()


def method_ranking(scores: pd.DataFrame) -> pd.Series:
    """Per method, the mean over levels of the level MASE, lowest first (ties: simplest
    first, in RECONCILIATION_METHODS order)."""
    mean = scores.groupby("method")["mase"].mean()
    order = {m: i for i, m in enumerate(RECONCILIATION_METHODS)}
    frame = mean.rename("mase").reset_index().assign(
        rank=lambda f: f["method"].map(order).fillna(len(order)))
    return frame.sort_values(["mase", "rank"]).set_index("method")["mase"]


def chosen_reconciliation(scores: pd.DataFrame, tolerance: float = 1e-9) -> tuple[str, str]:
    """(method, reason in plain words) from `reconciliation_backtest` scores.

    Rule: the method with the lowest mean over the hierarchy's levels of the level-average
    MASE (each level counts alike, whatever its number of series); methods within a relative
    `tolerance` of the lowest are tied, and a tie goes to the simplest (earliest in
    RECONCILIATION_METHODS: BottomUp first, MinTrace(mint_shrink) last).
    """
    ranking = method_ranking(scores)
    if ranking.empty:
        raise ValueError("no scores to choose from")
    best_value = ranking.iloc[0]
    order = {m: i for i, m in enumerate(RECONCILIATION_METHODS)}
    tied = [m for m, v in ranking.items() if v <= best_value * (1 + tolerance) + 1e-15]
    method = min(tied, key=lambda m: order.get(m, len(order)))
    words = METHOD_PLAIN_WORDS.get(method, method)
    origins = int(scores["n_origins"].max()) if "n_origins" in scores else 0
    when = f" over {origins} past forecasts" if origins else ""
    others = ranking.drop(method)
    if others.empty:
        return method, f"{words}: the only method tried"
    against = BOTTOM_UP if method != BOTTOM_UP and BOTTOM_UP in others else others.index[0]
    gap = 1 - ranking[method] / ranking[against] if ranking[against] > 0 else 0.0
    than = METHOD_PLAIN_WORDS.get(against, against)
    if gap <= 0:
        return method, (f"{words}: as accurate{when} as {than}, and simpler")
    return method, (f"{words}: it gave the lowest error{when}, {gap:.1%} below {than}")
