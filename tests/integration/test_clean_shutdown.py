"""A killed command leaves nothing running: the temporary Prefect server a `sop` command
starts for itself dies with it, whatever ended it (here SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def test_sigkill_of_the_cli_takes_its_temporary_server_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    # a run that waits: its only source does not answer, so extract retries while we kill it
    cfg = tmp_path / "sop.yaml"
    cfg.write_text(
        "sources: {erp: {url: 'postgresql+psycopg://nobody@127.0.0.1:9/none'}}\n"
        f"warehouse: {{url: 'sqlite:///{tmp_path / 'wh.sqlite'}'}}\n"
        "departments: {" + ", ".join(f"{d}: {{heads: [h@example.com]}}" for d in (
            "sales", "marketing", "sales_admin", "supply", "procurement", "management"))
        + "}\n")
    cli = subprocess.Popen([sys.executable, "-m", "cli.main", "validate", "--config", str(cfg),
                            "--period", "2026-10", "--today", "2026-11-05"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        me = psutil.Process(cli.pid)

        def server():
            return [p for p in me.children(recursive=True)
                    if "uvicorn" in " ".join(p.cmdline())]

        servers = _wait(server, 120, "the CLI started its temporary Prefect server")
        time.sleep(3)  # the flow run is under way against the server
        assert cli.poll() is None, cli.stdout.read().decode()[-2000:]
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(30)
        gone = _wait(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                                     for p in servers), 20, "the server ended with the CLI")
        assert gone
    finally:
        if cli.poll() is None:
            cli.kill()
