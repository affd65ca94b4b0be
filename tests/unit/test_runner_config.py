"""`runner` in the config: resolved once (defaults, chunks), and the task runner it names."""

import os

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from sop.config import ConfigError, RunnerConfig, config_from_mapping
from tasks.forecast import task_runner_for


def config(**runner):
    raw = {"sources": {"erp": {"url": "sqlite://"}}, "warehouse": {"url": "sqlite://"},
           "departments": {d: {"heads": [f"{d}@example.com"]} for d in (
               "sales", "marketing", "sales_admin", "supply", "procurement", "management")}}
    return config_from_mapping({**raw, "runner": runner} if runner else raw, {})


def test_default_runner_is_the_flows_own_with_one_chunk():
    runner = config().runner
    assert (runner.kind, runner.forecast_chunks, runner.address) == ("default", 1, None)
    assert isinstance(task_runner_for(runner), ThreadPoolTaskRunner)


def test_dask_chunks_default_to_one_per_worker_on_a_loopback_local_cluster():
    runner = config(kind="dask", n_workers="${N:-3}").runner
    assert (runner.n_workers, runner.forecast_chunks) == (3, 3)
    dask = task_runner_for(runner)
    assert isinstance(dask, DaskTaskRunner) and dask.address is None
    assert dask.cluster_kwargs["n_workers"] == 3 and dask.cluster_kwargs["host"] == "127.0.0.1"
    assert config(kind="dask", forecast_chunks=8).runner.forecast_chunks == 8


def test_forecast_jobs_share_this_machines_cores_among_the_chunks():
    cores = os.cpu_count() or 1
    assert config().runner.forecast_jobs == cores
    assert config(forecast_chunks=2).runner.forecast_jobs == max(1, cores // 2)
    assert config(forecast_chunks=4096 // 4).runner.forecast_jobs == 1
    assert config(kind="dask").runner.forecast_jobs == 1  # the workers are the parallelism
    assert config(forecast_jobs=3).runner.forecast_jobs == 3
    with pytest.raises(ConfigError, match=r"runner\.forecast_jobs"):
        config(forecast_jobs=0)


def test_an_existing_scheduler_by_address():
    runner = config(kind="dask", address="tcp://127.0.0.1:8786").runner
    dask = task_runner_for(runner)
    assert dask.address == "tcp://127.0.0.1:8786" and dask.cluster_kwargs == {}


@pytest.mark.parametrize(("runner", "message"), [
    ({"address": "tcp://127.0.0.1:8786"}, "runner: 'address' is a Dask scheduler"),
    ({"kind": "ray"}, "runner.kind"),
    ({"kind": "dask", "forecast_chunks": 0}, "runner.forecast_chunks"),
    ({"workers": 2}, "runner.workers: unknown key"),
])
def test_bad_runner_settings_are_named(runner, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        config(**runner)


def test_resolved_settings_survive_a_round_trip():
    runner = RunnerConfig(kind="dask", n_workers=4)
    assert RunnerConfig.model_validate(runner.model_dump(mode="json")) == runner
