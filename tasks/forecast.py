"""The forecast stage as tasks: the demand series, their base forecasts in chunks on the
configured task runner (`runner` in the config), then one reconciliation over all series.

Runner choice (`task_runner_for`, `forecast_runner`): with `runner.kind: default` the chunks
go to the flow's own task runner (Prefect's thread pool, or whatever a caller set with
`monthly_cycle.with_options(task_runner=...)`); with `kind: dask` a `prefect_dask`
DaskTaskRunner is opened for the stage (the scheduler at `runner.address`, or a local cluster
of `runner.n_workers` on loopback) and closed after it. The chunk tasks run wherever Dask puts
them, so they take only picklable values: the config, the period, a chunk of series.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from prefect import get_run_logger, task
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from sop.config import Config, RunnerConfig
from sop.forecast.hierarchy import (
    BaseForecasts,
    ForecastChunks,
    ReconciledForecast,
    backtest_chunks,
    base_forecasts,
    forecast_chunks,
    reconciled_from_base,
)
from sop.ingest.result_pickle import kept
from sop.planning.build import demand_history
from tasks.common import COLUMNAR, retry_transient, run_scoped


def task_runner_for(runner: RunnerConfig) -> TaskRunner:
    """A new (not started) task runner as `runner` says."""
    if runner.kind != "dask":
        return ThreadPoolTaskRunner()
    from prefect_dask import DaskTaskRunner  # imports distributed: only when asked for

    if runner.address:
        return DaskTaskRunner(address=runner.address)
    # everything on loopback: the scheduler, worker processes and their HTTP endpoints
    # (random ports); threads talk in-process
    local = {"n_workers": runner.n_workers, "threads_per_worker": 1,
             "processes": runner.processes, "dashboard_address": "127.0.0.1:0",
             "worker_dashboard_address": "127.0.0.1:0"}
    if runner.processes:
        local["host"] = "127.0.0.1"
    return DaskTaskRunner(cluster_kwargs=local)


@contextmanager
def forecast_runner(runner: RunnerConfig) -> Iterator[TaskRunner]:
    """The started task runner the base forecasts are submitted to: a Dask runner for the
    stage (kind dask), else the running flow's own."""
    if runner.kind == "dask":
        with task_runner_for(runner) as started:
            yield started
        return
    context = FlowRunContext.get()
    if context is None or context.task_runner is None:
        raise RuntimeError("the forecast stage runs inside a flow run")
    yield context.task_runner


@task(name="demand-history", result_serializer=COLUMNAR,
      cache_policy=run_scoped("data"))
def demand_for_period(config: Config, data: dict[str, pd.DataFrame],
                      period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(monthly actuals, hierarchy series) within the history window."""
    return kept(demand_history(data, period, config.planning), config.snapshot_location)


@task(name="forecast-chunks", result_serializer=COLUMNAR,
      cache_policy=run_scoped("series"))
def split_forecast(config: Config, period: str, series: pd.DataFrame) -> ForecastChunks:
    parts = forecast_chunks(series, config.runner.forecast_chunks)
    get_run_logger().info("%d series in %d chunk(s) on the %s runner",
                          series["unique_id"].nunique(), len(parts.chunks), config.runner.kind)
    return kept(parts, config.snapshot_location)


@task(name="backtest-chunks", result_serializer=COLUMNAR,
      cache_policy=run_scoped("series"))
def split_backtest(config: Config, period: str,
                   series: pd.DataFrame) -> list[tuple[pd.Timestamp, ForecastChunks]]:
    """The hierarchy at each backtest origin, in chunks (none when the backtest is off)."""
    return kept(backtest_chunks(series, config.runner.forecast_chunks,
                                config.planning.backtest_origins,
                                config.planning.backtest_max_series), config.snapshot_location)


@task(name="base-forecast", task_run_name="base-forecast-{index}", retries=2,
      retry_delay_seconds=[5, 30], retry_condition_fn=retry_transient,
      result_serializer=COLUMNAR,
      cache_policy=run_scoped("chunk", "profiles"))
def base_forecast(config: Config, period: str, index: int | str, chunk: pd.DataFrame,
                  profiles: pd.DataFrame, end: pd.Timestamp) -> BaseForecasts:
    """Base forecasts of one chunk of series (cached on config, period, run and index: the
    chunk's number, or origin/number for a backtest origin's)."""
    bases = base_forecasts(chunk, config.planning.horizon_months, end, profiles,
                           n_jobs=config.runner.forecast_jobs)
    # on this machine's workers the result is persisted as references into the snapshot; a
    # remote cluster's workers may not share its folder, so theirs keep their frames
    return bases if config.runner.address else kept(bases, config.snapshot_location)


def submit_base_forecasts(runner: TaskRunner, config: Config, period: str,
                          parts: ForecastChunks, origin: str = "",
                          ) -> list[PrefectFuture[BaseForecasts]]:
    """One `base_forecast` task per chunk, submitted to `runner` (as `Task.submit` does to
    the flow's runner); `origin` ('YYYY-MM') names a backtest origin's chunks."""
    return [runner.submit(base_forecast, {"config": config, "period": period,
                                          "index": f"{origin}/{i}" if origin else i,
                                          "chunk": chunk, "profiles": parts.profiles,
                                          "end": parts.end})
            for i, chunk in enumerate(parts.chunks)]


def submit_backtest_forecasts(runner: TaskRunner, config: Config, period: str,
                              trials: list[tuple[pd.Timestamp, ForecastChunks]],
                              ) -> list[tuple[pd.Timestamp, list[PrefectFuture[BaseForecasts]]]]:
    """The backtest origins' base forecasts, on the same runner as the cycle's."""
    return [(cut, submit_base_forecasts(runner, config, period, parts, f"{cut:%Y-%m}"))
            for cut, parts in trials]


@task(name="reconcile-forecast", result_serializer=COLUMNAR,
      cache_policy=run_scoped("series", "bases", "backtests"))
def reconcile_forecast(config: Config, period: str, series: pd.DataFrame,
                       bases: list[BaseForecasts],
                       backtests: list[tuple[pd.Timestamp, list[BaseForecasts]]] | None = None,
                       ) -> ReconciledForecast:
    """The reconciled forecast of every series from the chunks' base forecasts, and the
    reconciliation the backtest's origins choose."""
    rec = reconciled_from_base(series, bases, backtests=backtests)
    get_run_logger().info("forecast %s: %d rows from %d chunk(s), %s", period,
                          len(rec.forecast), len(bases), rec.method)
    return kept(rec, config.snapshot_location)
