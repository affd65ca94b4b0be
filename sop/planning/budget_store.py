"""Budget versions in the warehouse: drafts built and replaced, approved versions frozen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.config import PlanningConfig
from sop.periods import parse_period
from sop.planning.budget import budget_by_month, next_budget_version, promotion_plan
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


@dataclass(frozen=True)
class BudgetDraft:
    version_id: str
    year: int
    rows: int
    budget: pd.DataFrame  # month x region x category (x customer)
    promotions: pd.DataFrame  # the year's planned promotions

    @property
    def revenue(self) -> float:
        return float(self.budget["revenue"].sum())

    def by_category(self) -> pd.DataFrame:
        return self.budget.groupby("category", as_index=False)[["qty", "revenue"]].sum()


def draft_budget(engine: Engine, data: Mapping[str, pd.DataFrame], period: str,
                 year: int | None, planning: PlanningConfig) -> BudgetDraft:
    """Build and store the budget draft for `year` (default: the year after `period`) from
    the actuals through `period`: the next version number after the stored ones (an approved
    version is never touched; a draft of the same number is replaced)."""
    from sop.planning.build import demand_history  # the forecasting libraries, when needed

    year = year or parse_period(period).year + 1
    monthly, _ = demand_history(data, period, planning)
    version = next_budget_version(stored_versions(engine), year)
    budget = budget_by_month(monthly, year, planning.budget_growth_pct, planning.budget_amount,
                             version_id=version)
    promos = promotion_plan(data["promotions"], monthly, budget)
    rows = store_budget_version(engine, budget)
    return BudgetDraft(version, year, rows, budget, promos)
