"""The hierarchy's rolling-origin backtest: reconciliation chosen by what wins, intervals
calibrated on its errors.

At each origin (`backtest_cutoffs`: the last `origins` cutoffs `step` periods apart before
the hierarchy's last period), the series as they stood then (`series_at`) get their base
forecasts by the very function the cycle uses (`sop.forecast.hierarchy.base_forecasts`, in
chunks, on whatever runner the caller has), so the backtest measures what the cycle does.
`reconciliation_choice` then reconciles every origin's base forecasts by every method of
`sop.forecast.reconcile_methods`, scores each level (MASE, `sop.forecast.reconcile_choice`),
picks the method with the lowest mean over levels, and derives conformal interval widths
from that method's errors (`sop.forecast.intervals`). `backtested_values` applies the choice
to the live forecast.

The backtest costs one base forecast of the hierarchy per origin, so it runs only up to
`BACKTEST_MAX_SERIES` series (beyond, the rule of `sop.forecast.reconcile` stays and the
models' own intervals are kept; the planning note says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.forecast import calendar as cal
from sop.forecast.intervals import conformal_quantiles
from sop.forecast.reconcile import summing_matrix
from sop.forecast.reconcile_choice import (
    chosen_reconciliation,
    reconciliation_backtest,
    seasonal_scales,
)
from sop.forecast.reconcile_methods import reconciled_by

BACKTEST_MAX_SERIES = 2000
RANGE_TOLERANCE = 0.05  # a model's own range is kept where the backtest covers nominal +- this
ATTRS = ["level", "region", "category", "sku"]


@dataclass(frozen=True)
class BacktestChoice:
    method: str  # the reconciliation chosen, e.g. "MinTrace(wls_var)"
    reason: str  # why, in a head's words
    scores: pd.DataFrame  # method, level, mase, n_origins: every method tried
    by_level: pd.DataFrame  # level, mase (chosen), mase_base, mase_snaive, origins
    quantiles: pd.DataFrame  # conformal_quantiles of the chosen method's errors


def backtest_cutoffs(series: pd.DataFrame, origins: int = 3, step: int = 3,
                     season_length: int = 12, freq: str = cal.MONTHLY,
                     max_series: int = BACKTEST_MAX_SERIES) -> list[pd.Timestamp]:
    """The backtest's origins, oldest first: `origins` cutoffs `step` periods apart, the
    last `step` periods before the hierarchy's last period; only those with two seasons of
    history before them. None when off (`origins` 0) or beyond `max_series` series."""
    if origins <= 0 or series["unique_id"].nunique() > max_series:
        return []
    end = cal.period_numbers(pd.Series([series["ds"].max()]), freq)[0]
    start = cal.period_numbers(pd.Series([series["ds"].min()]), freq)[0]
    nums = [end - step * k for k in range(origins, 0, -1)]
    nums = [n for n in nums if n - start + 1 >= 2 * season_length]
    return list(cal.period_dates(np.array(nums, dtype=int), freq)) if nums else []


def series_at(series: pd.DataFrame, cutoff) -> pd.DataFrame:
    """The hierarchy as it stood at `cutoff`: the rows up to it (series born later absent)."""
    return series[series["ds"] <= pd.Timestamp(cutoff)]


def settled_fitted(fitted: pd.DataFrame, season_length: int) -> pd.DataFrame:
    """In-sample fitted values without each series' first season when it has over two: the
    models' warm-up (Theta's decomposition, ARIMA's differencing) is not their error."""
    g = fitted.groupby("unique_id")
    keep = (g.cumcount() >= season_length) | (g["ds"].transform("size") <= 2 * season_length)
    return fitted[keep]


def _level_mase(frame: pd.DataFrame, col: str) -> pd.Series:
    scaled = (frame[col] - frame["y"]).abs() / frame["scale"]
    return scaled[np.isfinite(scaled)].groupby(frame["level"]).mean()


def reconciliation_choice(series: pd.DataFrame, backtests: list[tuple[pd.Timestamp, list]],
                          season_length: int = 12,
                          level: tuple[int, ...] = (80, 95)) -> BacktestChoice | None:
    """The reconciliation that wins the backtest (see the module's notes) from each
    origin's base forecasts (`backtests`: (cutoff, [BaseForecasts of its chunks])); None
    when there is no origin or no actual after any of them."""
    actual = series[["unique_id", "ds", "y"]]
    recs: dict[str, list[pd.DataFrame]] = {}
    bases = []
    for cutoff, chunks in backtests:
        cut = series_at(series, cutoff)
        attrs = cut.drop_duplicates("unique_id")[["unique_id", *ATTRS]]
        s, tags = summing_matrix(attrs)
        if len(tags) < 2:
            continue
        base = pd.concat([b.forecast for b in chunks], ignore_index=True)
        bounds = [f"{side}_{lv}" for lv in level for side in ("lo", "hi")]
        base = base.astype(dict.fromkeys(["forecast", "snaive", *bounds], float))
        cv = base[["unique_id", "ds", "forecast", "snaive", *bounds]].merge(
            actual, on=["unique_id", "ds"], how="left").assign(cutoff=cutoff)
        fitted = settled_fitted(pd.concat([b.fitted for b in chunks], ignore_index=True)
                                .astype({"y": float, "fitted": float}), season_length)
        bt = reconciliation_backtest(cv, fitted, s, tags, attrs, season_length=season_length)
        for m, frame in bt.reconciled.items():
            recs.setdefault(m, []).append(frame)
        bases.append(cv)
    tried = {m: pd.concat(f, ignore_index=True) for m, f in recs.items()
             if len(f) == len(bases)}
    if not tried or all(f["y"].notna().sum() == 0 for f in tried.values()):
        return None
    scores = pd.concat([_level_mase(f, "forecast").rename("mase").reset_index().assign(
        method=m, n_origins=len(bases)) for m, f in tried.items()], ignore_index=True)
    method, reason = chosen_reconciliation(scores)
    chosen = tried[method]
    base = chosen[["unique_id", "cutoff", "ds", "step", "level", "y", "scale"]].merge(
        pd.concat(bases, ignore_index=True).drop(columns="y"), on=["unique_id", "cutoff", "ds"])
    by_level = pd.DataFrame({"mase": _level_mase(chosen, "forecast"),
                             "mase_base": _level_mase(base, "forecast"),
                             "mase_snaive": _level_mase(base, "snaive")})
    by_level = by_level.rename_axis("level").reset_index().assign(origins=len(bases))
    return BacktestChoice(method, reason, scores, by_level,
                          range_widths(chosen, base, level))


