"""Resolve the config, extract and stage: the tasks around the quality gate
(tasks/quality.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
from prefect import get_run_logger, task

from sop.clock import clock_for, default_period
from sop.config import Config, ConfigError, load_config
from sop.contracts import CYCLE_DATASETS
from sop.ingest.snapshot import Frames, derived_frames, pruned_snapshot_files, snapshot_of
from sop.ingest.sources import read_all
from sop.ingest.staging import staged_as_of, staged_dataset
from tasks.common import retry_transient, run_scoped


@dataclass(frozen=True)
class RunInputs:
    config: Config
    period: str
    today: date  # the run's date in the config's timezone: read once, passed down
    config_path: str = ""

    def __reduce__(self):
        """What a persisted result of resolve-config holds (local or shared result storage,
        for the UI's Retry): the config's path and hash, the period and the day, never the
        config itself, whose URLs and passwords come from the environment. Read back, the
        config is loaded again from the file and the environment of the process that
        resumes, and must be the one the run started with."""
        return (restored_inputs, (self.config_path, self.config.fingerprint, self.period,
                                  self.today))


def restored_inputs(config_path: str, fingerprint: str, period: str, today: date) -> RunInputs:
    config = load_config(config_path, os.environ)
    if config.fingerprint != fingerprint:
        raise ConfigError(f"{config_path} (or the environment it reads) changed since this run "
                          f"started (config hash {fingerprint}, now {config.fingerprint}): "
                          "start a new run to use it")
    return RunInputs(config, period, today, config_path)


@task(name="resolve-config", cache_policy=run_scoped())
def resolve_config(config_path: str, period: str | None = None,
                   today: str | None = None) -> RunInputs:
    """Read the config once (with the process environment for ${VAR}), read the clock once
    (`today`, 'YYYY-MM-DD', fixes it) and fix the period (default: the last complete month).
    A retry of the run returns this result cached: the same config, day and period."""
    config = load_config(config_path, os.environ)
    day = clock_for(today, config.timezone).today()
    return RunInputs(config=config, period=default_period(period, day), today=day,
                     config_path=str(config_path))


@task(name="extract-datasets", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped())
def extract_datasets(config: Config, names: tuple[str, ...] = CYCLE_DATASETS) -> Frames:
    """Read every dataset and write it into the run's snapshot; the result is a reference
    (a retried run reads the same files, whatever the sources hold by then)."""
    logger = get_run_logger()
    gone = pruned_snapshot_files(config.snapshot_location, config.snapshots.keep_days,
                                 time.time())
    if gone:
        logger.info("deleted %d snapshot files older than %s days", len(gone),
                    config.snapshots.keep_days)
    frames = snapshot_of(read_all(config, names), config.snapshot_location)
    logger.info("extracted %s into %s", ", ".join(f"{n}={len(f)}" for n, f in frames.items()),
                frames.folder)
    return frames


@task(name="stage-datasets", cache_policy=run_scoped("frames"))
def stage_datasets(config: Config, frames: Mapping[str, pd.DataFrame], period: str) -> Frames:
    """Cast to contract types and keep fact rows dated up to the end of the period. The
    result is persisted as its recipe (the gate's snapshot reference and the period), not
    written again: a resumed run stages a dataset anew when a task first asks for it."""
    return derived_frames(staged_as_of(frames, period), staged_dataset, frames, period)
