"""Side-by-side ratios of the scale benchmark, each side timed in the same process, one
right after the other (absolute times drift on a shared machine, ratios hold):

- extract: the project's `read_all` against the database's own bulk export of the same
  tables (PostgreSQL `COPY (SELECT * FROM t) TO STDOUT`, read to the end and discarded;
  SQLite has no COPY: the `sqlite3` shell's `.mode csv` export to /dev/null), in rows/s;
- validation: the `sales_orders` GX suite (`sop.quality.suites.suite_findings`) against the same
  rules in plain pandas (`bench.validation_speed.pandas_checks`) on the extracted frame;
- forecast: `sop.forecast.series.forecast_series` against raw statsforecast with the same models
  on the same series (`bench.forecast_speed`), on a seeded sample of the cycle's series.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from sop.contracts import CYCLE_DATASETS


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def bulk_export_rows(url: str, tables: tuple[str, ...] = CYCLE_DATASETS) -> int:
    """Export every table (of `tables` the database has) with its own bulk path; the rows."""
    engine = sa.create_engine(url)
    try:
        tables = tuple(t for t in tables if sa.inspect(engine).has_table(t))
        if engine.dialect.name == "postgresql":
            rows = 0
            with engine.connect() as conn:
                cursor = conn.connection.driver_connection.cursor()
                for t in tables:
                    with cursor.copy(f'COPY (SELECT * FROM "{t}") TO STDOUT') as copy:
                        for block in copy:
                            rows += bytes(block).count(b"\n")
            return rows
        sqlite3 = shutil.which("sqlite3")
        if sqlite3 is None:
            raise RuntimeError("the sqlite3 shell is needed for the SQLite bulk export")
        rows = 0
        for t in tables:
            out = subprocess.run([sqlite3, "-csv", engine.url.database, f'SELECT * FROM "{t}"'],
                                 check=True, stdout=subprocess.PIPE).stdout
            rows += out.count(b"\n")
        return rows
    finally:
        engine.dispose()


def extract_ratio(config) -> dict:
    """Rows per second: project extract / bulk export (goal >= 0.5)."""
    from sop.ingest.sources import read_all

    url = config.source_url("sales_orders")
    t_bulk, bulk_rows = _timed(bulk_export_rows, url)
    t_ours, frames = _timed(read_all, config, CYCLE_DATASETS)
    rows = sum(len(f) for f in frames.values())
    ours, bulk = rows / t_ours, bulk_rows / t_bulk
    return {"rows": rows, "bulk_rows": bulk_rows, "project_s": round(t_ours, 2),
            "bulk_s": round(t_bulk, 2), "project_rows_per_s": round(ours),
            "bulk_rows_per_s": round(bulk), "ratio": round(ours / bulk, 3), "goal": ">= 0.5"}


def validation_ratio(config) -> dict:
    """GX suite / plain pandas on the extracted sales_orders (goal <= 5)."""
    from bench.validation_speed import LATEST, pandas_checks
    from sop.ingest.sources import read_all
    from sop.quality.suites import gx_module, load_suites, suite_findings

    gx_module()
    frame = read_all(config, ("sales_orders",))["sales_orders"]
    suites = load_suites()
    params = {"latest_event_date": LATEST.isoformat()}
    t_pd, bad = _timed(pandas_checks, frame)
    t_gx, found = _timed(suite_findings, {"sales_orders": frame}, suites, params)
    gx_bad = sum(f.result.unexpected_count for f in found if not f.result.success)
    return {"rows": len(frame), "gx_s": round(t_gx, 2), "pandas_s": round(t_pd, 2),
            "ratio": round(t_gx / t_pd, 2), "goal": "<= 5",
            "bad_rows_gx": int(gx_bad), "bad_rows_pandas": int(sum(len(v) for v in bad.values()))}


def cycle_series(config, period: str) -> pd.DataFrame:
    """The sku x region series the cycle forecasts (unique_id, ds, y)."""
    from sop.ingest.sources import read_all
    from sop.ingest.staging import as_of, staged
    from sop.planning.build import demand_history

    frames = read_all(config, ("sales_orders", "products", "customers"))
    data = {n: as_of(staged(f, n), n, period) for n, f in frames.items()}
    _, series = demand_history(data, period, config.planning)
    return series[series["level"] == "sku_region"][["unique_id", "ds", "y"]]


def forecast_ratio(config, period: str, sample: int, n_jobs: int = 2, seed: int = 0) -> dict:
    """forecast_series / raw statsforecast on `sample` of the cycle's sku x region series
    (goal <= 1.15). The split by model is the project's own work, outside both timers."""
    from bench.forecast_speed import raw_statsforecast, split_by_model
    from sop.forecast.series import forecast_series

    series = cycle_series(config, period)
    ids = series["unique_id"].unique()
    if sample and len(ids) > sample:
        ids = np.random.default_rng(seed).choice(ids, sample, replace=False)
    df = series[series["unique_id"].isin(ids)].reset_index(drop=True)
    h = config.planning.horizon_months
    smooth, sparse = split_by_model(df)
    t_raw, _ = _timed(raw_statsforecast, smooth, sparse, h, n_jobs)
    t_ours, _ = _timed(forecast_series, df, h=h, n_jobs=n_jobs)
    return {"series": len(ids), "raw_s": round(t_raw, 2), "project_s": round(t_ours, 2),
            "ratio": round(t_ours / t_raw, 3), "goal": "<= 1.15", "n_jobs": n_jobs}


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.ratios --kind extract|validation|forecast --config F --period P
    --out J`: one ratio in a fresh process (so its memory is its own)."""
    import argparse
    import json
    import os

    from sop.config import load_config

    ap = argparse.ArgumentParser(prog="python -m bench.ratios")
    ap.add_argument("--kind", choices=("extract", "validation", "forecast"), required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--period", required=True)
    ap.add_argument("--sample", type=int, default=500)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    config = load_config(args.config, os.environ)
    if args.kind == "extract":
        out = extract_ratio(config)
    elif args.kind == "validation":
        out = validation_ratio(config)
    else:
        out = forecast_ratio(config, args.period, args.sample)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
