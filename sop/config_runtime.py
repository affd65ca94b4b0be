"""The parts of the configuration about where work runs and who is told: the SMTP server,
the forecast runner and run leases, alert channels, operators. Re-exported by sop.config."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmtpConfig(_Strict):
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: str | None = None
    sender: EmailStr
    reply_to: EmailStr | None = None  # where answers to any message go (default: sender)
    timeout_seconds: float = Field(default=30, gt=0)


class RunnerConfig(_Strict):
    """Where the forecast stage's base forecasts run: `default` submits them to the flow's
    own task runner (Prefect's thread pool, unless the caller chose another); `dask` to a
    Dask cluster for the stage: the scheduler at `address` (tcp://host:8786) or, without
    one, a local cluster of `n_workers` single-threaded workers on 127.0.0.1 (processes, or
    threads with `processes: false`). The series are split into `forecast_chunks` tasks
    (default: 1, or `n_workers` with dask); the numbers do not depend on the split.
    `forecast_jobs`: statsforecast worker processes within each chunk (default: this
    machine's cores shared among the chunks with `kind: default`, 1 with dask); used only
    on batches of 200 series or more. `lease_minutes`: one run per (flow, period) at a time;
    a running run renews its lease every third of this, so the lease of a killed run lapses
    within it."""

    kind: Literal["default", "dask"] = "default"
    address: str | None = None
    n_workers: int = Field(default=2, ge=1, le=256)
    processes: bool = True
    forecast_chunks: int = Field(default=1, ge=1, le=1024)
    forecast_jobs: int = Field(default=1, ge=1, le=256)
    lease_minutes: float = Field(default=10, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, raw: object) -> object:
        if not isinstance(raw, dict):
            return raw
        kind = raw.get("kind", "default")
        if raw.get("address") and kind != "dask":
            raise ValueError("'address' is a Dask scheduler: set kind: dask with it")
        if raw.get("forecast_chunks") is None:
            raw = {**raw, "forecast_chunks": raw.get("n_workers", 2) if kind == "dask" else 1}
        if raw.get("forecast_jobs") is None:
            try:
                chunks = max(1, int(raw["forecast_chunks"]))
            except (TypeError, ValueError):
                chunks = 1  # reported by the field's own validation
            raw = {**raw, "forecast_jobs": 1 if kind == "dask" else
                   max(1, (os.cpu_count() or 1) // chunks)}
        return raw


class AlertsConfig(_Strict):
    """Where alerts are pushed besides the packets: e-mail to the owning heads, a webhook
    (JSON with a Slack/Teams-compatible `text`), and a Prefect event `sop.alert.raised`."""

    email: bool = True
    webhook_url: str | None = None
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    prefect_events: bool = True


class OperatorsConfig(_Strict):
    """Who hears about a failed or crashed run: e-mail (the flows' failure hook) and a
    webhook (the Prefect automation in deployments/automations.yaml)."""

    emails: list[EmailStr] = Field(default_factory=list)
    webhook_url: str | None = None
    ui_url: str = "http://127.0.0.1:4200"


class SnapshotConfig(_Strict):
    """Where each run's extracted and staged datasets are kept as Parquet files named by
    their content (sop.ingest.snapshot): a folder every process of a run can read (a shared
    mount when runs resume on other workers); relative to the config file; default
    `<output_dir>/snapshots`. Files neither written nor reused for `keep_days` are deleted
    when a run extracts, so a run can be retried from the UI within that many days."""

    location: str | None = None
    keep_days: float = Field(default=7, gt=0)
