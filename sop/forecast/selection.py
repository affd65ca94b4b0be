"""Choice of model per series by a rolling-origin backtest.

`backtest_scores` runs statsforecast's cross-validation on the candidates (a few origins one
month apart; by default without refitting, each model is fitted at the first origin and run
forward) and scores every candidate per series by MASE at the horizons planning uses (`lags`),
scaled by the series' in-sample seasonal-naive MAE before the first origin.

`chosen_models` picks per series the single model or combination (median, or weighted by
inverse backtest error, of the top-k singles) with the lowest backtest MASE; a combination is
kept only where it beats the best single. With a group label per series, series that were not
backtested (too many in their group: a sample is) take their group's pooled choice; series too
short to backtest get no row (the caller keeps its rule).

`selected_forecasts` runs the chosen models on the full history and returns the forecast, the
one-step fitted values and the backtest forecasts of the chosen model at every origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import SeasonalNaive

from sop.forecast import candidates as fc_cand
from sop.forecast.models import z_value

LAGS: tuple[int, ...] = (1, 2, 3)
WINDOWS = 6
TOP_K = 3
MAX_PER_GROUP = 80  # series backtested per group; the others take the group's pooled choice
ARIMA_MAX_SERIES = 0  # AutoARIMA joins the candidates on lists no longer than this (it is
# slow: about 4 s a series of 18 years on one core; raise it for a few aggregate series)
PARALLEL_MIN_SERIES = 200
CHOICE_COLUMNS = ["unique_id", "model", "rule", "members", "weights", "mase", "best_single",
                  "best_single_mase", "why"]


def min_backtest_months(season_length: int, windows: int, horizon: int) -> int:
    """Months a series needs to be backtested: two seasons before the first origin."""
    return 2 * season_length + windows - 1 + horizon


def backtest_sample(clean: pd.DataFrame, groups: pd.Series | None, season_length: int,
                    windows: int = WINDOWS, lags: tuple[int, ...] = LAGS,
                    max_per_group: int = MAX_PER_GROUP) -> np.ndarray:
    """The ids to backtest: long enough, at most `max_per_group` per group (an even-spaced,
    deterministic pick of the sorted ids)."""
    n = clean.groupby("unique_id", sort=True).size()
    ids = n.index[n >= min_backtest_months(season_length, windows, max(lags))]
    key = (groups.reindex(ids).fillna("*") if groups is not None
           else pd.Series("*", index=ids))
    picked = []
    for _, part in key.groupby(key, sort=True):
        part_ids = np.sort(part.index.to_numpy())
        if len(part_ids) > max_per_group:
            part_ids = part_ids[np.linspace(0, len(part_ids) - 1, max_per_group).round().astype(int)]
        picked.append(part_ids)
    return np.concatenate(picked) if picked else np.array([], dtype=object)


def _scales(clean: pd.DataFrame, first_cutoff: pd.Series, season_length: int) -> pd.Series:
    """In-sample seasonal-naive MAE of each series up to its first origin (naive MAE, then
    mean |y|, then 1 where that is 0)."""
    train = clean[clean["ds"] <= clean["unique_id"].map(first_cutoff)]
    g = train.groupby("unique_id", sort=True)["y"]
    snaive = (train["y"] - g.shift(season_length)).abs().groupby(train["unique_id"]).mean()
    naive = (train["y"] - g.shift(1)).abs().groupby(train["unique_id"]).mean()
    level = train["y"].abs().groupby(train["unique_id"]).mean()
    scale = snaive.where(snaive > 0, naive).where(lambda s: s > 0, level)
    return scale.where(scale > 0, 1.0)


def backtest_scores(clean: pd.DataFrame, h: int, season_length: int, freq: str = "MS",
                    windows: int = WINDOWS, lags: tuple[int, ...] = LAGS, n_jobs: int = 1,
                    candidates: tuple[str, ...] | None = None,
                    refit: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, cv) of the series of `clean` (unique_id, ds, y; complete, long enough).

    cv: unique_id, cutoff, ds, y, lag and one column per candidate (the backtest forecasts,
    origins one period apart, `h` periods ahead). scores: unique_id, model, mase (mean
    absolute error at `lags` / the series' in-sample seasonal-naive MAE), mae, scale.
    Candidates default to the smooth family, with AutoARIMA on short lists; `refit` defaults
    to False when every candidate has a forward pass.
    """
    n_series = clean["unique_id"].nunique()
    if candidates is None:
        candidates = fc_cand.SMOOTH_CANDIDATES + (
            fc_cand.SLOW_CANDIDATES if n_series <= ARIMA_MAX_SERIES else ())
    if refit is None:
        refit = not set(candidates) <= fc_cand.WITH_INTERVALS
    sf = StatsForecast(models=fc_cand.statsforecast_models(candidates, season_length), freq=freq,
                       n_jobs=n_jobs if n_series >= PARALLEL_MIN_SERIES else 1,
                       fallback_model=SeasonalNaive(season_length))
    cv = sf.cross_validation(h=h, df=clean[["unique_id", "ds", "y"]], n_windows=windows,
                             step_size=1, refit=refit)
    cv = cv.sort_values(["unique_id", "cutoff", "ds"], ignore_index=True)
    cv["lag"] = cv.groupby(["unique_id", "cutoff"]).cumcount() + 1
    cv = cv[["unique_id", "cutoff", "ds", "y", "lag", *candidates]]
    scale = _scales(clean, cv.groupby("unique_id")["cutoff"].min(), season_length)
    at = cv[cv["lag"].isin(lags)]
    err = at[list(candidates)].sub(at["y"], axis=0).abs().groupby(at["unique_id"]).mean()
    scores = err.rename_axis("unique_id").reset_index().melt(
        "unique_id", var_name="model", value_name="mae")
    scores["scale"] = scores["unique_id"].map(scale)
    scores["mase"] = scores["mae"] / scores["scale"]
    return scores[["unique_id", "model", "mase", "mae", "scale"]], cv


