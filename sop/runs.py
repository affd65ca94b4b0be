"""Run records, run leases and operator notices: what data and code made a period's plan
and packets, one run per (flow, period) at a time, and the e-mail that tells operators a run
failed.

A run record fingerprints the input snapshot (rows and newest date per dataset), so a packet
traces to its data; the previous completed run's row counts are the volume check's baseline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop import __version__
from sop.config import Config
from sop.contracts import contract_for
from sop.mail import Mailer
from sop.outputs import Outputs
from sop.warehouse import leases, now_utc, runs, upsert_rows


def snapshot_summary(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    """Rows and newest date per dataset."""
    out = {}
    for name, frame in frames.items():
        col = contract_for(name).date_column
        newest = None
        if col and col in frame and len(frame):
            value = pd.to_datetime(frame[col], errors="coerce").max()
            newest = None if pd.isna(value) else value.strftime("%Y-%m-%d")
        out[name] = {"rows": int(len(frame)), "newest": newest}
    return out


def snapshot_hash(summary: Mapping[str, dict]) -> str:
    blob = json.dumps(summary, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_record(run_id: str, period: str, flow: str, started: datetime, finished: datetime,
               config_fingerprint: str, frames: Mapping[str, pd.DataFrame], status: str,
               message: str = "", code_version: str = __version__) -> dict:
    """The sop_runs row of one run."""
    summary = snapshot_summary(frames)
    return {"run_id": run_id, "period": period, "flow": flow, "status": status,
            "started_at": started, "finished_at": finished, "config_hash": config_fingerprint,
            "code_version": code_version, "snapshot_hash": snapshot_hash(summary),
            "snapshot": json.dumps(summary, sort_keys=True), "message": message}


def record_run(engine: Engine, row: dict) -> None:
    """Write (or replace, same run id) a run record."""
    with engine.begin() as conn:
        upsert_rows(conn, runs, [row])


def record_cycle_run(engine: Engine, config: Config, run_id: str, period: str, flow: str,
                     started: datetime, frames: Mapping[str, pd.DataFrame], status: str,
                     message: str = "", code_version: str = __version__) -> str:
    """Record the run (finished now) and return its id."""
    record_run(engine, run_record(run_id, period, flow, started, now_utc(), config.fingerprint,
                                  frames, status, message, code_version))
    return run_id


class LeaseHeld(RuntimeError):
    """Another run holds the (flow, period): this one must not run its side effects."""


def acquire_lease(engine: Engine, flow: str, period: str, run_id: str, at: datetime,
                  minutes: float) -> None:
    """Take the lease on (flow, period) for `run_id` until `at` + `minutes`: it is free,
    already this run's (a retry), or lapsed (a run killed before it released it). Atomic:
    of two runs racing for it, one wins. Raises LeaseHeld naming the run that holds it."""
    until = at + timedelta(minutes=minutes)
    row = {"flow": flow, "period": period, "run_id": run_id, "acquired_at": at,
           "expires_at": until}
    try:
        with engine.begin() as conn:
            conn.execute(leases.insert().values(**row))
        return
    except sa.exc.IntegrityError:
        pass  # held or lapsed: take it over only from the holder seen, compare-and-set
    key = (leases.c.flow == flow) & (leases.c.period == period)
    with engine.begin() as conn:
        held = conn.execute(sa.select(leases).where(key)).one_or_none()
        if held is None:
            conn.execute(leases.insert().values(**row))
            return
        if held.run_id != run_id and held.expires_at > at:
            raise LeaseHeld(
                f"{flow} for {period} is already running as run {held.run_id} (since "
                f"{held.acquired_at:%Y-%m-%d %H:%M} UTC, lease until {held.expires_at:%H:%M}); "
                "this run did nothing: wait for it to end, or retry that run")
        taken = conn.execute(leases.update().where(
            key & (leases.c.run_id == held.run_id) & (leases.c.expires_at == held.expires_at)
        ).values(run_id=run_id, acquired_at=at, expires_at=until)).rowcount
    if not taken:
        acquire_lease(engine, flow, period, run_id, at, minutes)  # lost a race: look again


def renew_lease(engine: Engine, flow: str, period: str, run_id: str, at: datetime,
                minutes: float) -> bool:
    """Extend this run's lease to `at` + `minutes`; False when it no longer holds it."""
    with engine.begin() as conn:
        return bool(conn.execute(leases.update().where(
            (leases.c.flow == flow) & (leases.c.period == period)
            & (leases.c.run_id == run_id)).values(
            expires_at=at + timedelta(minutes=minutes))).rowcount)


def release_lease(engine: Engine, flow: str, period: str, run_id: str) -> bool:
    """Give the lease back (only this run's). True when there was one to release."""
    with engine.begin() as conn:
        return bool(conn.execute(leases.delete().where(
            (leases.c.flow == flow) & (leases.c.period == period)
            & (leases.c.run_id == run_id))).rowcount)


def failure_message(mailer: Mailer, flow: str, run_name: str, run_id: str, state: str,
                    reason: str, ui_url: str, recipients: list[str]) -> EmailMessage:
    """An e-mail naming the flow, the run, its final state and the reason, with the link to
    the run's page in the Prefect UI (where Retry is). One per (run, final state)."""
    msg = mailer.message(f"[S&OP] {flow} run {run_name} {state.lower()}", recipients,
                         key=f"run/{run_id}/{state}")
    link = f"{ui_url.rstrip('/')}/runs/flow-run/{run_id}"
    msg.set_content(
        f"The {flow} run {run_name} ended {state}.\n\nReason:\n{reason}\n\n"
        f"Open the run: {link}\nFix the cause, then press Retry on that page: finished "
        "steps come back Cached and nothing already sent is sent again.\n")
    return msg


def notify_operators(config: Config, mailer: Mailer, flow: str, run_name: str, run_id: str,
                     state: str, reason: str) -> list[str]:
    """Tell `operators.emails` that a run failed (SMTP, or an .eml under
    outbox/operators/). Returns the recipients (none configured: nothing sent)."""
    recipients = [str(a) for a in config.operators.emails]
    if recipients:
        msg = failure_message(mailer, flow, run_name, run_id, state, reason,
                              config.operators.ui_url, recipients)
        mailer.send(msg, Outputs.at(config.output_dir).operators_outbox / f"{run_id}.eml")
    return recipients
