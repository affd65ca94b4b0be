"""The hierarchical forecast: every level forecast, reconciled, and split to customers.

Levels are those of `sop.demand` (total, category, region, category_region, sku_region);
the deepest level present in the series frame is the bottom, every other series is the sum
of the bottom series that share its keys (so the structure is grouped, not a tree).

Reconciliation: hierarchicalforecast's MinTrace (default `mint_shrink`, on the in-sample
one-step residuals after each series' first season, the models' warm-up), falling back to BottomUp when MinTrace fails or returns non-finite
values. Bottom series forecast as Zero (dead) are taken out of the reconciliation: they stay 0
and add 0 to their parents. After reconciling, negative bottom values are set to 0 and every
parent is re-added from its bottoms, so the result stays coherent: children sum to parents.
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
from sop.forecast import flag_notes, forecast_series, forecasts_and_fitted, history_flags
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


def reconciled_forecast(series: pd.DataFrame, h: int, season_length: int = 12,
                        level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                        method: str = "mint_shrink",
                        combination: tuple[str, ...] = fm.SMOOTH_MODELS) -> ReconciledForecast:
    """Forecast every series of a `hierarchy_series` frame (level, unique_id, region,
    category, sku, ds, y[, revenue]) `h` months ahead and reconcile them.

    The forecast frame has FORECAST_COLUMNS plus snaive. `model` is the base model chosen
    for the series; revenue = bottom forecast x the bottom series' recent price (revenue /
    units over its last 3 months), added up the hierarchy like the units. Short series
    borrow their category's seasonal profile (the pooled one where there is no category).
    """
    level = tuple(sorted(int(lv) for lv in level))
    attrs = series.drop_duplicates("unique_id")[["unique_id", *ATTRS]]
    hist = series[["unique_id", "ds", "y"]].assign(group=series["category"])
    flags = history_flags(hist, season_length=season_length)
    bottom_level = [lv for lv in LEVELS if lv in set(attrs["level"])][-1]
    bottoms = hist[series["level"] == bottom_level]
    months = bottoms.groupby("unique_id")["ds"].transform("nunique")
    profiles = fm.seasonal_profiles(bottoms[months >= fm.SHORT_MONTHS], season_length)
    base, fitted, classes = forecasts_and_fitted(hist, h, season_length, level, n_jobs,
                                                 profiles, combination=combination)
    model = classes.set_index("unique_id")["model"]
    s_df, tags = summing_matrix(attrs)
    live_bottom = [c for c in s_df.columns[1:] if model.get(c) != fm.ZERO]
    s_live = s_df[["unique_id", *live_bottom]]
    live = s_live[s_live[live_bottom].sum(axis=1) > 0]["unique_id"]
    notes = list(flag_notes(flags))
    num = ["forecast"] + [f"{s}_{lv}" for lv in level for s in ("lo", "hi")]
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


def customer_allocation(forecast: pd.DataFrame, monthly: pd.DataFrame,
                        key_accounts: tuple[str, ...] | list[str] = (), months: int = 12,
                        n_jobs: int = 1) -> pd.DataFrame:
    """Split the sku x region forecast to customers (ds, region, category, sku, customer_id,
    forecast, revenue, basis), summing back exactly to each sku x region forecast.

    Shares: each customer's units over the trailing `months` months of `monthly` (ds, region,
    category, sku, customer_id, qty) within its sku x region (all history when the trailing
    window sold nothing). Key accounts are forecast directly (`forecast_series` on their own
    sku x region x customer history) and the rest goes to the other customers by share; key
    accounts are scaled down when they exceed the parent and take the whole parent when no
    other customer has a share. A parent with no customer history goes to "(unallocated)".
    Revenue is split like the units.
    """
    parent = forecast[forecast["level"] == "sku_region"][
        ["region", "category", "sku", "ds", "forecast", "revenue"]]
    end = monthly["ds"].max()
    keys = ["sku", "region"]
    recent = monthly[monthly["ds"] > end - pd.DateOffset(months=months)]
    shares = _shares(recent, keys)
    older = _shares(monthly, keys)
    older = older[~older.set_index(keys).index.isin(shares.set_index(keys).index)]
    shares = pd.concat([shares, older], ignore_index=True)
    key_set = set(key_accounts)
    direct = pd.DataFrame(columns=[*keys, "customer_id", "ds", "key_fc"])
    key_hist = monthly[monthly["customer_id"].isin(key_set)]
    if not key_hist.empty:
        uid = key_hist["sku"] + "|" + key_hist["region"] + "|" + key_hist["customer_id"]
        fc = forecast_series(key_hist.assign(unique_id=uid, y=key_hist["qty"]),
                             h=parent["ds"].nunique(), n_jobs=n_jobs, end=end)
        direct = fc["unique_id"].str.split("|", expand=True).set_axis(
            [*keys, "customer_id"], axis=1).assign(ds=fc["ds"], key_fc=fc["forecast"])
    cells = parent.merge(shares, on=keys, how="left").merge(
        direct, on=[*keys, "customer_id", "ds"], how="left")
    cells["customer_id"] = cells["customer_id"].fillna("(unallocated)")
    cells["share"] = cells["share"].fillna(1.0)
    is_key = cells["customer_id"].isin(key_set).to_numpy()
    by = [cells[k] for k in [*keys, "ds"]]
    total = lambda v: pd.Series(v, index=cells.index).groupby(by).transform("sum")  # noqa: E731
    parent_fc = cells["forecast"].to_numpy()
    share = cells["share"].to_numpy()
    key_fc = np.where(is_key, pd.to_numeric(cells["key_fc"]).fillna(0.0).to_numpy(), 0.0)
    key_sum, key_share = total(key_fc).to_numpy(), total(np.where(is_key, share, 0.0)).to_numpy()
    other_share = total(np.where(is_key, 0.0, share)).to_numpy()
    has_other = other_share > 0
    scale = _div(parent_fc, key_sum)
    key_part = np.where(key_sum > 0, key_fc * np.where(has_other, np.minimum(1.0, scale), scale),
                        np.where(has_other, 0.0, parent_fc * _div(share, key_share)))
    key_part = np.where(is_key, key_part, 0.0)
    rest = parent_fc - total(key_part).to_numpy()
    qty = np.where(is_key, key_part, rest * _div(share, other_share))
    price = _div(cells["revenue"].to_numpy(), parent_fc)
    out = cells.assign(forecast=qty, revenue=qty * price,
                       basis=np.where(is_key, "key_account", np.where(
                           cells["customer_id"] == "(unallocated)", "unallocated", "share")))
    return out[["ds", "region", "category", "sku", "customer_id", "forecast", "revenue",
                "basis"]].sort_values(["ds", "region", "sku", "customer_id"], ignore_index=True)


def _shares(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    units = frame.groupby([*keys, "customer_id"], as_index=False)["qty"].sum()
    units = units[units["qty"] > 0]
    units["share"] = units["qty"] / units.groupby(keys)["qty"].transform("sum")
    return units[[*keys, "customer_id", "share"]]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, 0 where b is 0."""
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)
