"""Run records and run leases (sop.runs): what data and code made a period's plan and
packets; one run per (flow, period) at a time."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from sop.config import Config
from sop.runs import acquire_lease, record_cycle_run, release_lease, renew_lease
from sop.warehouse import now_utc
from tasks.common import engine_for, retry_transient, run_scoped


@task(name="record-run", cache_policy=run_scoped("frames", "started"))
def record_cycle(config: Config, run_id: str, period: str, flow: str, started: datetime,
                 frames: dict[str, pd.DataFrame], status: str, message: str = "") -> str:
    return record_cycle_run(engine_for(config.warehouse.url), config, run_id, period, flow,
                            started, frames, status, message)


_HEARTBEATS: dict[tuple[str, str, str], threading.Event] = {}


def _heartbeat(config: Config, key: tuple[str, str, str], stop: threading.Event) -> None:
    """Renew the lease every third of its length while the run's process lives; a killed
    run stops renewing, and its lease lapses within `runner.lease_minutes`."""
    minutes = config.runner.lease_minutes
    while not stop.wait(minutes * 60 / 3):
        try:
            if not renew_lease(engine_for(config.warehouse.url), *key, now_utc(), minutes):
                return
        except Exception as e:  # noqa: BLE001 - a blip: the next beat tries again
            logging.getLogger("sop.lease").warning("lease %s not renewed: %s", key, e)


@task(name="take-run-lease", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def take_run_lease(config: Config, flow: str, period: str, run_id: str) -> None:
    """One run per (flow, period): fails at once, naming the run that holds it."""
    acquire_lease(engine_for(config.warehouse.url), flow, period, run_id, now_utc(),
                  config.runner.lease_minutes)
    key = (flow, period, run_id)
    if key not in _HEARTBEATS:
        _HEARTBEATS[key] = stop = threading.Event()
        threading.Thread(target=_heartbeat, args=(config, key, stop), daemon=True,
                         name=f"lease-{flow}-{period}").start()


@task(name="release-run-lease", cache_policy=NO_CACHE)
def release_run_lease(config: Config, flow: str, period: str, run_id: str) -> None:
    stop = _HEARTBEATS.pop((flow, period, run_id), None)
    if stop is not None:
        stop.set()
    release_lease(engine_for(config.warehouse.url), flow, period, run_id)
