"""Per-series model choice for the rolling forecast, and the small models statsforecast lacks.

`demand_classes` decides, every cycle and from the cleaned series itself, which model
forecasts each series (first matching rule wins):

1. ``Zero``: no positive value at all, or a trailing run of zeros of at least
   `DEAD_MONTHS` months that is also at least twice the series' usual interval between
   sales (so a lumpy series that sells every four months is not declared dead).
2. ``Level*Profile``: under `SHORT_MONTHS` months from the first observation. The level is
   the mean of the last (up to) six deseasonalised months; the seasonal profile is borrowed
   from the series' group (see `seasonal_profiles`).
3. ``SeasonalNaive``: the last two seasons repeat exactly (a noiseless periodic series).
4. Syntetos-Boylan classes on the non-zero demands, ADI = months since the first sale /
   months with a sale, CV2 = squared coefficient of variation of the non-zero sizes:
   ``intermittent`` (ADI >= 1.32, CV2 < 0.49) -> ``CrostonSBA``;
   ``lumpy`` (ADI >= 1.32, CV2 >= 0.49) -> ``ADIDA``;
   ``smooth`` / ``erratic`` (ADI < 1.32) -> the mean of AutoETS and AutoTheta.

The spans are stated in months for monthly series (`freq="MS"`); for quarterly or weekly
series they are the same spans of time in periods (`sop.forecast.calendar.periods_in`):
a short history is under two years (24 months, 8 quarters, 104 weeks), a series is dead
after half a year without sales (6 months, 2 quarters, 26 weeks) and a short series' level
is the mean of its last half year. ADI counts periods.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from sop.forecast import calendar as cal

ADI_CUT = 1.32
CV2_CUT = 0.49
SHORT_MONTHS = 24
DEAD_MONTHS = 6
RECENT_MONTHS = 6  # months averaged for the level of a short series
POOLED = "*"  # profile group used when a series has no group, or its group has no profile
SMOOTH_MODELS: tuple[str, ...] = ("AutoETS", "AutoTheta")
ZERO, PROFILE, PERIODIC = "Zero", "Level*Profile", "SeasonalNaive"
INTERMITTENT_MODEL = {"intermittent": "CrostonSBA", "lumpy": "ADIDA"}


def z_value(lv: int) -> float:
    """The standard normal quantile of a central `lv`% interval."""
    return NormalDist().inv_cdf(0.5 + lv / 200.0)


def combination_name(members: tuple[str, ...]) -> str:
    return "+".join(members)


def demand_classes(clean: pd.DataFrame, season_length: int = 12,
                   combination: tuple[str, ...] = SMOOTH_MODELS,
                   freq: str = cal.MONTHLY) -> pd.DataFrame:
    """One row per series of a cleaned frame (unique_id, ds, y; complete periods of `freq`,
    sorted): n_obs, n_sales, adi, cv2, trailing_zeros, demand_class and the chosen `model`."""
    uid = clean["unique_id"]
    y = clean["y"].to_numpy()
    g = clean.groupby("unique_id", sort=False)
    pos = g.cumcount()
    sale = pd.Series(y > 0, index=clean.index)
    out = pd.DataFrame({"n_obs": g.size()})
    out["n_sales"] = sale.groupby(uid, sort=False).sum().astype(int)
    first = pos.where(sale).groupby(uid, sort=False).min()
    last = pos.where(sale).groupby(uid, sort=False).max()
    sizes = pd.Series(np.where(y > 0, y, np.nan), index=clean.index).groupby(uid, sort=False)
    mean, var = sizes.mean(), sizes.var(ddof=0)
    n_sales = out["n_sales"].replace(0, np.nan)
    out["adi"] = ((out["n_obs"] - first) / n_sales).fillna(np.inf)
    out["cv2"] = (var / mean**2).fillna(0.0)
    out["trailing_zeros"] = (out["n_obs"] - 1 - last).fillna(out["n_obs"]).astype(int)
    interval = ((last - first + 1) / n_sales).fillna(np.inf)
    dead = (out["n_sales"] == 0) | ((out["trailing_zeros"] >= cal.periods_in(DEAD_MONTHS, freq))
                                    & (out["trailing_zeros"] >= 2 * interval))
    lagged = g["y"].shift(season_length)
    in_last = g.cumcount(ascending=False) < season_length
    same = (clean["y"] - lagged).abs() <= 1e-9 * (1.0 + clean["y"].abs())
    periodic = (same | ~in_last).groupby(uid, sort=False).all() & (out["n_obs"] >= 2 * season_length)
    sb = np.where(out["adi"] >= ADI_CUT,
                  np.where(out["cv2"] >= CV2_CUT, "lumpy", "intermittent"),
                  np.where(out["cv2"] >= CV2_CUT, "erratic", "smooth"))
    out["demand_class"] = np.where(dead, "zero", sb)
    smooth_model = combination_name(combination)
    out["model"] = np.select(
        [dead, out["n_obs"] < cal.periods_in(SHORT_MONTHS, freq), periodic,
         out["demand_class"] == "intermittent", out["demand_class"] == "lumpy"],
        [ZERO, PROFILE, PERIODIC, INTERMITTENT_MODEL["intermittent"], INTERMITTENT_MODEL["lumpy"]],
        default=smooth_model)
    return out.rename_axis("unique_id").reset_index()


def _season_pos(ds: pd.Series, season_length: int, freq: str = cal.MONTHLY) -> np.ndarray:
    return cal.season_positions(ds, season_length, freq)


def _indices(values: np.ndarray, season_pos: np.ndarray, season_length: int) -> np.ndarray | None:
    """Ratio-to-centred-moving-average seasonal indices (mean 1), or None if too short."""
    if len(values) < 2 * season_length or values.sum() <= 0:
        return None
    s = pd.Series(values, dtype="float64")
    ma = s.rolling(season_length).mean().rolling(2).mean().shift(-(season_length // 2))
    ratio = (s / ma.where(ma > 0)).to_numpy()
    idx = np.ones(season_length)
    for p in range(season_length):
        r = ratio[(season_pos == p) & ~np.isnan(ratio)]
        if len(r):
            idx[p] = r.mean()
    idx = np.clip(idx, 0.05, None)
    return idx / idx.mean()


def seasonal_profiles(history: pd.DataFrame, season_length: int = 12,
                      freq: str = cal.MONTHLY) -> pd.DataFrame:
    """Seasonal indices (group, season, index) from the summed history of each group.

    `history` has unique_id, ds (period starts of `freq`), y and optionally `group` (e.g.
    the category). Every group
    whose summed series spans two seasons gets its indices; the pooled profile (group "*")
    comes from all series summed and is flat (all 1) when even that is too short.
    """
    h = history.assign(y=pd.to_numeric(history["y"], errors="coerce").fillna(0.0).clip(lower=0))
    groups = {POOLED: h.groupby("ds", as_index=False)["y"].sum()}
    if "group" in h.columns:
        gh = h[h["group"].notna()]
        for key, part in gh.groupby("group", sort=True):
            groups[key] = part.groupby("ds", as_index=False)["y"].sum()
    rows = []
    for key, summed in groups.items():
        if summed.empty:
            continue
        full = summed.set_index("ds")["y"].asfreq(freq, fill_value=0.0)
        idx = _indices(full.to_numpy(),
                       _season_pos(full.index.to_series(), season_length, freq), season_length)
        if idx is None and key == POOLED:
            idx = np.ones(season_length)
        if idx is not None:
            rows.append(pd.DataFrame({"group": key, "season": range(season_length), "index": idx}))
    if not rows:
        rows.append(pd.DataFrame({"group": POOLED, "season": range(season_length),
                                  "index": 1.0}))
    return pd.concat(rows, ignore_index=True)


def _profile_for(profiles: pd.DataFrame, group, season_length: int) -> np.ndarray:
    key = group if group is not None and not pd.isna(group) else POOLED
    part = profiles[profiles["group"] == key]
    if part.empty:
        part = profiles[profiles["group"] == POOLED]
    if part.empty:
        return np.ones(season_length)
    return part.sort_values("season")["index"].to_numpy(dtype=float)


def profile_forecasts(clean: pd.DataFrame, groups: pd.Series, profiles: pd.DataFrame,
                      future: pd.DatetimeIndex, level: tuple[int, ...],
                      season_length: int = 12,
                      freq: str = cal.MONTHLY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Level x borrowed seasonal profile for short series: (forecast rows, fitted rows).

    Intervals: normal, with the spread of the deseasonalised months around the level
    (100% of the level when there are under three months), widening with sqrt(step).
    """
    fut_pos = _season_pos(future.to_series(), season_length, freq)
    recent = cal.periods_in(RECENT_MONTHS, freq)
    steps = np.sqrt(np.arange(1, len(future) + 1))
    fcs, fits = [], []
    for uid, part in clean.groupby("unique_id", sort=False):
        idx = _profile_for(profiles, groups.get(uid), season_length)
        y = part["y"].to_numpy(dtype=float)
        hist_idx = idx[_season_pos(part["ds"], season_length, freq)]
        d = y / hist_idx
        lvl = d[-recent:].mean()
        sd = d[-recent:].std(ddof=1) if len(d) >= 3 else lvl
        mean = lvl * idx[fut_pos]
        row = {"unique_id": uid, "ds": future, "forecast": mean}
        for lv in level:
            half = z_value(lv) * sd * idx[fut_pos] * steps
            row[f"lo_{lv}"], row[f"hi_{lv}"] = mean - half, mean + half
        fcs.append(pd.DataFrame(row))
        prior = pd.Series(d).rolling(recent, min_periods=1).mean().shift(1).to_numpy()
        fits.append(pd.DataFrame({"unique_id": uid, "ds": part["ds"].to_numpy(),
                                  "fitted": prior * hist_idx}))
    return _concat(fcs), _concat(fits)


