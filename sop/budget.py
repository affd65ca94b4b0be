"""Annual budget: a top-down target decomposed by month x region x category.

The target is last year's actual revenue grown by `growth_pct`, or an explicit
`amount`; it is spread with last year's month x region x category mix, so the
seasonal profile and the product mix of recent history carry into the plan.
"""

from __future__ import annotations

import pandas as pd

from sop.plan import BUDGET_COLUMNS


class BudgetError(ValueError):
    pass


def budget_by_month(monthly: pd.DataFrame, year: int, growth_pct: float = 5.0,
                    amount: float | None = None, version_id: str | None = None) -> pd.DataFrame:
    """The budget for `year` from `monthly` actuals (ds, region, category, qty, revenue).

    Qty and revenue scale together, so the implied price mix of last year holds.
    """
    base = monthly[monthly["ds"].dt.year == year - 1]
    if base.empty or base["revenue"].sum() <= 0:
        raise BudgetError(f"no sales in {year - 1} to base the {year} budget on")
    cells = base.groupby(["ds", "region", "category"], as_index=False)[["qty", "revenue"]].sum()
    last_total = cells["revenue"].sum()
    target = amount if amount is not None else last_total * (1 + growth_pct / 100.0)
    factor = target / last_total
    out = cells.assign(
        ds=cells["ds"] + pd.DateOffset(years=1),
        qty=cells["qty"] * factor,
        revenue=cells["revenue"] * factor,
        year=year,
        version_id=version_id or f"{year}-draft",
    )
    return out[list(BUDGET_COLUMNS)].reset_index(drop=True)
