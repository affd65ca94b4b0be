"""Config mistakes are refused before any work: by the command line before a flow run
starts (named by key or flag, no operator paged), and by the run itself when it is started
another way (a deployment)."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from cli.main import main
from flows.monthly import monthly_cycle
from sop.ingest.sources import SourceError
from tests.flows.conftest import END, TODAY, write_config

OPERATORS = {"emails": ["ops@example.com"]}


def _flow_runs() -> int:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return len(client.read_flow_runs(limit=200))


@pytest.mark.parametrize(("extra", "argv", "named"), [
    ({"datasets": {"customers": {"columns": {"cust_no": "customer_id"}}}}, [],
     "datasets.customers.columns renames 'cust_no', not a column of source"),
    ({}, ["--period", "2026-13"], "--period: period must look like YYYY-MM"),
    ({"datasets": {"orders": {"table": "sales_orders"}}}, [], "unknown dataset(s) ['orders']"),
    ({"datasets": {"products": {"table": "no_such_table"}}}, [],
     "dataset 'products': table 'no_such_table' not found in source"),
])
def test_the_cli_refuses_before_any_run_starts(tmp_path, demo_erp, capsys, extra, argv, named):
    cfg = write_config(tmp_path, demo_erp, operators=OPERATORS, **extra)
    before = _flow_runs()
    assert main(["run", "--config", str(cfg), "--today", TODAY, *argv]) == 1
    err = capsys.readouterr().err
    assert named in err and err.count("\n") == 2 and "Traceback" not in err
    assert _flow_runs() == before  # no flow run, so no operator mail either
    assert not (tmp_path / "out").exists() and not (tmp_path / "warehouse.sqlite").exists()


def test_a_rename_from_a_missing_column_stops_a_run_started_without_the_cli(tmp_path, demo_erp):
    cfg = write_config(tmp_path, demo_erp,
                       datasets={"customers": {"columns": {"cust_no": "customer_id"}}})
    with pytest.raises(SourceError, match=r"renames .cust_no., not a column of source .* \(it "
                                          r"has: customer_id, name"):
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)


def test_a_destructive_query_in_the_config_names_dataset_and_source_and_drops_nothing(
        tmp_path, demo_erp, capsys):
    erp = tmp_path / "erp.sqlite"
    shutil.copy(demo_erp.removeprefix("sqlite:///"), erp)
    cfg = write_config(tmp_path, f"sqlite:///{erp}",
                       datasets={"warehouses": {"query": "DROP TABLE warehouses"}})
    assert main(["validate", "--config", str(cfg), "--period", END, "--today", TODAY]) == 1
    err = capsys.readouterr().err
    assert "dataset 'warehouses'" in err and str(erp) in err and "one SELECT" in err
    engine = sa.create_engine(f"sqlite:///{erp}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM warehouses")).scalar() > 0
    engine.dispose()


