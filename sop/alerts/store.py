"""Alerts and their pushes in the warehouse: the states carried across runs (by key
`rule:entity`) and each push made (by push key), so nothing is pushed twice."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.alerts.lifecycle import alert_states
from sop.warehouse import alert_pushes, alerts, now_utc, table_records, upsert_rows


def stored_alerts(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(alerts), conn)


def settled_alerts(engine: Engine, fired: pd.DataFrame, period: str) -> pd.DataFrame:
    """`fired` merged with the stored alerts: first seen kept, the ones no longer firing
    resolved (`alert_states`)."""
    return alert_states(stored_alerts(engine), fired, period)


def store_alert_states(engine: Engine, alert_rows: pd.DataFrame) -> int:
    """Upsert alerts by key (the watch flow's write; the monthly cycle uses store_plan)."""
    rows = table_records(alert_rows.assign(updated_at=now_utc()), alerts)
    with engine.begin() as conn:
        upsert_rows(conn, alerts, rows)
    return len(rows)


def done_pushes(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(alert_pushes), conn)


def record_pushes(engine: Engine, rows: list[dict]) -> None:
    with engine.begin() as conn:
        upsert_rows(conn, alert_pushes, [{**r, "pushed_at": now_utc()} for r in rows])
