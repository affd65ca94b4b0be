"""Speed of the forecast stage against raw statsforecast running the same models.

Run: ``python -m bench.forecast_speed [--n 10000] [--months 48] [--h 18] [--n-jobs 2]
[--repeat 1]``

Synthetic monthly series (seeded): 90% smooth seasonal with trend and noise, 8% intermittent
or lumpy, 2% dead (trailing zeros). The project stage is `forecast_series` (cleaning, model
choice, the chosen models, combination, seasonal-naive benchmark, output checks). "Raw" is
statsforecast called directly with the same models on the same series the project gives them
(AutoETS + AutoTheta with intervals on the smooth ones, CrostonSBA + ADIDA on the
intermittent ones), i.e. what the stage adds on top of statsforecast. Both run in the same
process after a small warm-up, alternating `--repeat` times; the ratio is best project / best
raw wall time.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import ADIDA, AutoETS, AutoTheta, CrostonSBA

from sop.forecast.models import INTERMITTENT_MODEL, demand_classes
from sop.forecast.series import clean_history, forecast_series


def synthetic_series(n: int, months: int = 48, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    kind = rng.choice(["smooth", "intermittent", "dead"], size=n, p=[0.90, 0.08, 0.02])
    level = rng.lognormal(4.0, 1.0, n)
    amp = rng.uniform(0.0, 0.5, n)
    phase = rng.integers(0, 12, n)
    trend = rng.normal(0.0, 0.01, n)
    season = 1 + amp[:, None] * np.sin(2 * np.pi * (t[None, :] + phase[:, None]) / 12)
    y = level[:, None] * (1 + trend[:, None] * t[None, :]) * season
    y = y * rng.lognormal(0.0, 0.15, (n, months))
    sparse = kind == "intermittent"
    y[sparse] = np.where(rng.uniform(size=(sparse.sum(), months)) < 0.35,
                         rng.poisson(3.0, (sparse.sum(), months)) + 1, 0.0)
    dead = kind == "dead"
    y[dead, -rng.integers(8, 20):] = 0.0
    y = np.round(np.clip(y, 0, None))
    ds = pd.date_range("2022-01-01", periods=months, freq="MS")
    return pd.DataFrame({"unique_id": np.repeat([f"s{i:05d}" for i in range(n)], months),
                         "ds": np.tile(ds, n), "y": y.ravel()})


def split_by_model(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The series the project gives to each statsforecast call: (smooth, intermittent)."""
    clean, _ = clean_history(df)
    model = demand_classes(clean).set_index("unique_id")["model"]
    by_model = df["unique_id"].map(model)
    return (df[by_model == "AutoETS+AutoTheta"],
            df[by_model.isin(INTERMITTENT_MODEL.values())])


def raw_statsforecast(smooth: pd.DataFrame, sparse: pd.DataFrame, h: int,
                      n_jobs: int) -> list[pd.DataFrame]:
    """The same models, on the same series, straight from statsforecast."""
    out = []
    if not smooth.empty:
        sf = StatsForecast(models=[AutoETS(season_length=12), AutoTheta(season_length=12)],
                           freq="MS", n_jobs=n_jobs)
        out.append(sf.forecast(df=smooth, h=h, level=[80, 95]))
    if not sparse.empty:
        sf = StatsForecast(models=[CrostonSBA(), ADIDA()], freq="MS", n_jobs=n_jobs)
        out.append(sf.forecast(df=sparse, h=h, fitted=True))
    return out


def timed(fn, *args, **kwargs) -> tuple[float, float, object]:
    """(wall seconds, this process's CPU seconds, result); the CPU time counts the whole
    work only with n_jobs=1 (statsforecast's worker processes are not this process)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, time.process_time() - c0, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--months", type=int, default=48)
    ap.add_argument("--h", type=int, default=18)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--choose", action="store_true",
                    help="also time forecast_series with the backtest choice against the "
                         "fixed combination (choose=False)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="alternate raw and project runs this many times; report the best")
    args = ap.parse_args(argv)
    df = synthetic_series(args.n, args.months)
    warm = synthetic_series(40, args.months, seed=1)
    forecast_series(warm, h=args.h, n_jobs=1)
    raw_statsforecast(*split_by_model(warm), args.h, 1)
    smooth, sparse = split_by_model(df)  # outside the timer: it is the project's own work
    raw_times, our_times, chose_times = [], [], []
    for _ in range(args.repeat):
        raw_times.append(timed(raw_statsforecast, smooth, sparse, args.h, args.n_jobs)[:2])
        *t, fc = timed(forecast_series, df, h=args.h, n_jobs=args.n_jobs, choose=False)
        our_times.append(tuple(t))
        if args.choose:
            *t, chosen = timed(forecast_series, df, h=args.h, n_jobs=args.n_jobs, choose=True)
            chose_times.append(tuple(t))
    t_raw, t_ours = min(w for w, _ in raw_times), min(w for w, _ in our_times)
    c_raw, c_ours = min(c for _, c in raw_times), min(c for _, c in our_times)
    models = fc.drop_duplicates("unique_id")["model"].value_counts().to_dict()
    print(f"series: {args.n} x {args.months} months, h={args.h}, n_jobs={args.n_jobs}")
    print(f"models chosen: {models}")
    for name, runs in (("raw statsforecast (same models)", raw_times),
                       ("project forecast_series", our_times)):
        print(f"{name:32s} wall " + ", ".join(f"{w:.1f}" for w, _ in runs) + " s; CPU "
              + ", ".join(f"{c:.1f}" for _, c in runs) + " s")
    print(f"ratio (best wall): {t_ours / t_raw:.3f}x")
    if chose_times:
        t_chose = min(w for w, _ in chose_times)
        picked = chosen.drop_duplicates("unique_id")["model"].value_counts().head(8).to_dict()
        print("project with the backtest choice wall " + ", ".join(
            f"{w:.1f}" for w, _ in chose_times) + f" s; models: {picked}")
        print(f"choice / fixed combination (best wall): {t_chose / t_ours:.3f}x")
    if args.n_jobs == 1:
        print(f"ratio (best CPU): {c_ours / c_raw:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
