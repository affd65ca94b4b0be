"""The hierarchical forecast: every level forecast and reconciled.

Levels are those of `sop.demand` (total, category, region, category_region, sku_region);
the deepest level present in the series frame is the bottom, every other series is the sum
of the bottom series that share its keys (so the structure is grouped, not a tree).

Reconciliation: hierarchicalforecast's MinTrace (default `mint_shrink`, on the in-sample
one-step residuals after each series' first season, the models' warm-up), falling back to BottomUp when MinTrace fails or returns non-finite
values. Bottom series forecast as Zero (dead) are taken out of the reconciliation: they stay 0
and add 0 to their parents. After reconciling, negative bottom values are set to 0 and every
parent is re-added from its bottoms, so the result stays coherent: children sum to parents.

`reconciled_forecast` = `base_forecasts` of all series + `reconciled_from_base`. The base
forecasts (the expensive part) may be computed in chunks of whole series (`series_chunks`),
anywhere: no series' numbers depend on the others in its chunk, as the common end month and
the borrowed seasonal profiles (`borrowed_profiles`) are computed once and passed in.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import BottomUp, MinTrace

from sop import forecast_models as fm
from sop.demand import LEVEL_KEYS, LEVELS
from sop.forecast import flag_notes, forecasts_and_fitted, history_flags
from sop.plan import FORECAST_COLUMNS

ATTRS = ["level", "region", "category", "sku"]


@dataclass(frozen=True)
class ReconciledForecast:
    forecast: pd.DataFrame  # FORECAST_COLUMNS + snaive, every level, coherent
    method: str  # "MinTrace(mint_shrink)", "BottomUp" or "none" (a single level)
    flags: pd.DataFrame  # history_flags of every series
    notes: tuple[str, ...]  # data-quality and reconciliation notes for the packets


def summing_matrix(attrs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """(S_df, tags) for hierarchicalforecast from one row per series (unique_id, level,
    region, category, sku): S_df has unique_id plus one 0/1 column per bottom series, upper
    series first; tags map each level to its unique_ids."""
    present = [lv for lv in LEVELS if lv in set(attrs["level"])]
    bottom_level = present[-1]
    bottom = attrs[attrs["level"] == bottom_level].sort_values("unique_id")
    rows, ids, tags = [], [], {}
    for lv in present[:-1]:
        part = attrs[attrs["level"] == lv].sort_values("unique_id")
        for rec in part.itertuples(index=False):
            match = np.ones(len(bottom), dtype=bool)
            for k in LEVEL_KEYS[lv]:
                match &= (bottom[k] == getattr(rec, k)).to_numpy()
            rows.append(match)
            ids.append(rec.unique_id)
        tags[lv] = part["unique_id"].to_numpy()
    rows.extend(np.eye(len(bottom), dtype=bool))
    ids.extend(bottom["unique_id"])
    tags[bottom_level] = bottom["unique_id"].to_numpy()
    s = pd.DataFrame(np.array(rows, dtype=float).reshape(len(ids), len(bottom)),
                     columns=bottom["unique_id"].tolist())
    return pd.concat([pd.DataFrame({"unique_id": ids}), s], axis=1), tags


def _reconcile(base, fitted, s_df, tags, level, method):
    """Reconciled point and interval columns (forecast, lo_*, hi_*) and the method used."""
    cols = {"forecast": "forecast"} | {f"{side}_{lv}": f"forecast-{side}-{lv}"
                                       for lv in level for side in ("lo", "hi")}
    y_hat = base[["unique_id", "ds", *cols]].rename(columns=cols)
    y_df = fitted.rename(columns={"fitted": "forecast"})
    attempts = [(f"MinTrace({method})", lambda: MinTrace(method=method)),
                ("BottomUp", BottomUp)]
    why = ""
    for name, make in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rec = HierarchicalReconciliation([make()]).reconcile(
                    Y_hat_df=y_hat, Y_df=y_df, S_df=s_df, tags=tags, level=list(level))
            model_col = next(c for c in rec.columns if c.startswith("forecast/"))
            out = rec[["unique_id", "ds"]].copy()
            for ours, theirs in cols.items():
                out[ours] = rec[theirs.replace("forecast", model_col, 1)].to_numpy()
            if not np.isfinite(out[list(cols)].to_numpy(dtype=float)).all():
                raise FloatingPointError("non-finite reconciled values")
            return out, name, why
        except Exception as e:  # singular matrices and the like: fall back
            why += f"{name} failed ({type(e).__name__}: {e}); "
    # last resort: the base forecasts, which `_coherent` adds up from the bottom
    return base[["unique_id", "ds", *cols]], "BottomUp (base bottoms added up)", why


def _settled(fitted: pd.DataFrame, season_length: int) -> pd.DataFrame:
    """In-sample fitted values without each series' first season when it has over two: the
    models' warm-up (Theta's decomposition, ARIMA's differencing) is not their error."""
    g = fitted.groupby("unique_id")
    keep = (g.cumcount() >= season_length) | (g["ds"].transform("size") <= 2 * season_length)
    return fitted[keep]


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


