"""The hierarchical forecast: every level forecast and reconciled.

Levels are those of `sop.forecast.demand` (total, category, region, category_region, sku_region);
the deepest level present in the series frame is the bottom, every other series is the sum
of the bottom series that share its keys (so the structure is grouped, not a tree).

Reconciliation (`sop.forecast.reconcile`): hierarchicalforecast's MinTrace on the in-sample one-step
residuals after each series' first season (the models' warm-up): `mint_shrink` on small
hierarchies, the sparse `wls_var` on large ones, falling back to BottomUp when it fails or
returns non-finite values. Bottom series forecast as Zero (dead) are taken out of the
reconciliation: they stay 0 and add 0 to their parents. After reconciling, negative bottom
values are set to 0 and every parent is re-added from its bottoms, so the result stays
coherent: children sum to parents.

`reconciled_forecast` = `base_forecasts` of all series + `reconciled_from_base`. The base
forecasts (the expensive part) may be computed in chunks of whole series (`series_chunks`),
anywhere: no series' numbers depend on the others in its chunk, as the common end month and
the borrowed seasonal profiles (`borrowed_profiles`) are computed once and passed in.

Calendars: every function takes `freq` (`sop.forecast.calendar`: "MS" monthly, the default;
"QS" quarterly; "W-MON" weekly) and the season length defaults to the frequency's. The
warm-up left out of the residuals is one season of periods; the short series that do not
lend their profile are those under two years of periods; a bottom series' price is its
revenue per unit over the last 3 months of time (the last quarter, the last 13 weeks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop.forecast import calendar as cal
from sop.forecast import models as fm
from sop.forecast.backtest import (
    BACKTEST_MAX_SERIES,
    backtest_cutoffs,
    backtested_values,
    reconciliation_choice,
    series_at,
    settled_fitted,
)
from sop.forecast.demand import LEVELS
from sop.forecast.reconcile import (
    coherent_values,
    live_part,
    reconciled_values,
    summed_up,
    summing_matrix,
)
from sop.forecast.series import flag_notes, forecasts_and_fitted, history_flags
from sop.plan import FORECAST_COLUMNS

ATTRS = ["level", "region", "category", "sku"]


@dataclass(frozen=True)
class ReconciledForecast:
    forecast: pd.DataFrame  # FORECAST_COLUMNS + snaive, every level, coherent
    method: str  # "MinTrace(mint_shrink)", "MinTraceSparse(wls_var)", "BottomUp", ... or
    # "none" (a single level): see sop.forecast.reconcile
    flags: pd.DataFrame  # history_flags of every series
    notes: tuple[str, ...]  # data-quality and reconciliation notes for the packets
    choice: pd.DataFrame = field(default_factory=pd.DataFrame)  # level, model, series
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)  # BacktestChoice.by_level
    reason: str = ""  # why the reconciliation, in a head's words (when chosen by backtest)


def _prices(series: pd.DataFrame) -> pd.Series:
    """Per series: revenue per unit over the last 3 months, else over all history, else 0."""
    if "revenue" not in series.columns:
        return pd.Series(0.0, index=series["unique_id"].unique())
    recent = series[series["ds"] > series["ds"].max() - pd.DateOffset(months=3)]
    per = lambda f: f.groupby("unique_id")["revenue"].sum() / \
        f.groupby("unique_id")["y"].sum().replace(0, np.nan)  # noqa: E731
    return per(recent).reindex(series["unique_id"].unique()).fillna(per(series)).fillna(0.0)


@dataclass(frozen=True)
class BaseForecasts:
    """`base_forecasts` of some series, before reconciliation (see `forecasts_and_fitted`)."""

    forecast: pd.DataFrame  # unique_id, ds, forecast, lo_*, hi_*, model, snaive
    fitted: pd.DataFrame  # in-sample one-step fitted values: unique_id, ds, y, fitted
    classes: pd.DataFrame  # demand_classes: one row per series, with the chosen model


METHOD_WORDS = {  # what each reconciliation does, in a head's words
    "MinTrace(mint_shrink)": "weighted by how far each level's forecasts erred in the past",
    "MinTrace(wls_var)": "weighted by how far each series' forecasts erred in the past",
    "MinTrace(wls_struct)": "weighted by how many products each figure covers",
    "MinTrace(ols)": "every level weighted alike",
    "BottomUp": "the product forecasts added up",
    "BottomUp (base bottoms added up)": "the product forecasts added up",
}


LEVEL_WORDS = {"sku_region": "products by region", "category_region": "categories by region",
               "category": "categories", "region": "regions", "total": "the total"}


def reconciliation_note(method: str, why: str, n_series: int, n_bottom: int, bottom: str,
                        moved: bool) -> str:
    """The planning note on reconciliation in plain words (the method's name stays in
    ReconciledForecast.method and the logs); `why` names the methods that failed before."""
    failed = (f"the preferred adjustment could not be computed ({why.strip('; ')}), so "
              if why else "")
    return (f"{failed}forecasts adjusted so that products, categories, regions and the total "
            f"add up ({METHOD_WORDS.get(method, method)}) over {n_series} series, "
            f"{n_bottom} of them {LEVEL_WORDS.get(bottom, bottom)}"
            + ("; each range moves with its adjusted forecast" if moved else ""))


def series_chunks(series: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """`series` split into at most `n` frames of whole series (never an empty one): the
    series, ordered by level (top first) and unique_id, are dealt round-robin, so every chunk
    gets a share of each level. Rows keep their order within a chunk."""
    ids = series.drop_duplicates("unique_id")[["level", "unique_id"]]
    ids = ids.sort_values(["level", "unique_id"], key=_level_order)["unique_id"].to_numpy()
    n = max(1, min(int(n), len(ids)))
    return [series[series["unique_id"].isin(ids[i::n])] for i in range(n)]


def _history(series: pd.DataFrame) -> pd.DataFrame:
    return series[["unique_id", "ds", "y"]].assign(group=series["category"])


def borrowed_profiles(series: pd.DataFrame, season_length: int | None = None,
                      freq: str = cal.MONTHLY) -> pd.DataFrame:
    """The seasonal profiles (group, season, index) that short series borrow: per category
    and pooled, from the bottom-level series with `fm.SHORT_MONTHS` months (that span in
    periods of `freq`) or more. Computed once over the whole hierarchy and handed to every
    chunk's `base_forecasts`."""
    season_length = season_length or cal.default_season_length(freq)
    present = set(series["level"])
    bottom_level = [lv for lv in LEVELS if lv in present][-1]
    bottoms = _history(series[series["level"] == bottom_level])
    periods = bottoms.groupby("unique_id")["ds"].transform("nunique")
    return fm.seasonal_profiles(bottoms[periods >= cal.periods_in(fm.SHORT_MONTHS, freq)],
                                season_length, freq)


