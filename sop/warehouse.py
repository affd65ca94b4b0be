"""The pipeline's own tables (the "warehouse"), and idempotent writes to them.

The ERP is only ever read. Everything the pipeline produces lands here, keyed by
business keys so that re-running a period replaces rows instead of adding them:
plan tables by `period`, alerts by `alert_key`, deliveries by
(period, department, recipient).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.tables import (  # noqa: F401 - the tables are part of this module's interface
    accuracy,
    alert_pushes,
    alerts,
    balances,
    budgets,
    coordination_items,
    deliveries,
    dq_results,
    forecasts,
    item_counters,
    item_history,
    item_reminders,
    leases,
    metadata,
    plan_versions,
    quarantine,
    review_adjustments,
    review_cells,
    review_submissions,
    revision_deliveries,
    runs,
    version_forecasts,
)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class WarehouseError(RuntimeError):
    """The warehouse (config key `warehouse.url`, shown without its password) cannot be used;
    `transient` when trying again later may work (connection refused, server busy)."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def warehouse_engine(url: str) -> Engine:
    """An engine for the warehouse, with its tables created on first use."""
    try:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    except Exception as e:  # noqa: BLE001 - a URL that does not parse or has no driver
        raise WarehouseError(f"warehouse.url: cannot use it ({type(e).__name__}: {e})") from None
    try:
        metadata.create_all(engine)
    except sa.exc.DBAPIError as e:
        engine.dispose()
        cause = str(getattr(e, "orig", None) or e).splitlines()[0]
        raise WarehouseError(f"warehouse.url {shown}: cannot connect: {cause}",
                             transient=isinstance(e, sa.exc.OperationalError)) from None
    return engine


def table_records(df: pd.DataFrame, table: sa.Table) -> list[dict]:
    cols = [c.name for c in table.columns if c.name in df.columns]
    frame = df[cols].astype(object).where(df[cols].notna(), None)
    recs = frame.to_dict("records")
    for r in recs:
        for k, v in r.items():
            if isinstance(v, pd.Timestamp):
                r[k] = v.date() if isinstance(table.c[k].type, sa.Date) else v.to_pydatetime()
    return recs


def upsert_rows(conn: sa.Connection, table: sa.Table, rows: Iterable[Mapping[str, object]]) -> None:
    """Insert or update rows by primary key, portable across SQLite, PostgreSQL and MariaDB."""
    pk = [c.name for c in table.primary_key.columns]
    for row in rows:
        cond = sa.and_(*(table.c[k] == row[k] for k in pk))
        values = {k: v for k, v in row.items() if k not in pk}
        updated = conn.execute(table.update().where(cond).values(**values)).rowcount if values else 0
        if not updated:
            exists = conn.execute(sa.select(sa.func.count()).select_from(table).where(cond)).scalar()
            if not exists:
                conn.execute(table.insert().values(**dict(row)))