def borrowed_profiles(series: pd.DataFrame, season_length: int = 12) -> pd.DataFrame:
    """The seasonal profiles (group, season, index) that short series borrow: per category
    and pooled, from the bottom-level series with `fm.SHORT_MONTHS` months or more. Computed
    once over the whole hierarchy and handed to every chunk's `base_forecasts`."""
    present = set(series["level"])
    bottom_level = [lv for lv in LEVELS if lv in present][-1]
    bottoms = _history(series[series["level"] == bottom_level])
    months = bottoms.groupby("unique_id")["ds"].transform("nunique")
    return fm.seasonal_profiles(bottoms[months >= fm.SHORT_MONTHS], season_length)


def base_forecasts(series_chunk: pd.DataFrame, h: int, end, profiles: pd.DataFrame,
                   season_length: int = 12, level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                   combination: tuple[str, ...] = fm.SMOOTH_MODELS) -> BaseForecasts:
    """Base forecasts (the expensive part) of some series of a `hierarchy_series` frame.

    Every series is forecast from its own history alone: the batch's common end month and
    the borrowed seasonal profiles are passed in (`end` = the hierarchy's last month,
    `profiles` = `borrowed_profiles`), so any split of the series into chunks gives the
    same numbers as one call on all of them.
    """
    fc, fitted, classes = forecasts_and_fitted(_history(series_chunk), h, season_length, level,
                                               n_jobs, profiles, end=end,
                                               combination=combination)
    return BaseForecasts(fc, fitted, classes)


def _joined(frames: list[pd.DataFrame], floats: list[str]) -> pd.DataFrame:
    """Chunks' frames as one, in one order (unique_id, ds) whatever the split."""
    frames = [f for f in frames if len(f)] or frames[:1]
    out = pd.concat(frames, ignore_index=True).sort_values(["unique_id", "ds"],
                                                            ignore_index=True)
    return out.astype(dict.fromkeys(floats, "float64"))


def reconciled_forecast(series: pd.DataFrame, h: int, season_length: int = 12,
                        level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                        method: str = "mint_shrink",
                        combination: tuple[str, ...] = fm.SMOOTH_MODELS) -> ReconciledForecast:
    """Forecast every series of a `hierarchy_series` frame (level, unique_id, region,
    category, sku, ds, y[, revenue]) `h` months ahead and reconcile them: `base_forecasts`
    of all the series at once, then `reconciled_from_base`."""
    base = base_forecasts(series, h, series["ds"].max(), borrowed_profiles(series, season_length),
                          season_length, level, n_jobs, combination)
    return reconciled_from_base(series, [base], season_length, level, method)


