"""The demand review in the warehouse: the statistical cells of each period's review months,
every submission (kept, with its author and time), and the versions built from them.

Versions per period (`sop_plan_versions`, their forecasts in `sop_version_forecasts` at
every level of model.VERSION_LEVELS, review months only): `statistical` (written by the
monthly cycle), one per submitting department (its latest submission applied to the
statistical cells), `consensus` (every department's latest submission merged: split.py) and
`approved` (the consensus frozen by a management head; the statistical forecast when nothing
was submitted). Once approved, a period takes no more submissions and no second approval.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.consensus.model import (
    APPROVED,
    CELL_COLUMNS,
    CONSENSUS,
    STATISTICAL,
    ReviewError,
    Submission,
    level_of,
)
from sop.consensus.split import adjusted_cells, merged_adjustments, series_rows
from sop.warehouse import (
    plan_versions,
    review_adjustments,
    review_cells,
    review_submissions,
    table_records,
    version_forecasts,
)


@dataclass(frozen=True)
class Taken:
    """What a submission came to: its number, whether it was new (the same file again is
    not), and the log of its adjustments (split.LOG_COLUMNS)."""

    seq: int
    new: bool
    log: pd.DataFrame


def submission_hash(sub: Submission) -> str:
    """What makes two submissions the same: department, author and the adjustments (not
    where in the file they stood)."""
    blob = sub.adjustments.drop(columns=["source_ref"]).to_json(orient="records",
                                                                 date_format="iso")
    return hashlib.sha256(f"{sub.department}|{sub.author}|{blob}".encode()).hexdigest()


def _version(conn: sa.Connection, period: str, version: str) -> sa.Row | None:
    return conn.execute(sa.select(plan_versions).where(
        (plan_versions.c.period == period) & (plan_versions.c.version == version))).first()


def _put_version(conn: sa.Connection, period: str, version: str, rows: pd.DataFrame,
                 author: str | None, at: datetime, note: str = "",
                 revision: int | None = None) -> None:
    cond = (version_forecasts.c.period == period) & (version_forecasts.c.version == version)
    conn.execute(version_forecasts.delete().where(cond))
    recs = table_records(rows.assign(period=period, version=version), version_forecasts)
    if recs:
        conn.execute(version_forecasts.insert(), recs)
    conn.execute(plan_versions.delete().where((plan_versions.c.period == period)
                                              & (plan_versions.c.version == version)))
    conn.execute(plan_versions.insert().values(period=period, version=version, author=author,
                                               created_at=at, note=note or None,
                                               revision=revision))


def store_review_cells(conn: sa.Connection, period: str, cells: pd.DataFrame,
                       at: datetime) -> int:
    """The statistical cells of `period`'s review months and its `statistical` version, in
    the caller's transaction; kept as they are once anything was submitted for the period
    (the submissions were made against them). Rows written."""
    taken = conn.execute(sa.select(sa.func.count()).select_from(review_submissions).where(
        review_submissions.c.period == period)).scalar()
    if taken:
        return 0
    conn.execute(review_cells.delete().where(review_cells.c.period == period))
    recs = table_records(cells[list(CELL_COLUMNS)].assign(period=period), review_cells)
    if recs:
        conn.execute(review_cells.insert(), recs)
    _put_version(conn, period, STATISTICAL, series_rows(cells), None, at)
    return len(recs)


def stored_cells(engine: Engine, period: str) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(sa.select(review_cells).where(review_cells.c.period == period), conn)
    return frame.assign(ds=pd.to_datetime(frame["ds"]))[list(CELL_COLUMNS)]


def approval(engine: Engine, period: str) -> sa.Row | None:
    """The period's approved version (author, created_at, revision, note), or None."""
    with engine.connect() as conn:
        return _version(conn, period, APPROVED)


def _latest(conn: sa.Connection, period: str) -> list[Submission]:
    subs = conn.execute(sa.select(review_submissions).where(
        review_submissions.c.period == period).order_by(review_submissions.c.seq)).all()
    last = {s.department: s for s in subs}
    out = []
    for s in sorted(last.values(), key=lambda s: (s.submitted_at, s.department)):
        adj = pd.read_sql(sa.select(review_adjustments).where(
            (review_adjustments.c.period == period) & (review_adjustments.c.department
                                                       == s.department)
            & (review_adjustments.c.seq == s.seq)).order_by(review_adjustments.c.row_no), conn)
        out.append(Submission(period, s.department, s.author,
                              adj.assign(ds=pd.to_datetime(adj["ds"])), s.source))
    return out


