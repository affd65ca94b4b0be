"""Run records: what data and code made a period's plan and packets."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from prefect import task

from sop import __version__
from sop.config import Config
from sop.planning.store import record_run
from sop.runs import snapshot_hash, snapshot_summary
from sop.warehouse import now_utc
from tasks.common import engine_for, run_scoped


@task(name="record-run", cache_policy=run_scoped("frames", "started"))
def record_cycle(config: Config, run_id: str, period: str, flow: str, started: datetime,
                 frames: dict[str, pd.DataFrame], status: str, message: str = "") -> str:
    summary = snapshot_summary(frames)
    record_run(engine_for(config.warehouse.url), {
        "run_id": run_id, "period": period, "flow": flow, "status": status,
        "started_at": started, "finished_at": now_utc(), "config_hash": config.fingerprint,
        "code_version": __version__, "snapshot_hash": snapshot_hash(summary),
        "snapshot": json.dumps(summary, sort_keys=True), "message": message,
    })
    return run_id
