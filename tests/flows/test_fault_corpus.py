"""The fault corpus: a database connection cut mid-extract, a run killed mid-render. Each
ends with 0 rows lost, 0 mails duplicated, and a named message where the run stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from cli.main import main
from flows.monthly import monthly_cycle
from sop.contracts import CYCLE_DATASETS
from tests.flows.conftest import END, TODAY, write_config
from tests.proxy import CuttingProxy

ROOT = Path(__file__).resolve().parents[2]


def _deliveries(folder: Path) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT department, recipient, status, attempts FROM sop_deliveries")).all()
    engine.dispose()
    return sorted(tuple(r) for r in rows)


def test_postgres_cut_mid_extract_is_retried_and_loses_no_row(tmp_path, pg_url, capsys):
    from sop.demo import generate_erp

    generate_erp(pg_url, scale="small", seed=7, end=END)
    url = sa.engine.make_url(pg_url)
    proxy = CuttingProxy((url.host, url.port or 5432), cut_after_bytes=1_500_000)
    try:
        via = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        cfg = write_config(tmp_path, via)
        result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    finally:
        proxy.close()
    assert proxy.cuts >= 1  # the cut happened while rows were streaming
    assert result["deliveries"] == ["sent"] * 6
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        expected = {n: conn.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar()
                    for n in CYCLE_DATASETS}
    engine.dispose()
    wh = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    with wh.connect() as conn:
        import json
        snapshot = json.loads(conn.execute(sa.text("SELECT snapshot FROM sop_runs")).scalar())
    wh.dispose()
    assert {n: v["rows"] for n, v in snapshot.items()} == expected  # nothing lost
    assert [r[2:] for r in _deliveries(tmp_path)] == [("sent", 1)] * 6  # nothing twice


def test_a_run_killed_mid_render_then_run_again_mails_each_head_once(tmp_path, demo_erp):
    cfg = write_config(tmp_path, demo_erp, runner={"lease_minutes": 0.05})  # lapses in 3 s
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    run = subprocess.Popen([sys.executable, "-m", "cli.main", "run", "--config", str(cfg),
                            "--period", END, "--today", TODAY], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    packets = tmp_path / "out" / "packets" / END
    deadline = time.monotonic() + 300
    while not list(packets.glob("*/packet.html")) and time.monotonic() < deadline:
        assert run.poll() is None, "the run ended before rendering"
        time.sleep(0.1)
    os.kill(run.pid, signal.SIGKILL)  # mid-render: some packets written, none sent
    run.wait(30)
    assert not (tmp_path / "out" / "outbox" / END).exists()  # no packet mail yet
    time.sleep(4)  # the killed run's lease lapses
    assert main(["run", "--config", str(cfg), "--period", END, "--today", TODAY]) == 0
    assert [r[2:] for r in _deliveries(tmp_path)] == [("sent", 1)] * 6
    assert len(list((tmp_path / "out" / "outbox" / END).rglob("*.eml"))) == 6
