"""The `sop` command line: exit codes and one-paragraph messages."""

from __future__ import annotations

import subprocess
import sys

from cli.main import main
from tests.flows.conftest import END, TODAY, write_config


def test_run_succeeds_and_prints_packet_paths(tmp_path, demo_erp, capsys):
    cfg = write_config(tmp_path, demo_erp)
    assert main(["run", "--today", TODAY, "--config", str(cfg), "--period", END]) == 0
    out = capsys.readouterr().out
    assert f"packets/{END}/sales/packet.html" in out


def test_invalid_config_exits_non_zero_naming_the_key(tmp_path, api_env):
    """In its own process, as a user runs it: one paragraph, no traceback from Prefect's
    console log either; --debug shows it."""
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("sources: {erp: {url: sqlite://}}\nwarehouse: {url: sqlite://}\n"
                   "departments: {sales: {heads: [nobody]}}\n")
    cmd = [sys.executable, "-m", "cli.main", "run", "--config", str(cfg)]
    quiet = subprocess.run(cmd, env=api_env, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 1
    assert "departments.sales.heads.0" in quiet.stderr
    assert "Traceback" not in quiet.stderr + quiet.stdout
    loud = subprocess.run([*cmd[:3], "--debug", *cmd[3:]], env=api_env, capture_output=True,
                          text=True, timeout=300)
    assert loud.returncode == 1 and "Traceback" in loud.stderr


def test_missing_table_names_dataset_and_source(tmp_path, capsys):
    import sqlite3
    erp = tmp_path / "empty.sqlite"
    sqlite3.connect(erp).close()
    cfg = write_config(tmp_path, f"sqlite:///{erp}")
    assert main(["run", "--today", TODAY, "--config", str(cfg), "--period", END]) == 1
    err = capsys.readouterr().err
    assert "table 'products' not found in source" in err
    assert not (tmp_path / "out").exists()


def test_bad_period_is_rejected(tmp_path, demo_erp, capsys):
    cfg = write_config(tmp_path, demo_erp)
    assert main(["run", "--today", TODAY, "--config", str(cfg), "--period", "2026-13"]) == 1
    assert "YYYY-MM" in capsys.readouterr().err


def test_generate_is_deterministic(tmp_path, capsys):
    import pandas as pd
    import sqlalchemy as sa
    urls = [f"sqlite:///{tmp_path / n}" for n in ("a.sqlite", "b.sqlite")]
    for url in urls:
        assert main(["generate", "--url", url, "--scale", "small", "--seed", "3", "--end", END]) == 0
    frames = []
    for url in urls:
        eng = sa.create_engine(url)
        frames.append(pd.read_sql("SELECT * FROM sales_orders ORDER BY order_id, line_no", eng))
        eng.dispose()
    pd.testing.assert_frame_equal(*frames)