def reconciled_from_base(series: pd.DataFrame, bases: list[BaseForecasts],
                         season_length: int = 12, level: tuple[int, ...] = (80, 95),
                         method: str = "mint_shrink") -> ReconciledForecast:
    """The reconciled forecast of every series of `series` from their base forecasts,
    computed in one or several chunks (`bases`, together covering each series once).

    The forecast frame has FORECAST_COLUMNS plus snaive. `model` is the base model chosen
    for the series; revenue = bottom forecast x the bottom series' recent price (revenue /
    units over its last 3 months), added up the hierarchy like the units. Short series
    borrow their category's seasonal profile (the pooled one where there is no category).
    """
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
    flags = history_flags(_history(series), season_length=season_length)
    bottom_level = [lv for lv in LEVELS if lv in set(attrs["level"])][-1]
    model = classes.set_index("unique_id")["model"]
    s_df, tags = summing_matrix(attrs)
    live_bottom = [c for c in s_df.columns[1:] if model.get(c) != fm.ZERO]
    s_live = s_df[["unique_id", *live_bottom]]
    live = s_live[s_live[live_bottom].sum(axis=1) > 0]["unique_id"]
    notes = list(flag_notes(flags))
    method_used = "none"
    if live.empty:
        rec = base[["unique_id", "ds"]].assign(**{c: 0.0 for c in num})
    elif len(tags) == 1:
        rec = base[["unique_id", "ds", *num]]
    else:
        s_live = s_live[s_live["unique_id"].isin(live)].reset_index(drop=True)
        live_tags = {k: v[np.isin(v, live)] for k, v in tags.items()}
        live_tags = {k: v for k, v in live_tags.items() if len(v)}
        rec, method_used, why = _reconcile(
            base[base["unique_id"].isin(live)],
            _settled(fitted[fitted["unique_id"].isin(live)], season_length),
            s_live, live_tags, level, method)
        notes.append(f"{why}forecasts reconciled with {method_used} over "
                     f"{len(live)} series ({len(live_bottom)} at the {bottom_level} level)")
    out = _coherent(base, rec, s_df, num)
    out = out.merge(base[["unique_id", "ds", "snaive"]], on=["unique_id", "ds"])
    price = _prices(series)
    bottom_rev = out[out["unique_id"].isin(s_df.columns[1:])].assign(
        revenue=lambda f: f["forecast"] * f["unique_id"].map(price).fillna(0.0))
    rev = _aggregate(bottom_rev, s_df, "revenue")
    out = out.merge(rev, on=["unique_id", "ds"], how="left").fillna({"revenue": 0.0})
    out["model"] = out["unique_id"].map(model)
    out = out.merge(attrs, on="unique_id")
    out = out.sort_values(["level", "unique_id", "ds"], key=_level_order, ignore_index=True)
    return ReconciledForecast(out[[*FORECAST_COLUMNS, "snaive"]], method_used, flags,
                              tuple(notes))


def _level_order(col: pd.Series) -> pd.Series:
    return col.map({lv: i for i, lv in enumerate(LEVELS)}) if col.name == "level" else col


def _aggregate(bottom: pd.DataFrame, s_df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Every series' `col` as S @ bottom values, long (unique_id, ds, col)."""
    wide = bottom.pivot(index="unique_id", columns="ds", values=col)
    wide = wide.reindex(s_df.columns[1:]).fillna(0.0)
    total = s_df.iloc[:, 1:].to_numpy() @ wide.to_numpy()
    long = pd.DataFrame(total, index=s_df["unique_id"], columns=wide.columns).rename_axis(
        "unique_id").reset_index().melt(id_vars="unique_id", var_name="ds", value_name=col)
    return long.astype({"ds": "datetime64[ns]"})


def _coherent(base, rec, s_df, num):
    """Reconciled values for every series: bottoms clipped at 0, parents re-added from
    their bottoms; intervals clipped at 0 and widened to contain the point forecast."""
    full = base[["unique_id", "ds"]].merge(rec, on=["unique_id", "ds"], how="left")
    full[num] = full[num].fillna(0.0)  # dead series and parents of dead series only
    bottom = full[full["unique_id"].isin(s_df.columns[1:])].copy()
    bottom["forecast"] = bottom["forecast"].clip(lower=0.0)
    point = _aggregate(bottom, s_df, "forecast")
    out = full.drop(columns="forecast").merge(point, on=["unique_id", "ds"], how="left")
    out["forecast"] = out["forecast"].fillna(0.0).clip(lower=0.0)
    for col in num[1:]:
        out[col] = out[col].clip(lower=0.0)
        pick = np.minimum if col.startswith("lo") else np.maximum
        out[col] = pick(out[col], out["forecast"])
    return out[["unique_id", "ds", *num]]