def base_forecasts(series_chunk: pd.DataFrame, h: int, end, profiles: pd.DataFrame,
                   season_length: int | None = None, level: tuple[int, ...] = (80, 95),
                   n_jobs: int = 1, combination: tuple[str, ...] = fm.SMOOTH_MODELS,
                   freq: str = cal.MONTHLY) -> BaseForecasts:
    """Base forecasts (the expensive part) of some series of a `hierarchy_series` frame.

    Every series is forecast from its own history alone: the batch's common end month and
    the borrowed seasonal profiles are passed in (`end` = the hierarchy's last month,
    `profiles` = `borrowed_profiles`), so any split of the series into chunks gives the
    same numbers as one call on all of them.
    """
    fc, fitted, classes = forecasts_and_fitted(_history(series_chunk), h, season_length, level,
                                               n_jobs, profiles, end=end,
                                               combination=combination, freq=freq)
    return BaseForecasts(fc, fitted, classes)


def _joined(frames: list[pd.DataFrame], floats: list[str]) -> pd.DataFrame:
    """Chunks' frames as one, in one order (unique_id, ds) whatever the split."""
    frames = [f for f in frames if len(f)] or frames[:1]
    out = pd.concat(frames, ignore_index=True).sort_values(["unique_id", "ds"],
                                                            ignore_index=True)
    return out.astype(dict.fromkeys(floats, "float64"))


