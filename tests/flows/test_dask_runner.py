"""The forecast stage fanned out on a local Dask cluster (prefect-dask) gives the same
forecast as on the default runner, for the small demo ERP, against a real Prefect API."""

from __future__ import annotations

import pandas as pd
import pytest
from prefect import flow

from sop.forecast.hierarchy import ReconciledForecast
from tasks.forecast import (
    demand_for_period,
    forecast_runner,
    reconcile_forecast,
    split_backtest,
    split_forecast,
    submit_backtest_forecasts,
    submit_base_forecasts,
)
from tasks.ingest import extract_datasets, resolve_config, stage_datasets
from tests.flows.conftest import END, write_config


@flow(name="forecast-stage-test")
def forecast_stage(config_path: str, period: str) -> ReconciledForecast:
    """The monthly cycle's forecast stage as flows/monthly.py composes it."""
    inputs = resolve_config(config_path, period)
    config = inputs.config
    data = stage_datasets(config, extract_datasets(config, ("sales_orders", "products", "customers")),
                          period)
    _, series = demand_for_period(config, data, period)
    parts = split_forecast(config, period, series)
    trials = split_backtest(config, period, series)
    with forecast_runner(config.runner) as runner:
        futures = submit_base_forecasts(runner, config, period, parts)
        tried = submit_backtest_forecasts(runner, config, period, trials)
        bases = [f.result() for f in futures]  # a failed chunk fails the run with its error
        backtests = [(cut, [f.result() for f in fs]) for cut, fs in tried]
        return reconcile_forecast(config, period, series, bases, backtests, wait_for=futures)


@pytest.fixture(scope="module")
def default_forecast(tmp_path_factory, demo_erp) -> ReconciledForecast:
    cfg = write_config(tmp_path_factory.mktemp("default"), demo_erp)
    return forecast_stage(str(cfg), END)


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask cluster already running, as a scheduler `runner.address` names: 2 worker
    processes on loopback."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        yield cluster


def assert_same_forecast(got: ReconciledForecast, want: ReconciledForecast) -> None:
    assert len(want.forecast) > 100 and want.reason  # chosen on the backtest
    assert set(want.backtest["level"]) == set(want.forecast["level"])
    pd.testing.assert_frame_equal(got.backtest, want.backtest, rtol=1e-12)  # sums in any order
    pd.testing.assert_frame_equal(got.forecast, want.forecast, check_exact=True)
    assert got.method == want.method and got.notes == want.notes


def test_chunks_on_a_dask_scheduler_give_the_default_runners_forecast(
        tmp_path, demo_erp, default_forecast, dask_cluster):
    cfg = write_config(tmp_path, demo_erp, runner={
        "kind": "dask", "address": dask_cluster.scheduler_address, "forecast_chunks": 3})
    assert_same_forecast(forecast_stage(str(cfg), END), default_forecast)
    ran = dask_cluster.scheduler.task_prefixes["base_forecast"]  # in the worker processes
    # 3 chunks of the hierarchy now and at the backtest's origin (one in the tests' config)
    assert ran.state_counts["memory"] == 3 * 2 and ran.state_counts["erred"] == 0


def test_a_local_cluster_from_the_config_gives_the_same_forecast(tmp_path, demo_erp,
                                                                default_forecast):
    cfg = write_config(tmp_path, demo_erp, runner={"kind": "dask", "n_workers": 2,
                                                   "processes": False})
    assert_same_forecast(forecast_stage(str(cfg), END), default_forecast)