def zero_forecasts(ids, future: pd.DatetimeIndex, level: tuple[int, ...]) -> pd.DataFrame:
    n = len(future)
    ids = list(ids)
    out = pd.DataFrame({"unique_id": np.repeat(ids, n), "ds": np.tile(future, len(ids)),
                        "forecast": 0.0})
    for lv in level:
        out[f"lo_{lv}"] = 0.0
        out[f"hi_{lv}"] = 0.0
    return out


def snaive_values(clean: pd.DataFrame, future: pd.DatetimeIndex,
                  season_length: int = 12) -> pd.DataFrame:
    """Seasonal naive for every series (last season repeated); naive (last value repeated)
    for series shorter than one season."""
    g = clean.groupby("unique_id", sort=False)
    n = g.size()
    tail = clean[g.cumcount(ascending=False) < season_length]
    h = len(future)
    ids = n.index.to_numpy()
    rows_per = np.minimum(n.to_numpy(), season_length)
    starts = np.concatenate([[0], np.cumsum(rows_per)[:-1]])
    vals = tail["y"].to_numpy(dtype=float)
    k = np.arange(h)
    full = rows_per >= season_length
    offs = np.where(full[:, None], k[None, :] % season_length, rows_per[:, None] - 1)
    picked = vals[starts[:, None] + offs]
    return pd.DataFrame({"unique_id": np.repeat(ids, h), "ds": np.tile(future, len(ids)),
                         "snaive": picked.ravel()})


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
