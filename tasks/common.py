"""What every task module shares: retry conditions and the warehouse engine."""

from __future__ import annotations

from functools import lru_cache

from prefect.cache_policies import INPUTS, RUN_ID, TASK_SOURCE, CachePolicy
from prefect.serializers import PickleSerializer
from prefect.states import State
from sqlalchemy.engine import Engine

from sop.warehouse import warehouse_engine

# Persisted results with their large frames as Parquet (sop.ingest.result_pickle): the
# plan, demand history and forecasts, which a retried run reads back instead of recomputing.
# A task that returns `kept(result, config.snapshot_location)` persists references to the
# frames' files in the run's snapshot instead of the frames.
COLUMNAR = PickleSerializer(picklelib="sop.ingest.result_pickle")


def retry_transient(task, task_run, state: State) -> bool:
    """Retry only failures marked transient (connection lost, server busy)."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - we inspect whatever the task raised
        return bool(getattr(exc, "transient", False))
    return False


def run_scoped(*exclude: str) -> CachePolicy:
    """Cache a task's result within its flow run, keyed on its small inputs (config, period,
    run id: the business key) and never on the frames, plans or packets named in `exclude`,
    which the same run's upstream tasks derived. Retrying a flow run (same run id, results
    persisted) returns finished tasks as Cached; a new run computes afresh; nothing hashes
    a large frame or an engine."""
    policy = INPUTS
    for name in exclude:
        policy = policy - name
    return RUN_ID + TASK_SOURCE + policy


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One warehouse engine per URL and process (tables created on first use)."""
    return warehouse_engine(url)