def _spec_errors(cv_at: pd.DataFrame, scale: pd.Series, rule: str, members, weights):
    """MASE per series of one spec on the backtest rows."""
    values = fc_cand.combined_values(cv_at, rule, tuple(members), tuple(weights))
    err = pd.Series(np.abs(values - cv_at["y"].to_numpy()), index=cv_at.index)
    return err.groupby(cv_at["unique_id"]).mean() / scale


def _specs(ranked: pd.Series, top_k: int) -> list[tuple[str, tuple, tuple]]:
    """The single best and the combinations of the top-k (by ascending error)."""
    top = ranked.iloc[:top_k]
    specs = [("single", (ranked.index[0],), (1.0,))]
    if len(top) >= 2:
        specs.append(("median", tuple(top.index), ()))
        specs.append(("weighted", tuple(top.index), fc_cand.inverse_error_weights(top)))
    return specs


def _best(specs, errors: list, why: str) -> dict:
    single = errors[0]
    i = int(np.nanargmin(errors)) if np.any(np.isfinite(errors)) else 0
    if errors[i] >= single:  # a combination is kept only where it beats the best single
        i = 0
    rule, members, weights = specs[i]
    return {"model": fc_cand.spec_name(rule, members, weights), "rule": rule,
            "members": members, "weights": weights, "mase": errors[i],
            "best_single": specs[0][1][0], "best_single_mase": single, "why": why}


def chosen_models(scores: pd.DataFrame, cv: pd.DataFrame, groups: pd.Series | None = None,
                  lags: tuple[int, ...] = LAGS, top_k: int = TOP_K,
                  pool: bool = False) -> pd.DataFrame:
    """One row per series (see CHOICE_COLUMNS): the backtest choice of each scored series
    (its group's pooled choice when `pool`), and the pooled choice of its group for every
    series of `groups` (unique_id -> label) that was not scored."""
    at = cv[cv["lag"].isin(lags)]
    scale = scores.drop_duplicates("unique_id").set_index("unique_id")["scale"]
    table = scores.pivot(index="unique_id", columns="model", values="mase")
    rows = []
    label = (groups.reindex(table.index).fillna("*") if groups is not None
             else pd.Series("*", index=table.index))
    pooled = {}
    for key, ids in label.groupby(label, sort=True):
        ranked = table.loc[ids.index].mean().sort_values(kind="stable")
        specs = _specs(ranked, top_k)
        part = at[at["unique_id"].isin(ids.index)]
        errs = [_spec_errors(part, scale, *s).mean() for s in specs]
        pooled[key] = _best(specs, errs, f"pooled backtest of group {key} "
                                         f"({len(ids)} series)")
    for uid, row in table.iterrows():
        if pool:
            rows.append({"unique_id": uid, **pooled[label[uid]]})
            continue
        ranked = row.dropna().sort_values(kind="stable")
        specs = _specs(ranked, top_k)
        part = at[at["unique_id"] == uid]
        errs = [_spec_errors(part, scale, *s).get(uid, np.nan) for s in specs]
        rows.append({"unique_id": uid, **_best(specs, errs, "own backtest")})
    if groups is not None:
        rest = groups[~groups.index.isin(table.index)].fillna("*")
        for uid, key in rest.items():
            if key in pooled:
                rows.append({"unique_id": uid, **pooled[key], "mase": np.nan,
                             "why": pooled[key]["why"] + ", not backtested itself"})
    out = pd.DataFrame(rows, columns=CHOICE_COLUMNS)
    return out.sort_values("unique_id", ignore_index=True)


def chosen_values(frame: pd.DataFrame, choice: pd.DataFrame, suffix: str = "") -> np.ndarray:
    """Each row's value of its series' chosen model or combination, from the member columns
    (``<member><suffix>``) of `frame`; NaN for series without a choice."""
    out = np.full(len(frame), np.nan)
    spec = choice.set_index("unique_id")["model"]
    keyed = frame["unique_id"].map(spec)
    first = choice.drop_duplicates("model").set_index("model")
    for name, idx in keyed.groupby(keyed).groups.items():
        r = first.loc[name]
        pos = frame.index.get_indexer(idx)
        out[pos] = fc_cand.combined_values(frame.loc[idx], r["rule"], r["members"],
                                           r["weights"], suffix)
    return out


