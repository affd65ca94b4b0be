"""The whole monthly cycle on the small demo ERP, against a real Prefect API."""

from __future__ import annotations

import shutil
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from flows.monthly import monthly_cycle
from sop.config import DEPARTMENTS
from sop.demo import PLANTED_CATEGORY
from sop.quality.gate import QualityGateError
from tests.flows.conftest import END, TODAY, write_config


def warehouse_counts(folder) -> dict[str, int]:
    eng = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with eng.connect() as c:
        names = sa.inspect(c).get_table_names()
        out = {n: c.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar() for n in names}
    eng.dispose()
    return out


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, demo_erp):
    folder = tmp_path_factory.mktemp("cycle")
    cfg = write_config(folder, demo_erp)
    result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    return folder, cfg, result


def test_cycle_writes_one_packet_per_department_and_mails_them(first_run):
    folder, _, result = first_run
    assert result["period"] == END
    for dept in DEPARTMENTS:
        html = (folder / "out" / "packets" / END / dept / "packet.html").read_text()
        assert "<script" not in html and "nan" not in html.lower().split()
    emls = sorted((folder / "out" / "outbox" / END).rglob("*.eml"))
    assert len(emls) == len(DEPARTMENTS)
    assert all(d == "sent" for d in result["deliveries"])


def test_planted_divergence_raises_a_demand_alert(first_run):
    folder, _, result = first_run
    keys = {a["alert_key"] for a in result["alerts"]}
    assert f"demand_supply_divergence:{PLANTED_CATEGORY}" in keys
    eng = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    alerts = pd.read_sql("SELECT * FROM sop_alerts", eng)
    row = alerts[alerts.alert_key == f"demand_supply_divergence:{PLANTED_CATEGORY}"].iloc[0]
    assert row["cause"] == "demand" and row["state"] == "open"
    others = alerts[alerts.rule == "demand_supply_divergence"]["entity"].tolist()
    assert others == [PLANTED_CATEGORY], f"only the planted category diverges, got {others}"


def test_rerun_same_period_sends_nothing_and_keeps_one_set_of_rows(first_run):
    folder, cfg, _ = first_run
    before = warehouse_counts(folder)
    emls_before = {p: p.stat().st_mtime_ns for p in (folder / "out" / "outbox").rglob("*.eml")}
    result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    assert all(d == "already_sent" for d in result["deliveries"])
    after = warehouse_counts(folder)
    for table in ("sop_forecasts", "sop_balances", "sop_budgets", "sop_alerts", "sop_deliveries"):
        assert after[table] == before[table], table
    assert after["sop_runs"] == before["sop_runs"] + 1
    emls_after = {p: p.stat().st_mtime_ns for p in (folder / "out" / "outbox").rglob("*.eml")}
    assert emls_after == emls_before


def test_resend_sends_one_department_again(first_run):
    folder, cfg, _ = first_run
    result = monthly_cycle(config_path=str(cfg), period=END, resend=["marketing"], today=TODAY)
    assert sorted(result["deliveries"]).count("sent") == 1


def test_duplicate_order_line_stops_before_planning(tmp_path, demo_erp):
    erp = tmp_path / "erp.sqlite"
    shutil.copy(demo_erp.removeprefix("sqlite:///"), erp)
    with sqlite3.connect(erp) as con:
        con.execute("CREATE TABLE so2 AS SELECT * FROM sales_orders")
        con.execute("DROP TABLE sales_orders")
        con.execute("CREATE TABLE sales_orders AS SELECT * FROM so2")
        con.execute("INSERT INTO sales_orders SELECT * FROM so2 LIMIT 1")
    cfg = write_config(tmp_path, f"sqlite:///{erp}")
    with pytest.raises(QualityGateError, match="sales_orders.*expect_compound_columns_to_be_unique"):
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    counts = warehouse_counts(tmp_path) if (tmp_path / "warehouse.sqlite").exists() else {}
    assert all(v == 0 for k, v in counts.items() if k != "sop_dq_results"), counts
    assert not (tmp_path / "out" / "outbox").exists()
    assert not (tmp_path / "out" / "packets").exists()


def test_period_without_data_stops_with_a_message(tmp_path, demo_erp):
    cfg = write_config(tmp_path, demo_erp)
    with pytest.raises(QualityGateError, match="newest order_date is .* before 2027-03"):
        monthly_cycle(config_path=str(cfg), period="2027-03", today=TODAY)
