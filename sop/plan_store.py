"""Plan rows in the warehouse: written per period in one transaction, read back by key."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.plan import Plan
from sop.warehouse import (
    alerts,
    balances,
    budgets,
    forecasts,
    now_utc,
    runs,
    table_records,
    upsert_rows,
)


def stored_budgets(engine: Engine, year: int) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(budgets).where(budgets.c.year == year), conn)


def stored_alerts(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(alerts), conn)


def store_plan(engine: Engine, plan: Plan, run_id: str, alert_rows: pd.DataFrame) -> dict[str, int]:
    """Replace this period's forecast and balance rows, the budget version's rows, and
    upsert alerts by key, all in one transaction. Returns rows written per table."""
    period = plan.period
    fc = plan.forecast.assign(period=period, run_id=run_id)
    bal = plan.balance.assign(period=period, run_id=run_id)
    bud = plan.budget.assign(approved=False)
    counts = {}
    with engine.begin() as conn:
        conn.execute(forecasts.delete().where(forecasts.c.period == period))
        conn.execute(balances.delete().where(balances.c.period == period))
        for name, table, frame in (("forecasts", forecasts, fc), ("balances", balances, bal)):
            recs = table_records(frame, table)
            if recs:
                conn.execute(table.insert(), recs)
            counts[name] = len(recs)
        counts["budgets"] = 0
        if not bud.empty:
            vid = bud["version_id"].iloc[0]
            approved = conn.execute(sa.select(sa.func.count()).select_from(budgets).where(
                (budgets.c.version_id == vid) & budgets.c.approved)).scalar()
            if not approved:  # an approved version is frozen: never rewritten
                conn.execute(budgets.delete().where(budgets.c.version_id == vid))
                recs = table_records(bud, budgets)
                conn.execute(budgets.insert(), recs)
                counts["budgets"] = len(recs)
        rows = table_records(alert_rows.assign(updated_at=now_utc()), alerts)
        upsert_rows(conn, alerts, rows)
        counts["alerts"] = len(rows)
    return counts


def record_run(engine: Engine, row: dict) -> None:
    with engine.begin() as conn:
        upsert_rows(conn, runs, [row])