def range_widths(chosen: pd.DataFrame, base: pd.DataFrame,
                 level: tuple[int, ...]) -> pd.DataFrame:
    """Per level of the hierarchy and range (80, 95): the models' own range, moved with the
    reconciled point, where the backtest covers within `RANGE_TOLERANCE` of nominal for
    every range of the level (quantile NaN), else a conformal width: the quantile of |error| / (scale x sqrt(months
    ahead)) over the level's backtest errors (errors grow with the horizon; the root lets
    the few origins' short horizons speak for the long ones). Columns: level, interval,
    quantile, own_coverage, n."""
    seen = chosen[chosen["y"].notna()]
    growth = np.sqrt(seen["step"].to_numpy(dtype=float))
    q = conformal_quantiles(seen.assign(scale=seen["scale"] * growth, step=1), level,
                            min_points=1)
    b = base[base["y"].notna()]
    point = b[["unique_id", "cutoff", "ds"]].merge(seen[["unique_id", "cutoff", "ds",
                                                         "forecast"]].rename(
        columns={"forecast": "rec"}), on=["unique_id", "cutoff", "ds"])["rec"].to_numpy()
    rows = []
    for (lv, interval), part in q.groupby(["level", "interval"]):
        mine = (b["level"] == lv).to_numpy()
        shift = point[mine] - b["forecast"].to_numpy()[mine]
        lo = b[f"lo_{interval}"].to_numpy()[mine] + shift
        hi = b[f"hi_{interval}"].to_numpy()[mine] + shift
        y = b["y"].to_numpy()[mine]
        own = float(np.mean((y >= lo) & (y <= hi))) if mine.any() else np.nan
        rows.append((lv, int(interval), float(part["quantile"].iloc[0]), own,
                     int(part["n"].iloc[0])))
    out = pd.DataFrame(rows, columns=["level", "interval", "quantile", "own_coverage", "n"])
    off = (out["own_coverage"] - out["interval"] / 100.0).abs() > RANGE_TOLERANCE
    keep = ~off.groupby(out["level"]).transform("any")  # one kind of range per level: nested
    return out.assign(quantile=out["quantile"].where(~keep))


def backtested_values(choice: BacktestChoice, base: pd.DataFrame, fitted: pd.DataFrame, s,
                      tags: dict, attrs: pd.DataFrame, history: pd.DataFrame,
                      level: tuple[int, ...], season_length: int = 12) -> pd.DataFrame:
    """The live base forecasts (unique_id, ds, forecast, lo_*, hi_*) reconciled by the
    chosen method, with the ranges `range_widths` chose per level: the model's own moved
    with its reconciled point, or point -/+ quantile x scale x sqrt(months ahead) (a series
    without a scale keeps its own)."""
    nonnegative = bool((history["y"] >= 0).all())
    rec = reconciled_by(choice.method, base[["unique_id", "ds", "forecast"]],
                        settled_fitted(fitted, season_length), s, tags, attrs,
                        nonnegative=nonnegative)
    rec = rec.merge(base.drop(columns="forecast").assign(
        _base=base["forecast"]), on=["unique_id", "ds"], how="left")
    lvl = rec["unique_id"].map(attrs.set_index("unique_id")["level"])
    scale = rec["unique_id"].map(seasonal_scales(
        history[history["unique_id"].isin(rec["unique_id"])], season_length))
    root = np.sqrt(rec.groupby("unique_id")["ds"].rank(method="first"))
    point, moved = rec["forecast"], rec["forecast"] - rec["_base"]
    widths = choice.quantiles.set_index(["level", "interval"])["quantile"]
    for lv in level:
        q = pd.Series([widths.get((x, lv), np.nan) for x in lvl], index=rec.index)
        half = q * scale * root
        lo, hi = (point - half), (point + half)
        lo = lo.clip(lower=0.0) if nonnegative else lo
        rec[f"lo_{lv}"] = np.minimum(lo.fillna(rec[f"lo_{lv}"] + moved), point)
        rec[f"hi_{lv}"] = np.maximum(hi.fillna(rec[f"hi_{lv}"] + moved), point)
    return rec[["unique_id", "ds", "forecast", *[f"{s_}_{lv}" for lv in level
                                                 for s_ in ("lo", "hi")]]]
