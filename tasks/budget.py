"""Budget task: build and store a draft version (approved versions stay frozen)."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from sop.config import Config
from sop.planning.budget_store import draft_budget
from tasks.common import COLUMNAR, engine_for, retry_transient, run_scoped


@task(name="build-budget-draft", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_transient, result_serializer=COLUMNAR,
      cache_policy=run_scoped("data"))
def build_budget_draft(config: Config, data: dict[str, pd.DataFrame], period: str,
                       year: int | None) -> dict:
    draft = draft_budget(engine_for(config.warehouse.url), data, period, year, config.planning)
    create_table_artifact(key="budget-draft", description=f"Budget {draft.version_id} by category",
                          table=draft.by_category().round(0).to_dict("records"))
    n_promos = int(draft.promotions["count"].sum()) if len(draft.promotions) else 0
    get_run_logger().info("budget %s for %d: %d rows, revenue %.0f, %d planned promotions",
                          draft.version_id, draft.year, draft.rows, draft.revenue, n_promos)
    return {"version_id": draft.version_id, "year": draft.year, "rows": draft.rows,
            "revenue": draft.revenue}
