"""The gate's history in the warehouse: check results, quarantined rows, and the row
counts of the previous successful run (the volume check's baseline)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.quality.checks import CheckResult
from sop.warehouse import dq_results, now_utc, quarantine, runs


def previous_row_counts(engine: Engine, exclude_run: str | None = None) -> dict[str, int] | None:
    """Rows per dataset of the latest run recorded as completed; None before the first."""
    query = sa.select(runs.c.snapshot).where(runs.c.status == "completed")
    if exclude_run is not None:
        query = query.where(runs.c.run_id != exclude_run)
    query = query.order_by(runs.c.started_at.desc()).limit(1)
    with engine.connect() as conn:
        snapshot = conn.execute(query).scalar()
    if not snapshot:
        return None
    return {name: int(v["rows"]) for name, v in json.loads(snapshot).items()
            if isinstance(v, dict) and v.get("rows") is not None}


def check_rows(results: Iterable[CheckResult], run_id: str, period: str) -> list[dict]:
    at = now_utc()
    rows = []
    for r in results:
        row = {"run_id": run_id, "period": period, "dataset": r.dataset,
               "expectation": r.expectation, "column_name": r.column, "severity": r.severity,
               "success": r.success, "element_count": r.element_count,
               "unexpected_count": r.unexpected_count,
               "sample_keys": json.dumps(list(r.sample_keys)), "checked_at": at}
        if "detail" in dq_results.c:
            row["detail"] = r.detail
        rows.append(row)
    return rows


def store_check_results(engine: Engine, run_id: str, period: str,
                        results: Iterable[CheckResult]) -> int:
    """Replace this run's rows in sop_dq_results (a re-run of the same run id replaces)."""
    rows = check_rows(results, run_id, period)
    with engine.begin() as conn:
        conn.execute(dq_results.delete().where(dq_results.c.run_id == run_id))
        if rows:
            conn.execute(dq_results.insert(), rows)
    return len(rows)


def store_quarantine(engine: Engine, run_id: str, period: str, records: pd.DataFrame) -> int:
    """Replace this run's rows in sop_quarantine by `records` (dataset, row_key, reasons,
    row_data)."""
    at = now_utc()
    rows = [{**rec, "run_id": run_id, "period": period, "quarantined_at": at}
            for rec in records.to_dict("records")]
    with engine.begin() as conn:
        conn.execute(quarantine.delete().where(quarantine.c.run_id == run_id))
        if rows:
            conn.execute(quarantine.insert(), rows)
    return len(rows)
