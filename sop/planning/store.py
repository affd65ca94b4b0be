"""Plan rows in the warehouse: written per period in one transaction, read back by key."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.consensus.model import APPROVED, CELL_COLUMNS
from sop.consensus.scope import review_months
from sop.consensus.store import (
    approval,
    store_review_cells,
    stored_plan_versions,
    version_rows,
)
from sop.periods import parse_period, shift_period
from sop.plan import History, Plan
from sop.warehouse import (
    accuracy,
    alerts,
    balances,
    budgets,
    forecasts,
    now_utc,
    table_records,
    upsert_rows,
)


def stored_budgets(engine: Engine, year: int) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(budgets).where(budgets.c.year == year), conn)


def store_plan(engine: Engine, plan: Plan, run_id: str, alert_rows: pd.DataFrame,
               review_months: int = 6) -> dict[str, int]:
    """Replace this period's forecast and balance rows, the budget version's rows, and
    upsert alerts by key, all in one transaction; the statistical forecast's cells of the
    `review_months` after the period go to the demand review (sop.consensus.store).
    Returns rows written per table."""
    period = plan.period
    stat = plan.statistical_forecast if len(plan.statistical_forecast) else plan.forecast
    fc = stat.assign(period=period, run_id=run_id)  # the run's own: the versions have theirs
    bal = plan.balance.assign(period=period, run_id=run_id)
    bud = plan.budget.assign(approved=False)
    counts = {}
    with engine.begin() as conn:
        conn.execute(forecasts.delete().where(forecasts.c.period == period))
        conn.execute(balances.delete().where(balances.c.period == period))
        conn.execute(accuracy.delete().where(accuracy.c.period == period))
        acc = plan.accuracy.assign(period=period) if len(plan.accuracy) else plan.accuracy
        for name, table, frame in (("forecasts", forecasts, fc), ("balances", balances, bal),
                                   ("accuracy", accuracy, acc)):
            recs = table_records(frame, table) if len(frame) else []
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
        counts["review_cells"] = store_review_cells(conn, period, review_cells_of(
            plan.customer_forecast, period, review_months), now_utc())
    return counts


def review_cells_of(allocated: pd.DataFrame, period: str, months: int) -> pd.DataFrame:
    """The customer allocation of the `months` after `period` as review cells."""
    if allocated.empty:
        return pd.DataFrame(columns=list(CELL_COLUMNS))
    window = review_months(period, months)
    c = allocated[pd.to_datetime(allocated["ds"]).isin(window)]
    return c.rename(columns={"forecast": "qty"})[list(CELL_COLUMNS)].reset_index(drop=True)


def stored_forecasts(engine: Engine, levels: tuple[str, ...], before: str) -> pd.DataFrame:
    """Forecast rows of earlier runs (as-of period < `before`) at the given levels."""
    q = sa.select(forecasts).where(forecasts.c.level.in_(levels), forecasts.c.period < before)
    with engine.connect() as conn:
        frame = pd.read_sql(q, conn)
    return frame.assign(ds=pd.to_datetime(frame["ds"]))


def latest_forecast_run(engine: Engine, period: str) -> tuple[str | None, pd.DataFrame]:
    """The newest stored forecast run as of `period` (its period and its rows)."""
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(forecasts.c.period)).where(
            forecasts.c.period <= period)).scalar()
        if last is None:
            return None, pd.DataFrame()
        frame = pd.read_sql(sa.select(forecasts).where(forecasts.c.period == last), conn)
    return last, frame.assign(ds=pd.to_datetime(frame["ds"]))


def stored_balance(engine: Engine, period: str) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(sa.select(balances).where(balances.c.period == period), conn)
    return frame.assign(ds=pd.to_datetime(frame["ds"]))


def stored_history(engine: Engine, period: str) -> History:
    """The earlier runs' outputs that planning `period` compares against: the year's
    budgets, every stored forecast run before the period (total, category, region, customer
    levels), last month's projected balance; the demand review's: this period's approved
    version (if any) and every earlier period's versions with their authors."""
    done = approval(engine, period)
    authors = stored_plan_versions(engine)
    return History(budgets=stored_budgets(engine, parse_period(period).year),
                   forecasts=stored_forecasts(engine, ("total", "category", "region", "customer"),
                                              before=period),
                   previous_balance=stored_balance(engine, shift_period(period, -1)),
                   approved=(version_rows(engine, period, versions=(APPROVED,))
                             if done is not None else pd.DataFrame()),
                   approval=done._asdict() if done is not None else None,
                   versions=version_rows(engine, before=period),
                   version_authors=authors[authors["period"] < period].reset_index(drop=True))
