"""Flow tests run against one real Prefect API (the test harness) for the session,
and a small demo ERP generated once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from sop.config import DEPARTMENTS

END = "2026-10"
# The day the tests run as: the clock is injected (flows' `today`, the CLI's `--today`), so
# the suite passes whatever the machine's date (a test runs the suite under faketime).
TODAY = "2026-11-05"


@pytest.fixture(scope="session", autouse=True)
def prefect_api():
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), \
            prefect_test_harness(server_startup_timeout=60):
        # Configure Prefect's console logging now, on the session's stderr: configured
        # lazily by the first flow, it would write to that test's captured stream, closed
        # once the test ends ("I/O operation on closed file" in every later test).
        from prefect.logging.configuration import setup_logging

        setup_logging()
        yield


@pytest.fixture(scope="session")
def api_env(prefect_api) -> dict[str, str]:
    """Environment for a `sop` subprocess that talks to the session's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


@pytest.fixture(scope="session")
def demo_erp(tmp_path_factory) -> str:
    """A small demo ERP in SQLite, generated once per session; tests must not write to it."""
    from sop.demo import generate_erp

    path = tmp_path_factory.mktemp("erp") / "erp.sqlite"
    generate_erp(f"sqlite:///{path}", scale="small", seed=7, end=END)
    return f"sqlite:///{path}"


def write_config(folder: Path, erp_url: str, smtp: dict | None = None, **extra) -> Path:
    raw = {
        "sources": {"erp": {"url": erp_url}},
        "warehouse": {"url": f"sqlite:///{folder / 'warehouse.sqlite'}"},
        "output_dir": str(folder / "out"),
        "departments": {d: {"heads": [f"{d}.head@example.com"]} for d in DEPARTMENTS},
        **extra,
    }
    # one backtest origin instead of the default three: the same path (reconciliation chosen,
    # ranges calibrated) at a third of its cost; the demo's runs and tests/unit keep three
    raw["planning"] = {"backtest_origins": 1, **raw.get("planning", {})}
    if smtp:
        raw["smtp"] = smtp
    path = folder / "sop.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path