def selected_forecasts(clean: pd.DataFrame, choice: pd.DataFrame, h: int, season_length: int,
                       freq: str = "MS", level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                       cv: pd.DataFrame | None = None,
                       fitted: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(forecast, fitted, backtest) of the series of `choice` with their chosen models.

    forecast: unique_id, ds, forecast, lo_<lv>, hi_<lv>, model; fitted: unique_id, ds, y,
    fitted (one-step in-sample); backtest: unique_id, cutoff, ds, y, forecast (the chosen
    model at every origin of `cv`, empty without it). Intervals combine the members' like
    their forecasts; models without intervals get normal ones from the one-step residuals.
    """
    level = tuple(level)
    sets = choice.assign(key=choice["members"].map(lambda m: tuple(sorted(m))))
    fcs, fits = [], []
    for members, part in sets.groupby("key", sort=True):
        data = clean[clean["unique_id"].isin(part["unique_id"])][["unique_id", "ds", "y"]]
        native = set(members) <= fc_cand.WITH_INTERVALS
        sf = StatsForecast(models=fc_cand.statsforecast_models(members, season_length),
                           freq=freq, fallback_model=SeasonalNaive(season_length),
                           n_jobs=n_jobs if len(part) >= PARALLEL_MIN_SERIES else 1)
        raw = sf.forecast(df=data, h=h, level=list(level) if native and level else None,
                          fitted=True)
        raw_fit = sf.forecast_fitted_values().reset_index(drop=True)
        raw = raw.reset_index(drop=True)
        fc = raw[["unique_id", "ds"]].assign(forecast=chosen_values(raw, part))
        fit = raw_fit[["unique_id", "ds"]].assign(fitted=chosen_values(raw_fit, part))
        resid_sd = (raw_fit["y"] - fit["fitted"]).groupby(raw_fit["unique_id"]).std(ddof=1)
        for lv in level:
            if native:
                fc[f"lo_{lv}"] = chosen_values(raw, part, f"-lo-{lv}")
                fc[f"hi_{lv}"] = chosen_values(raw, part, f"-hi-{lv}")
            else:
                half = z_value(lv) * fc["unique_id"].map(resid_sd).fillna(fc["forecast"])
                fc[f"lo_{lv}"], fc[f"hi_{lv}"] = fc["forecast"] - half, fc["forecast"] + half
        fcs.append(fc)
        fits.append(fit)
    forecast = pd.concat(fcs, ignore_index=True)
    forecast["model"] = forecast["unique_id"].map(choice.set_index("unique_id")["model"])
    fit = pd.concat(fits, ignore_index=True)
    fitted_frame = clean[clean["unique_id"].isin(choice["unique_id"])][["unique_id", "ds", "y"]] \
        .merge(fit, on=["unique_id", "ds"], how="left") if fitted else fit.iloc[:0]
    backtest = pd.DataFrame(columns=["unique_id", "cutoff", "ds", "y", "forecast"])
    if cv is not None:
        mine = cv[cv["unique_id"].isin(choice["unique_id"])].reset_index(drop=True)
        mine = mine[mine["unique_id"].isin(choice.loc[choice["mase"].notna(), "unique_id"])]
        backtest = mine[["unique_id", "cutoff", "ds", "y"]].assign(
            forecast=chosen_values(mine, choice))
    return (forecast.sort_values(["unique_id", "ds"], ignore_index=True),
            fitted_frame.sort_values(["unique_id", "ds"], ignore_index=True),
            backtest.reset_index(drop=True))


def chosen_forecasts(clean: pd.DataFrame, groups: pd.Series | None, h: int, season_length: int,
                     freq: str = "MS", level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                     windows: int = WINDOWS, lags: tuple[int, ...] = LAGS,
                     pool: bool = False, max_per_group: int = MAX_PER_GROUP):
    """(forecast, fitted, choice, backtest) for the series of `clean` that can be backtested
    or pooled: `backtest_sample`, `backtest_scores`, `chosen_models`, `selected_forecasts`.
    Series missing from `choice` (too short, or a group without a backtested series) are
    left to the caller's rule."""
    ids = backtest_sample(clean, groups, season_length, windows, lags, max_per_group)
    if len(ids) == 0:
        return None, None, pd.DataFrame(columns=CHOICE_COLUMNS), None
    scores, cv = backtest_scores(clean[clean["unique_id"].isin(ids)], max(lags), season_length,
                                 freq, windows, lags, n_jobs)
    choice = chosen_models(scores, cv, groups, lags, pool=pool)
    fc, fit, backtest = selected_forecasts(clean[clean["unique_id"].isin(choice["unique_id"])],
                                           choice, h, season_length, freq, level, n_jobs, cv)
    return fc, fit, choice, backtest