def reconciled_forecast(series: pd.DataFrame, h: int, season_length: int | None = None,
                        level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                        method: str = "auto",
                        combination: tuple[str, ...] = fm.SMOOTH_MODELS,
                        freq: str = cal.MONTHLY, origins: int = 3,
                        max_series: int = BACKTEST_MAX_SERIES) -> ReconciledForecast:
    """Forecast every series of a `hierarchy_series` frame (level, unique_id, region,
    category, sku, ds, y[, revenue]) `h` periods of `freq` ahead and reconcile them:
    `base_forecasts` of all the series at once, the same at each of the backtest's
    `origins` (`sop.forecast.backtest`; 0: none), then `reconciled_from_base`."""
    season_length = season_length or cal.default_season_length(freq)

    def bases_at(cut: pd.DataFrame) -> BaseForecasts:
        return base_forecasts(cut, h, cut["ds"].max(), borrowed_profiles(cut, season_length, freq),
                              season_length, level, n_jobs, combination, freq)

    backtests = [(c, [bases_at(series_at(series, c))]) for c in
                 backtest_cutoffs(series, origins, season_length=season_length, freq=freq,
                                  max_series=max_series)]
    return reconciled_from_base(series, [bases_at(series)], season_length, level, method, freq,
                                backtests)


def reconciled_from_base(series: pd.DataFrame, bases: list[BaseForecasts],
                         season_length: int | None = None, level: tuple[int, ...] = (80, 95),
                         method: str = "auto", freq: str = cal.MONTHLY,
                         backtests: list[tuple[pd.Timestamp, list[BaseForecasts]]] | None = None,
                         ) -> ReconciledForecast:
    """The reconciled forecast of every series of `series` from their base forecasts,
    computed in one or several chunks (`bases`, together covering each series once).

    The forecast frame has FORECAST_COLUMNS plus snaive. `model` is the base model chosen
    for the series; revenue = bottom forecast x the bottom series' recent price (revenue /
    units over its last 3 months), added up the hierarchy like the units. Short series
    borrow their category's seasonal profile (the pooled one where there is no category).
    With `backtests` ((cutoff, its chunks' base forecasts) per origin) and `method` "auto",
    the reconciliation and the intervals are those the backtest chooses
    (`sop.forecast.backtest`).
    """
    season_length = season_length or cal.default_season_length(freq)
    level = tuple(sorted(int(lv) for lv in level))
    num = ["forecast"] + [f"{s}_{lv}" for lv in level for s in ("lo", "hi")]
    base = _joined([b.forecast for b in bases], [*num, "snaive"])
    fitted = _joined([b.fitted for b in bases], ["y", "fitted"])
    classes = pd.concat([b.classes for b in bases], ignore_index=True)
    attrs = series.drop_duplicates("unique_id")[["unique_id", *ATTRS]]
    if base.duplicated(["unique_id", "ds"]).any() or \
            set(base["unique_id"]) != set(attrs["unique_id"]):
        raise ValueError(f"base forecasts cover {base['unique_id'].nunique()} series of the "
                         f"{len(attrs)} in the hierarchy, not each exactly once")
    flags = history_flags(_history(series), season_length=season_length, freq=freq)
    bottom_level = [lv for lv in LEVELS if lv in set(attrs["level"])][-1]
    model = classes.set_index("unique_id")["model"]
    s, tags = summing_matrix(attrs)
    s_live = live_part(s, np.array([model.get(c) != fm.ZERO for c in s.col_labels]))
    live = s_live.row_labels
    notes = list(flag_notes(flags))
    method_used, backtest, reason = "none", pd.DataFrame(), ""
    if len(live) == 0:
        rec = base[["unique_id", "ds"]].assign(**{c: 0.0 for c in num})
    elif len(tags) == 1:
        rec = base[["unique_id", "ds", *num]]
    else:
        live_tags = {k: v[np.isin(v, live)] for k, v in tags.items()}
        live_tags = {k: v for k, v in live_tags.items() if len(v)}
        won = reconciliation_choice(series, backtests, season_length, level) \
            if backtests and method == "auto" else None
        if won is not None:
            rec = backtested_values(won, base[base["unique_id"].isin(live)],
                                    fitted[fitted["unique_id"].isin(live)], s_live, live_tags,
                                    attrs[attrs["unique_id"].isin(live)],
                                    _history(series[series["unique_id"].isin(live)]), level,
                                    season_length)
            method_used, backtest, reason = won.method, won.by_level, won.reason
            notes.append(f"forecasts adjusted so that all levels add up: {won.reason}")
        else:
            rec, method_used, why, moved = reconciled_values(
                base[base["unique_id"].isin(live)],
                settled_fitted(fitted[fitted["unique_id"].isin(live)], season_length),
                s_live, live_tags, level, method)
            notes.append(reconciliation_note(method_used, why, len(live),
                                             len(s_live.col_labels), bottom_level, moved))
    out = coherent_values(base, rec, s, num)
    out = out.merge(base[["unique_id", "ds", "snaive"]], on=["unique_id", "ds"])
    price = _prices(series)
    bottom_rev = out[out["unique_id"].isin(s.col_labels)].assign(
        revenue=lambda f: f["forecast"] * f["unique_id"].map(price).fillna(0.0))
    rev = summed_up(bottom_rev, s, "revenue")
    out = out.merge(rev, on=["unique_id", "ds"], how="left").fillna({"revenue": 0.0})
    out["model"] = out["unique_id"].map(model)
    out = out.merge(attrs, on="unique_id")
    out = out.sort_values(["level", "unique_id", "ds"], key=_level_order, ignore_index=True)
    choice = classes[["unique_id", "model"]].merge(attrs[["unique_id", "level"]])
    choice = choice.groupby(["level", "model"], as_index=False).size().rename(
        columns={"size": "series"})
    return ReconciledForecast(out[[*FORECAST_COLUMNS, "snaive"]], method_used, flags,
                              tuple(notes), choice, backtest, reason)


