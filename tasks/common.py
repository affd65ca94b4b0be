"""What every task module shares: retry conditions and the warehouse engine."""

from __future__ import annotations

from functools import lru_cache

from prefect.states import State
from sqlalchemy.engine import Engine

from sop.warehouse import warehouse_engine


def retry_transient(task, task_run, state: State) -> bool:
    """Retry only failures marked transient (connection lost, server busy)."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - we inspect whatever the task raised
        return bool(getattr(exc, "transient", False))
    return False


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One warehouse engine per URL and process (tables created on first use)."""
    return warehouse_engine(url)
