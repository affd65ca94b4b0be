"""Forecast value added: every version of the demand review scored against the actuals that
arrived since, and the stairstep from the naive forecast to the approved plan.

Scores come from sop.forecast.accuracy.forecast_accuracy (WAPE, bias, MASE; lag = months from
the review's period to the forecast month) per version, level, lag and period. A step is
compared with the statistical forecast on the periods the step exists for (a department
that submitted in two months is judged on those two), so that each difference is like for
like: value added = the statistical forecast's WAPE there less the step's, in points
(positive: the step made the forecast better). The naive step is the seasonal-naive
benchmark of the same rows (the actual of the same month a year earlier).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.consensus.model import APPROVED, CONSENSUS, DEPARTMENTS_THAT_SUBMIT, STATISTICAL
from sop.forecast.accuracy import forecast_accuracy

NAIVE = "naive"
STEPS: tuple[str, ...] = (NAIVE, STATISTICAL, *DEPARTMENTS_THAT_SUBMIT, CONSENSUS, APPROVED)
STAIR_COLUMNS = ("step", "periods", "wape", "bias", "mase", "wape_statistical",
                 "added_vs_statistical", "added_vs_naive")
HEAD_COLUMNS = ("department", "authors", "periods", "better", "worse", "wape",
                "wape_statistical", "added")


def period_scores(versions: pd.DataFrame, actuals: pd.DataFrame,
                  lags: tuple[int, ...] = (1, 3)) -> pd.DataFrame:
    """Per version, level, period and lag: n, actual, forecast, wape, bias, mase and the
    seasonal-naive wape_snaive / mase_snaive of the same rows. `versions`: stored version
    rows (period, version, level, unique_id, ds, forecast); `actuals`: unique_id, ds, y."""
    if versions.empty:
        return pd.DataFrame()
    out = forecast_accuracy(versions, actuals, lags=lags, by=("version", "level", "period"))
    return out.assign(period=pd.to_datetime(out["period"]).dt.strftime("%Y-%m"))


def _pooled(rows: pd.DataFrame, wape: str = "wape", mase: str = "mase") -> dict:
    """WAPE and bias over several periods (weighted by their actuals), MASE by their rows."""
    w, n = rows["actual"].to_numpy(dtype=float), rows["n"].to_numpy(dtype=float)
    ok = np.isfinite(rows[wape].to_numpy(dtype=float)) & (w > 0)
    out = {"periods": int(rows["period"].nunique()),
           "wape": float(np.average(rows[wape][ok], weights=w[ok])) if ok.any() else np.nan,
           "bias": (float(np.average(rows["bias"][ok], weights=w[ok]))
                    if ok.any() and "bias" in rows else np.nan)}
    m = rows[mase].to_numpy(dtype=float)
    okm = np.isfinite(m) & (n > 0)
    out["mase"] = float(np.average(m[okm], weights=n[okm])) if okm.any() else np.nan
    return out


def stairstep(scores: pd.DataFrame, level: str = "total", lag: int = 1) -> pd.DataFrame:
    """STAIR_COLUMNS, one row per step that has scores (STEPS order); WAPE and bias as
    fractions, value added in points of WAPE (0.021 = 2.1 points)."""
    if scores.empty:
        return pd.DataFrame(columns=list(STAIR_COLUMNS))
    s = scores[(scores["level"] == level) & (scores["lag"] == lag)]
    stat = s[s["version"] == STATISTICAL].set_index("period")
    rows = []
    if len(stat):
        naive = _pooled(stat.reset_index(), "wape_snaive", "mase_snaive") | {"bias": np.nan}
        rows.append({"step": NAIVE, **naive})
    for step in STEPS[1:]:
        mine = s[s["version"] == step]
        if mine.empty:
            continue
        same = stat.loc[stat.index.intersection(mine["period"])].reset_index()
        rows.append({"step": step, **_pooled(mine),
                     "wape_statistical": _pooled(same)["wape"] if len(same) else np.nan,
                     "naive_same": _pooled(same, "wape_snaive")["wape"] if len(same)
                     else np.nan})
    if not rows:
        return pd.DataFrame(columns=list(STAIR_COLUMNS))
    out = pd.DataFrame(rows)
    for col in ("wape_statistical", "naive_same"):
        if col not in out:
            out[col] = np.nan
    stat_row = out["step"] == STATISTICAL
    out.loc[stat_row, "wape_statistical"] = out.loc[stat_row, "wape"]
    out["added_vs_statistical"] = out["wape_statistical"] - out["wape"]
    out["added_vs_naive"] = out["naive_same"] - out["wape"]
    out.loc[out["step"] == NAIVE, ["wape_statistical", "added_vs_statistical",
                                   "added_vs_naive"]] = np.nan
    out.loc[stat_row, "added_vs_statistical"] = np.nan
    return out[list(STAIR_COLUMNS)].reset_index(drop=True)


def head_value(scores: pd.DataFrame, authors: pd.DataFrame, level: str = "total",
               lag: int = 1, last: int = 6) -> pd.DataFrame:
    """HEAD_COLUMNS per submitting department over its last `last` scored periods: how many
    periods its version beat or lost to the statistical forecast, the pooled WAPEs and the
    value added (points). `authors`: period, version, author (sop_plan_versions)."""
    if scores.empty:
        return pd.DataFrame(columns=list(HEAD_COLUMNS))
    s = scores[(scores["level"] == level) & (scores["lag"] == lag)]
    stat = s[s["version"] == STATISTICAL].set_index("period")["wape"]
    rows = []
    for dept in DEPARTMENTS_THAT_SUBMIT:
        mine = s[(s["version"] == dept) & s["period"].isin(stat.index)]
        mine = mine.sort_values("period").tail(last)
        if mine.empty:
            continue
        base = stat.loc[mine["period"]].to_numpy()
        who = authors[(authors["version"] == dept) & authors["period"].isin(mine["period"])]
        pooled = _pooled(mine)
        same = s[(s["version"] == STATISTICAL) & s["period"].isin(mine["period"])]
        stat_w = _pooled(same)["wape"]
        rows.append({"department": dept, "authors": ", ".join(sorted(set(who["author"].dropna()))),
                     "periods": len(mine), "better": int((mine["wape"].to_numpy() < base).sum()),
                     "worse": int((mine["wape"].to_numpy() > base).sum()),
                     "wape": pooled["wape"], "wape_statistical": stat_w,
                     "added": stat_w - pooled["wape"]})
    return pd.DataFrame(rows, columns=list(HEAD_COLUMNS))
