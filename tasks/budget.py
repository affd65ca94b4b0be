"""Budget tasks: build a draft version and store it (approved versions stay frozen)."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sop.config import Config
from sop.periods import parse_period
from sop.planning.budget import budget_by_month, next_budget_version, promotion_plan
from sop.planning.budget_store import store_budget_version, stored_versions
from sop.planning.build import demand_history
from tasks.common import engine_for, retry_transient, run_scoped


@task(name="build-budget-draft", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("data"))
def build_budget_draft(config: Config, data: dict[str, pd.DataFrame], period: str,
                       year: int | None) -> dict:
    engine = engine_for(config.warehouse.url)
    year = year or parse_period(period).year + 1
    monthly, _ = demand_history(data, period, config.planning)
    version = next_budget_version(stored_versions(engine), year)
    budget = budget_by_month(monthly, year, config.planning.budget_growth_pct,
                             config.planning.budget_amount, version_id=version)
    promos = promotion_plan(data["promotions"], monthly, budget)
    rows = store_budget_version(engine, budget)
    by_cat = budget.groupby("category", as_index=False)[["qty", "revenue"]].sum()
    create_table_artifact(key="budget-draft", description=f"Budget {version} by category",
                          table=by_cat.round(0).to_dict("records"))
    get_run_logger().info("budget %s for %d: %d rows, revenue %.0f, %d planned promotions",
                          version, year, rows, budget["revenue"].sum(),
                          int(promos["count"].sum()) if len(promos) else 0)
    return {"version_id": version, "year": year, "rows": rows,
            "revenue": float(budget["revenue"].sum())}