def _level_order(col: pd.Series) -> pd.Series:
    return col.map({lv: i for i, lv in enumerate(LEVELS)}) if col.name == "level" else col


@dataclass(frozen=True)
class ForecastChunks:
    """The hierarchy's series in chunks, and what every chunk shares."""

    chunks: list[pd.DataFrame]
    profiles: pd.DataFrame  # borrowed_profiles of the whole hierarchy
    end: pd.Timestamp  # the hierarchy's last month (period)


def forecast_chunks(series: pd.DataFrame, n: int, freq: str = cal.MONTHLY) -> ForecastChunks:
    """`series` in `n` chunks for the base forecasts (`base_forecasts` per chunk, then
    `reconciled_from_base` over all of them)."""
    return ForecastChunks(series_chunks(series, n), borrowed_profiles(series, freq=freq),
                          series["ds"].max())


def backtest_chunks(series: pd.DataFrame, n: int, origins: int, max_series: int,
                    freq: str = cal.MONTHLY) -> list[tuple[pd.Timestamp, ForecastChunks]]:
    """The hierarchy as it stood at each backtest origin (`sop.forecast.backtest`), in
    chunks like `forecast_chunks`: the backtest's base forecasts run where the cycle's do."""
    cuts = backtest_cutoffs(series, origins, season_length=cal.default_season_length(freq),
                            freq=freq, max_series=max_series)
    return [(c, forecast_chunks(series_at(series, c), n, freq)) for c in cuts]
