"""The annual budget flow and versions; accuracy of stored forecast runs across cycles."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from cli.main import main
from flows.monthly import monthly_cycle
from sop.demo import PLANTED_CATEGORY
from tests.flows.conftest import END, TODAY, write_config


def test_budget_draft_approve_and_freeze(tmp_path, demo_erp, capsys):
    cfg = write_config(tmp_path, demo_erp)
    assert main(["budget", "--today", TODAY, "draft", "--config", str(cfg), "--year", "2027"]) == 0
    assert "budget draft 2027-v1 for 2027" in capsys.readouterr().out
    assert main(["budget", "--today", TODAY, "draft", "--config", str(cfg), "--year", "2027"]) == 0
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    versions = pd.read_sql("SELECT DISTINCT version_id, approved FROM sop_budgets", eng)
    assert versions["version_id"].tolist() == ["2027-v1"]  # a draft re-run replaces itself
    assert main(["budget", "--today", TODAY, "approve", "--config", str(cfg), "--version", "2027-v1"]) == 0
    assert main(["budget", "--today", TODAY, "draft", "--config", str(cfg), "--year", "2027"]) == 0
    assert "2027-v2" in capsys.readouterr().out  # approved v1 stays frozen
    v1 = pd.read_sql("SELECT SUM(revenue) AS r, MIN(approved) AS a FROM sop_budgets "
                     "WHERE version_id = '2027-v1'", eng)
    assert bool(v1["a"].iloc[0])
    assert main(["budget", "--today", TODAY, "approve", "--config", str(cfg), "--version", "2031-v9"]) == 1
    assert "no budget version '2031-v9'" in capsys.readouterr().err


def test_accuracy_of_earlier_runs_and_sustained_divergence(tmp_path, demo_erp):
    cfg = write_config(tmp_path, demo_erp)
    for period in ("2026-07", "2026-08", "2026-09", END):
        result = monthly_cycle(config_path=str(cfg), period=period, today=TODAY)
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    acc = pd.read_sql(f"SELECT * FROM sop_accuracy WHERE period = '{END}'", eng)
    assert set(acc["level"]) >= {"total", "category", "region", "customer"}
    assert set(acc["lag"]) == {1, 3}  # lag 6 needs a run from 2026-04
    assert acc["wape"].notna().all() and (acc["wape"] >= 0).all()
    keys = {a["alert_key"] for a in result["alerts"]}
    assert f"sustained_divergence:{PLANTED_CATEGORY}" in keys
