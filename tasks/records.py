"""Run records: what data and code made a period's plan and packets (sop.runs)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from prefect import task

from sop.config import Config
from sop.runs import record_cycle_run
from tasks.common import engine_for, run_scoped


@task(name="record-run", cache_policy=run_scoped("frames", "started"))
def record_cycle(config: Config, run_id: str, period: str, flow: str, started: datetime,
                 frames: dict[str, pd.DataFrame], status: str, message: str = "") -> str:
    return record_cycle_run(engine_for(config.warehouse.url), config, run_id, period, flow,
                            started, frames, status, message)
