"""`sop validate`: extract and validate only; the same message as the flow; Data Docs on
request; warnings and quarantine reported; nothing planned."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from prefect.artifacts import Artifact

from cli.main import main
from flows.ingest import ingest_validate
from sop.contracts import CYCLE_DATASETS
from sop.quality.gate import QualityGateError
from tests.flows.conftest import END, TODAY, write_config
from tests.flows.test_bad_input import broken_erp, first_row

NEGATIVE_QTY = [f"UPDATE sales_orders SET qty = -4 WHERE {first_row('sales_orders')}"]


def rows(folder, sql: str) -> list[tuple]:
    eng = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with eng.connect() as c:
        out = [tuple(r) for r in c.execute(sa.text(sql)).all()]
    eng.dispose()
    return out


def test_clean_demo_passes_and_plans_nothing(tmp_path, demo_erp, capsys):
    cfg = write_config(tmp_path, demo_erp)
    assert main(["validate", "--today", TODAY, "--config", str(cfg), "--period", END]) == 0
    out = capsys.readouterr().out
    assert f"data quality {END}:" in out and "0 failed (0 critical, 0 warning)" in out
    stored = rows(tmp_path, "SELECT dataset, success FROM sop_dq_results")
    assert {d for d, _ in stored} == set(CYCLE_DATASETS) and all(s for _, s in stored)
    assert rows(tmp_path, "SELECT COUNT(*) FROM sop_forecasts") == [(0,)]
    assert not (tmp_path / "out" / "packets").exists()
    assert not (tmp_path / "out" / "data-docs").exists()


def test_critical_failure_exits_non_zero_with_the_flows_message_and_docs(tmp_path, demo_erp,
                                                                          capsys):
    cfg = write_config(tmp_path, broken_erp(tmp_path, demo_erp, NEGATIVE_QTY))
    with pytest.raises(QualityGateError) as flow_error:
        ingest_validate(config_path=str(cfg), period=END, today=TODAY)
    message = " ".join(str(flow_error.value).split())
    assert "sales_orders.qty: expect_column_values_to_be_between failed on 1 of" in message

    artifact = Artifact.get(key="data-quality")
    assert "| sales_orders | expect_column_values_to_be_between | qty | critical | 1 |" \
        in artifact.data and "## Passed" in artifact.data

    assert main(["validate", "--today", TODAY, "--config", str(cfg), "--period", END, "--docs"]) == 1
    err = capsys.readouterr().err
    assert f"sop validate: failed: {message}" in err
    docs = tmp_path / "out" / "data-docs"
    assert f"Data Docs: {docs / 'index.html'}" in err
    pages = [p for p in docs.rglob("*.html") if "validations" in p.parts]
    assert any("sales_orders" in p.read_text() and "qty" in p.read_text() for p in pages)
    failed = rows(tmp_path, "SELECT run_id, column_name, sample_keys FROM sop_dq_results "
                            "WHERE success = 0")
    assert len({r[0] for r in failed}) == 2  # one result set per run, both failed runs kept
    assert {(r[1], json.loads(r[2])[0]) for r in failed} == {
        ("qty", flow_error.value.failures[0].sample_keys[0])}


def test_warnings_pass_and_are_listed(tmp_path, demo_erp, capsys):
    lost = [f"UPDATE sales_orders SET status = 'lost' WHERE {first_row('sales_orders')}"]
    cfg = write_config(tmp_path, broken_erp(tmp_path, demo_erp, lost))
    assert main(["validate", "--today", TODAY, "--config", str(cfg), "--period", END]) == 0
    out = capsys.readouterr().out
    assert "1 failed (0 critical, 1 warning)" in out
    assert "warning: sales_orders.status: expect_column_values_to_be_in_set failed" in out


def test_quarantine_sets_rows_aside_and_says_so(tmp_path, demo_erp, capsys):
    erp = broken_erp(tmp_path, demo_erp, NEGATIVE_QTY)
    cfg = write_config(tmp_path, erp, datasets={"sales_orders": {"on_error": "quarantine"}})
    assert main(["validate", "--today", TODAY, "--config", str(cfg), "--period", END]) == 0
    out = capsys.readouterr().out
    assert "quarantined rows: sales_orders=1" in out
    assert "warning: sales_orders: 1 quarantined row(s) (table sop_quarantine)" in out
    (key, reasons, data), = rows(tmp_path, "SELECT row_key, reasons, row_data FROM "
                                           "sop_quarantine")
    assert "qty must be > 0" in reasons and json.loads(data)["qty"] == -4
    order_id, line_no = key.split("/")
    eng = sa.create_engine(erp)
    with eng.connect() as c:  # the source row is still there, untouched
        assert c.execute(sa.text("SELECT qty FROM sales_orders WHERE order_id = :o AND "
                                 "line_no = :n"), {"o": order_id, "n": int(line_no)}).all() \
            == [(-4.0,)]
    eng.dispose()
