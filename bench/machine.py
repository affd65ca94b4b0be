"""What machine a benchmark ran on: CPU, cores, memory, load, versions."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def _postgres_version(server: str) -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(f"{server}/postgres")
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
        return str(version).split()[0]
    except Exception:  # noqa: BLE001 - the bench may run without PostgreSQL
        return None


def machine_info(pg_server: str) -> dict:
    import great_expectations
    import pandas
    import prefect
    import statsforecast

    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gb": _mem_gb(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "os": f"{platform.system()} {platform.machine()}", "python": platform.python_version(),
            "pandas": pandas.__version__, "prefect": prefect.__version__,
            "statsforecast": statsforecast.__version__,
            "great_expectations": great_expectations.__version__,
            "sqlite": sqlite3.sqlite_version, "postgresql": _postgres_version(pg_server)}
