"""Extract, stage and monthly demand alone (the data-heavy steps before the forecast), each
with wall time, CPU time and peak memory (bench.meter), on one demo ERP:

    python -m bench.ingest_speed --config bench/results/tmp/medium-sqlite-direct/sop.yaml

To measure an earlier version of the library, run the same module from a checkout of that
commit with this tree on PYTHONPATH (the checkout's `sop` comes first, `bench` from here):

    git worktree add ../before <commit> && cd ../before
    PYTHONPATH=<this tree> python -m bench.ingest_speed --config <this tree>/bench/results/...
"""

from __future__ import annotations

import argparse
import json
import os

import sop
from bench.meter import Meter
from sop.config import load_config
from sop.contracts import CYCLE_DATASETS
from sop.forecast.demand import sales_monthly
from sop.ingest.sources import read_all
from sop.ingest.staging import as_of, staged


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest_speed")
    ap.add_argument("--config", required=True)
    ap.add_argument("--period", default="2025-06")
    args = ap.parse_args(argv)
    config = load_config(args.config, os.environ)
    meter = Meter()
    with meter.stage("extract"):
        frames = read_all(config, CYCLE_DATASETS)
    with meter.stage("stage"):
        data = {n: as_of(staged(f, n), n, args.period) for n, f in frames.items()}
    with meter.stage("sales_monthly"):
        monthly = sales_monthly(data["sales_orders"], data["products"], data["customers"])
    total = meter.close()
    print(json.dumps({"sop": os.path.dirname(sop.__file__), "rows": len(frames["sales_orders"]),
                      "monthly_rows": len(monthly), "stages": meter.stages, "total": total}))


if __name__ == "__main__":
    main()
