"""Resolve the config, extract and stage: the tasks around the quality gate
(tasks/quality.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import pandas as pd
from prefect import get_run_logger, task

from sop.config import Config, load_config
from sop.contracts import DATASETS
from sop.ingest.sources import read_all
from sop.ingest.staging import as_of, staged
from sop.periods import last_complete_period, parse_period
from tasks.common import retry_transient, run_scoped


@dataclass(frozen=True)
class RunInputs:
    config: Config
    period: str


@task(name="resolve-config", cache_policy=run_scoped())
def resolve_config(config_path: str, period: str | None = None) -> RunInputs:
    """Read the config once (with the process environment for ${VAR}) and fix the period."""
    config = load_config(config_path, os.environ)
    chosen = period or last_complete_period(date.today())
    parse_period(chosen)
    return RunInputs(config=config, period=chosen)


@task(name="extract-datasets", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped())
def extract_datasets(config: Config, names: tuple[str, ...] = DATASETS) -> dict[str, pd.DataFrame]:
    frames = read_all(config, names)
    get_run_logger().info("extracted %s", ", ".join(f"{n}={len(f)}" for n, f in frames.items()))
    return frames


@task(name="stage-datasets", cache_policy=run_scoped("frames"))
def stage_datasets(frames: dict[str, pd.DataFrame], period: str) -> dict[str, pd.DataFrame]:
    """Cast to contract types and keep fact rows dated up to the end of the period."""
    return {name: as_of(staged(frame, name), name, period) for name, frame in frames.items()}