def take_submission(engine: Engine, submission: Submission, content_hash: str,
                    at: datetime) -> Taken:
    """Store a department's submission and rebuild its version and the consensus, in one
    transaction. Refused (ReviewError) when the period is approved or has no review cells;
    the same content as the department's latest submission is not taken twice."""
    period, dept = submission.period, submission.department
    with engine.begin() as conn:
        done = _version(conn, period, APPROVED)
        if done is not None:
            raise ReviewError(f"period {period} is approved (by {done.author} on "
                              f"{done.created_at:%Y-%m-%d}): it takes no more submissions")
        cells = pd.read_sql(sa.select(review_cells).where(review_cells.c.period == period), conn)
        if cells.empty:
            raise ReviewError(f"no forecast stored for {period} to review: run the monthly "
                              f"cycle for {period} first")
        cells = cells.assign(ds=pd.to_datetime(cells["ds"]))
        last = conn.execute(sa.select(review_submissions).where(
            (review_submissions.c.period == period) & (review_submissions.c.department == dept))
            .order_by(review_submissions.c.seq.desc())).first()
        adjusted, log = adjusted_cells(cells, submission.adjustments)
        if last is not None and last.content_hash == content_hash:
            return Taken(last.seq, False, log)
        seq = (last.seq if last is not None else 0) + 1
        conn.execute(review_submissions.insert().values(
            period=period, department=dept, seq=seq, author=submission.author,
            source=submission.source[:500], content_hash=content_hash, submitted_at=at,
            adjustments=len(submission.adjustments)))
        rows = submission.adjustments.reset_index(drop=True).assign(
            period=period, department=dept, seq=seq,
            level=[level_of(r) for r in submission.adjustments.to_dict("records")])
        rows["row_no"] = range(1, len(rows) + 1)
        rows = pd.concat([rows, log[["statistical", "target", "result", "note"]].set_axis(
            _order_back(submission.adjustments, log), axis=0)], axis=1)
        if len(rows):
            conn.execute(review_adjustments.insert(), table_records(rows, review_adjustments))
        _put_version(conn, period, dept, series_rows(adjusted), submission.author, at)
        _rebuild_consensus(conn, period, cells, at)
    return Taken(seq, True, log)


def _order_back(adjustments: pd.DataFrame, log: pd.DataFrame) -> list[int]:
    """The log's rows (applied finest first) back in the adjustments' order."""
    where = {ref: i for i, ref in enumerate(adjustments["source_ref"])}
    return [where[ref] for ref in log["source_ref"]]


def _rebuild_consensus(conn: sa.Connection, period: str, cells: pd.DataFrame,
                       at: datetime) -> None:
    merged, lost = merged_adjustments(_latest(conn, period))
    adjusted, _ = adjusted_cells(cells, merged)
    note = "; ".join(f"{r.department}'s number for {r.source_ref} replaced by {r.replaced_by}'s"
                     for r in lost.itertuples(index=False))
    authors = ", ".join(sorted(set(merged["author"]))) if len(merged) else None
    _put_version(conn, period, CONSENSUS, series_rows(adjusted), authors, at, note)


def approve_plan(engine: Engine, period: str, approver: str, at: datetime) -> int:
    """Freeze the period's consensus (the statistical forecast when nothing was submitted)
    as its approved version; the revision number (1). Refused when already approved or when
    the period has no review cells."""
    with engine.begin() as conn:
        done = _version(conn, period, APPROVED)
        if done is not None:
            raise ReviewError(f"period {period} is already approved (revision {done.revision}, "
                              f"by {done.author} on {done.created_at:%Y-%m-%d})")
        base = CONSENSUS if _version(conn, period, CONSENSUS) is not None else STATISTICAL
        if _version(conn, period, base) is None:
            raise ReviewError(f"no forecast stored for {period} to approve: run the monthly "
                              f"cycle for {period} first")
        rows = pd.read_sql(sa.select(version_forecasts).where(
            (version_forecasts.c.period == period) & (version_forecasts.c.version == base)), conn)
        note = "" if base == CONSENSUS else "nothing was submitted: the statistical forecast"
        _put_version(conn, period, APPROVED, rows.drop(columns=["period", "version"]), approver,
                     at, note, revision=1)
    return 1


def version_rows(engine: Engine, period: str | None = None, before: str | None = None,
                 versions: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Stored version forecasts (period, version, level, unique_id, ..., ds, forecast,
    revenue): one period's, or every period before `before`, optionally some versions."""
    q = sa.select(version_forecasts)
    if period is not None:
        q = q.where(version_forecasts.c.period == period)
    if before is not None:
        q = q.where(version_forecasts.c.period < before)
    if versions is not None:
        q = q.where(version_forecasts.c.version.in_(versions))
    with engine.connect() as conn:
        frame = pd.read_sql(q, conn)
    return frame.assign(ds=pd.to_datetime(frame["ds"]))


def stored_plan_versions(engine: Engine, period: str | None = None) -> pd.DataFrame:
    q = sa.select(plan_versions)
    if period is not None:
        q = q.where(plan_versions.c.period == period)
    with engine.connect() as conn:
        return pd.read_sql(q.order_by(plan_versions.c.period, plan_versions.c.version), conn)
