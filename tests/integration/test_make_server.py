"""`make server` starts a Prefect server and a worker; `make stop` ends both with every
process they started, leaving nothing behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psutil
import yaml

from sop.config import DEPARTMENTS
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _tree(pid: int) -> list[psutil.Process]:
    try:
        me = psutil.Process(pid)
        return [me, *me.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def test_make_stop_ends_server_worker_and_their_children(tmp_path):
    cfg = tmp_path / "sop.yaml"
    cfg.write_text(yaml.safe_dump({
        "sources": {"erp": {"url": f"sqlite:///{tmp_path / 'erp.sqlite'}"}},
        "warehouse": {"url": f"sqlite:///{tmp_path / 'wh.sqlite'}"},
        "departments": {d: {"heads": [f"{d}@example.com"]} for d in DEPARTMENTS}}))
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MAKE"))}
    env.update({"PREFECT_HOME": str(tmp_path / "home"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    make = ["make", "--no-print-directory", f"RUN={run}", f"PREFECT_PORT={free_port()}",
            f"SOP_CONFIG={cfg}"]
    try:
        up = subprocess.run([*make, "server"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        pids = {name: int((run / f"{name}.pid").read_text()) for name in ("server", "worker")}
        started = [p for pid in pids.values() for p in _tree(pid)]
        assert len(started) >= 2 and all(p.is_running() for p in started)
        for pid in pids.values():  # each leads its own process group
            assert os.getpgid(pid) == pid
    finally:
        down = subprocess.run([*make, "stop"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert "worker stopped" in down.stdout and "server stopped" in down.stdout
    left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], [p.cmdline() for p in left]
    assert not (run / "server.pid").exists() and not (run / "worker.pid").exists()
