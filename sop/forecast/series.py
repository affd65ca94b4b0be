"""Rolling forecast in statsforecast's long format (unique_id, ds, y).

`forecast_series` is the entry point: it cleans the history (stated rules, reported by
`history_flags`), chooses a model per series (`sop.forecast.models.demand_classes`), runs it
and returns new frames; inputs are never mutated.

Cleaning rules, each reported as a flag per series (see `FLAG_RULES`):
rows without a unique_id or a parseable month are dropped; missing values are read as 0;
negative values are clipped to 0; days are moved to their month start and several rows of
one month are summed; every series runs monthly from its first row to the common end (the
latest month in the frame, or `end`) with months without a row filled with 0; rows after
`end` are ignored.

Calendars (`freq`, see `sop.forecast.calendar`): monthly ("MS", the default), quarterly
("QS") or weekly ("W-MON"). The rules above then read in the series' periods: dates move
to the start of their quarter or to the Monday of their week, several rows of one period
are summed, periods without a row are filled with 0, and the forecast dates are the next
quarter starts or Mondays. The season length defaults to the frequency's (12, 4, 52), and
the short-history and dead-series spans are the same spans of time in periods (two years;
half a year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import ADIDA, AutoARIMA, AutoCES, AutoETS, AutoTheta, CrostonSBA
from statsforecast.models import SeasonalNaive as SNaiveModel

from sop.forecast import calendar as cal
from sop.forecast import models as fm
from sop.forecast import selection as sel

FLAG_RULES: dict[str, str] = {
    "dropped_key": "rows without a unique_id or a valid month were dropped",
    "missing_value": "missing values were read as 0 (no recorded sales)",
    "negative_value": "negative values (returns above sales) were clipped to 0",
    "duplicate_month": "several rows of one month were summed",
    "gap_filled": "months without a row were filled with 0 (no sales)",
    "after_end": "rows after the forecast origin were ignored",
    "short_history": f"under {fm.SHORT_MONTHS} months of history, so recent level x the "
                     "group's seasonal profile",
    "zero": "no sales at all, or none in the recent months, so forecast 0",
}
FLAG_COLUMNS = ("unique_id", "flag", "rows")
# statsforecast's `n_jobs` worker processes are used from this many series on
PARALLEL_MIN_SERIES = 200


def _flag(counts: pd.Series, flag: str) -> pd.DataFrame:
    counts = counts[counts > 0]
    return pd.DataFrame({"unique_id": counts.index, "flag": flag, "rows": counts.to_numpy()})


def clean_history(history: pd.DataFrame, end=None,
                  freq: str = cal.MONTHLY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clean, flags): complete series of `freq` periods (unique_id, ds, y[, group]) sorted
    by unique_id and ds, and one flag row per series and rule applied (unique_id, flag, rows)."""
    cal.checked_freq(freq)
    cols = ["unique_id", "ds", "y"] + (["group"] if "group" in history.columns else [])
    h = history[cols].copy()
    h["ds"] = pd.to_datetime(h["ds"], errors="coerce")
    bad = h["unique_id"].isna() | h["ds"].isna()
    flags = [pd.DataFrame({"unique_id": ["(missing)"], "flag": "dropped_key",
                           "rows": [int(bad.sum())]})] if bad.any() else []
    h = h[~bad]
    h["y"] = pd.to_numeric(h["y"], errors="coerce")
    flags.append(_flag(h["y"].isna().groupby(h["unique_id"]).sum(), "missing_value"))
    flags.append(_flag((h["y"] < 0).groupby(h["unique_id"]).sum(), "negative_value"))
    h["y"] = h["y"].fillna(0.0).clip(lower=0.0).astype("float64")
    h["ds"] = cal.period_starts(h["ds"], freq)
    dup = h.duplicated(["unique_id", "ds"], keep=False)
    flags.append(_flag(dup.groupby(h["unique_id"]).sum(), "duplicate_month"))
    groups = h.groupby("unique_id")["group"].first() if "group" in h.columns else None
    h = h.groupby(["unique_id", "ds"], as_index=False, sort=True)["y"].sum()
    end = cal.period_start(end, freq) if end is not None else h["ds"].max()
    after = h["ds"] > end
    flags.append(_flag(after.groupby(h["unique_id"]).sum(), "after_end"))
    h = h[~after]
    firsts = h.groupby("unique_id", sort=True)["ds"].min()
    if firsts.empty:
        clean = pd.DataFrame({"unique_id": pd.Series(dtype=object),
                              "ds": pd.Series(dtype="datetime64[ns]"), "y": pd.Series(dtype=float)})
    else:
        start = cal.period_numbers(firsts, freq)
        n = cal.period_numbers([end], freq).item() - start + 1
        uid = np.repeat(firsts.index.to_numpy(), n)
        m = np.repeat(start, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        grid = pd.DataFrame({"unique_id": uid, "ds": cal.period_dates(m, freq)})
        clean = grid.merge(h, on=["unique_id", "ds"], how="left")
        flags.append(_flag(clean["y"].isna().groupby(clean["unique_id"]).sum(), "gap_filled"))
        clean["y"] = clean["y"].fillna(0.0)
    if groups is not None:
        clean["group"] = clean["unique_id"].map(groups)
    flags = pd.concat([f for f in flags if not f.empty] or [pd.DataFrame(columns=FLAG_COLUMNS)],
                      ignore_index=True)
    return clean, flags.astype({"rows": int})


def history_flags(history: pd.DataFrame, end=None, season_length: int | None = None,
                  freq: str = cal.MONTHLY) -> pd.DataFrame:
    """Every cleaning rule applied and every short or zero series (unique_id, flag, rows);
    `season_length` defaults to the frequency's."""
    season_length = season_length or cal.default_season_length(freq)
    clean, flags = clean_history(history, end, freq)
    if clean.empty:
        return flags
    cls = fm.demand_classes(clean, season_length, freq=freq)
    model = cls.set_index("unique_id")["model"]
    n_obs = cls.set_index("unique_id")["n_obs"]
    extra = [_flag(n_obs[model == fm.PROFILE], "short_history"),
             _flag(n_obs[model == fm.ZERO], "zero")]
    return pd.concat([flags, *extra], ignore_index=True).astype({"rows": int})


def flag_notes(flags: pd.DataFrame) -> list[str]:
    """One readable line per rule applied, for the run's data-quality notes."""
    notes = []
    for flag, part in flags.groupby("flag", sort=False):
        ids = part["unique_id"].astype(str).tolist()
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        notes.append(f"{FLAG_RULES.get(flag, flag)}: {len(ids)} series ({shown})")
    return notes


_SF_MODELS = {
    "AutoETS": lambda s: AutoETS(season_length=s), "AutoTheta": lambda s: AutoTheta(season_length=s),
    "AutoARIMA": lambda s: AutoARIMA(season_length=s),
    "AutoCES": lambda s: AutoCES(season_length=s, alias="AutoCES"),
}


def _run(clean, models, h, level, n_jobs, fitted, season_length, freq=cal.MONTHLY):
    if clean["unique_id"].nunique() < PARALLEL_MIN_SERIES:
        n_jobs = 1  # a process pool costs more than it saves on a few series
    sf = StatsForecast(models=models, freq=freq, n_jobs=n_jobs,
                       fallback_model=SNaiveModel(season_length))
    fc = sf.forecast(df=clean[["unique_id", "ds", "y"]], h=h, level=list(level) or None,
                     fitted=fitted)
    return fc, (sf.forecast_fitted_values() if fitted else None)


def _combination(clean, members, h, level, n_jobs, fitted, season_length, freq=cal.MONTHLY):
    fc, fit = _run(clean, [_SF_MODELS[m](season_length) for m in members], h, level, n_jobs,
                   fitted, season_length, freq)
    out = fc[["unique_id", "ds"]].assign(forecast=fc[list(members)].mean(axis=1))
    for lv in level:
        for side in ("lo", "hi"):
            out[f"{side}_{lv}"] = fc[[f"{m}-{side}-{lv}" for m in members]].mean(axis=1)
    fits = fit[["unique_id", "ds"]].assign(fitted=fit[list(members)].mean(axis=1)) \
        if fitted else None
    return out, fits


def _intermittent(clean, chosen, h, level, n_jobs, freq=cal.MONTHLY):
    """CrostonSBA or ADIDA per series; normal intervals from the one-step residual spread."""
    fc, fit = _run(clean, [CrostonSBA(), ADIDA()], h, (), n_jobs, True, 1, freq)
    pick_fc = fc["unique_id"].map(chosen).to_numpy()
    pick_fit = fit["unique_id"].map(chosen).to_numpy()
    out = fc[["unique_id", "ds"]].assign(
        forecast=np.where(pick_fc == "CrostonSBA", fc["CrostonSBA"], fc["ADIDA"]))
    fits = fit[["unique_id", "ds"]].assign(
        fitted=np.where(pick_fit == "CrostonSBA", fit["CrostonSBA"], fit["ADIDA"]))
    resid = (fit["y"] - fits["fitted"]).groupby(fit["unique_id"])
    sigma = out["unique_id"].map(resid.std(ddof=1)).fillna(out["forecast"]).to_numpy()
    for lv in level:
        out[f"lo_{lv}"] = out["forecast"] - fm.z_value(lv) * sigma
        out[f"hi_{lv}"] = out["forecast"] + fm.z_value(lv) * sigma
    return out, fits


def _periodic(clean, future, level, season_length):
    out = fm.snaive_values(clean, future, season_length).rename(columns={"snaive": "forecast"})
    for lv in level:
        out[f"lo_{lv}"] = out["forecast"]
        out[f"hi_{lv}"] = out["forecast"]
    fits = clean[["unique_id", "ds"]].assign(
        fitted=clean.groupby("unique_id")["y"].shift(season_length))
    return out, fits


def _pool_groups(clean: pd.DataFrame, classes: pd.DataFrame) -> pd.Series:
    """unique_id -> demand class, and the series' group where `clean` has one."""
    label = classes.set_index("unique_id")["demand_class"].astype(str)
    label = label[label.index.isin(clean["unique_id"])]
    if "group" in clean.columns:
        group = clean.groupby("unique_id")["group"].first().astype(str)
        label = label + "|" + label.index.map(group).fillna("*")
    return label


def forecasts_and_fitted(history: pd.DataFrame, h: int, season_length: int | None = None,
                         level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                         profiles: pd.DataFrame | None = None, end=None,
                         combination: tuple[str, ...] = fm.SMOOTH_MODELS,
                         fitted: bool = True, freq: str = cal.MONTHLY, choose: bool = False,
                         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(forecast, fitted, classes): `forecast_series`'s frame, the in-sample one-step fitted
    values (unique_id, ds, y, fitted; NaN where a model has none; 0 for Zero series) and
    `demand_classes` of the cleaned series. With `choose`, smooth and erratic series long
    enough get the model or combination their backtest chooses (`sop.forecast.selection`,
    pooled per demand class and group); the others keep the mean of `combination`."""
    season_length = season_length or cal.default_season_length(freq)
    level = tuple(sorted(int(lv) for lv in level))
    num = ["forecast"] + [f"{s}_{lv}" for lv in level for s in ("lo", "hi")]
    clean, _ = clean_history(history, end, freq)
    if clean.empty:
        return (pd.DataFrame(columns=["unique_id", "ds", *num, "model", "snaive"]),
                pd.DataFrame(columns=["unique_id", "ds", "y", "fitted"]), pd.DataFrame())
    end = clean["ds"].max()
    future = cal.future_periods(end, h, freq)
    classes = fm.demand_classes(clean, season_length, combination, freq)
    model = classes.set_index("unique_id")["model"]
    by_model = clean["unique_id"].map(model)
    parts, fits = [], []
    smooth = clean[by_model == fm.combination_name(combination)]
    if choose and not smooth.empty:
        fc, fit, choice, _ = sel.chosen_forecasts(smooth, _pool_groups(smooth, classes), h,
                                                  season_length, freq, level, n_jobs)
        if len(choice):
            parts.append(fc)
            fits.append(fit)
            model = model.where(~model.index.isin(choice["unique_id"]),
                                model.index.map(choice.set_index("unique_id")["model"]))
            smooth = smooth[~smooth["unique_id"].isin(choice["unique_id"])]
    if not smooth.empty:
        fc, fit = _combination(smooth, combination, h, level, n_jobs, fitted, season_length,
                               freq)
        parts.append(fc)
        fits.append(fit)
    sparse = clean[by_model.isin(fm.INTERMITTENT_MODEL.values())]
    if not sparse.empty:
        fc, fit = _intermittent(sparse, model, h, level, n_jobs, freq)
        parts.append(fc)
        fits.append(fit)
    periodic = clean[by_model == fm.PERIODIC]
    if not periodic.empty:
        fc, fit = _periodic(periodic, future, level, season_length)
        parts.append(fc)
        fits.append(fit)
    short = clean[by_model == fm.PROFILE]
    if not short.empty:
        if profiles is None:  # from the series long enough to have a profile of their own
            profiles = fm.seasonal_profiles(clean[by_model != fm.PROFILE], season_length, freq)
        groups = clean.groupby("unique_id")["group"].first() if "group" in clean.columns \
            else pd.Series(dtype=object)
        fc, fit = fm.profile_forecasts(short, groups, profiles, future, level, season_length,
                                       freq)
        parts.append(fc)
        fits.append(fit)
    zero_ids = model.index[model == fm.ZERO]
    if len(zero_ids):
        parts.append(fm.zero_forecasts(zero_ids, future, level))
    out = pd.concat(parts, ignore_index=True)
    out = out.merge(fm.snaive_values(clean, future, season_length), on=["unique_id", "ds"])
    out["model"] = out["unique_id"].map(model)
    out["forecast"] = out["forecast"].fillna(out["snaive"])
    for col in num[1:]:
        out[col] = out[col].fillna(out["forecast"])
    out[num + ["snaive"]] = out[num + ["snaive"]].clip(lower=0.0)
    for lv in level:
        out[f"lo_{lv}"] = np.minimum(out[f"lo_{lv}"], out["forecast"])
        out[f"hi_{lv}"] = np.maximum(out[f"hi_{lv}"], out["forecast"])
    out = out.sort_values(["unique_id", "ds"], ignore_index=True)
    fit_cols = ["unique_id", "ds", "fitted"]
    fitted_frame = clean[["unique_id", "ds", "y"]].merge(
        pd.concat([f[fit_cols] for f in fits if f is not None] or
                  [pd.DataFrame(columns=fit_cols)], ignore_index=True),
        on=["unique_id", "ds"], how="left") if fitted else pd.DataFrame(columns=fit_cols)
    if fitted and len(zero_ids):  # the Zero model's one-step forecast is 0
        is_zero = fitted_frame["unique_id"].isin(zero_ids)
        fitted_frame.loc[is_zero, "fitted"] = 0.0
    return out[["unique_id", "ds", *num, "model", "snaive"]], fitted_frame, classes


def forecast_series(history: pd.DataFrame, h: int, season_length: int | None = None,
                    level: tuple[int, ...] = (80, 95), n_jobs: int = 1,
                    profiles: pd.DataFrame | None = None, end=None,
                    combination: tuple[str, ...] = fm.SMOOTH_MODELS,
                    freq: str = cal.MONTHLY, choose: bool = False) -> pd.DataFrame:
    """Forecast every series of `history` (unique_id, ds, y[, group]) `h` periods of `freq`
    (months by default; "QS" quarters, "W-MON" weeks) ahead; `season_length` defaults to
    the frequency's (12, 4, 52).

    Returns a new frame: unique_id, ds, forecast, lo_<level>, hi_<level> for each level,
    model (the model chosen for the series) and snaive (the seasonal-naive benchmark). No
    value is NaN or negative. Short series borrow the seasonal profile of their `group` (a
    column of `history`, e.g. the category; the pooled profile when absent); pass `profiles`
    (group, season, index; see `seasonal_profiles`) to borrow from elsewhere. Every series
    ends at `end` (default: the latest month in `history`). `n_jobs` goes to statsforecast;
    `combination` names the models averaged for smooth and erratic series (any of AutoETS,
    AutoTheta, AutoARIMA, AutoCES) for the series `choose` leaves to the rule (see
    `forecasts_and_fitted`). Cleaning rules: see the module docstring and
    `history_flags`, which lists what they changed.
    """
    fc, _, _ = forecasts_and_fitted(history, h, season_length, level, n_jobs, profiles, end,
                                    combination, fitted=False, freq=freq, choose=choose)
    return fc
