"""Budget versions in the warehouse: drafts replaced, approved versions frozen."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.warehouse import budgets, table_records


class BudgetVersionError(ValueError):
    pass


def stored_versions(engine: Engine) -> pd.DataFrame:
    """One row per stored version: version_id, year, approved."""
    q = sa.select(budgets.c.version_id, budgets.c.year, budgets.c.approved).distinct()
    with engine.connect() as conn:
        return pd.read_sql(q, conn)


def store_budget_version(engine: Engine, budget: pd.DataFrame) -> int:
    """Replace a draft version's rows; refuse to touch an approved one."""
    vid = budget["version_id"].iloc[0]
    with engine.begin() as conn:
        approved = conn.execute(sa.select(sa.func.count()).select_from(budgets).where(
            (budgets.c.version_id == vid) & budgets.c.approved)).scalar()
        if approved:
            raise BudgetVersionError(f"budget version {vid} is approved and frozen")
        conn.execute(budgets.delete().where(budgets.c.version_id == vid))
        recs = table_records(budget.assign(approved=False), budgets)
        conn.execute(budgets.insert(), recs)
    return len(recs)


def approve_version(engine: Engine, version_id: str) -> int:
    """Freeze a version (its rows get approved = true); an unknown version is an error."""
    with engine.begin() as conn:
        n = conn.execute(budgets.update().where(budgets.c.version_id == version_id)
                         .values(approved=True)).rowcount
    if not n:
        raise BudgetVersionError(f"no budget version {version_id!r} in the warehouse")
    return n
