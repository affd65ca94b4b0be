"""The bad-input corpus: broken copies of the demo ERP through the real monthly cycle.

Each kind of breakage must stop the cycle before planning with its reason named
(dataset and expectation in the error), store the gate's results, and leave no
plan rows, no packets and no mail behind.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from flows.monthly import monthly_cycle
from sop.quality.gate import QualityGateError
from sop.warehouse import runs, warehouse_engine
from tests.flows.conftest import END, TODAY, write_config

FUTURE = (date.fromisoformat(TODAY) + timedelta(days=400)).isoformat()
PLAN_TABLES = ("sop_forecasts", "sop_balances", "sop_alerts", "sop_deliveries", "sop_budgets")


def unconstrained(con: sqlite3.Connection, table: str) -> None:
    """Recreate `table` without its NOT NULL / primary-key constraints (a sloppy source)."""
    con.execute(f"CREATE TABLE {table}__copy AS SELECT * FROM {table}")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE {table}__copy RENAME TO {table}")


def first_row(table: str) -> str:
    return f"rowid = (SELECT MIN(rowid) FROM {table})"


# id -> (dataset, expectation, column named in the error, SQL applied to the ERP copy)
CORPUS: dict[str, tuple[str, str, str | None, list[str]]] = {
    "duplicate order line": (
        "sales_orders", "expect_compound_columns_to_be_unique", "order_id,line_no",
        ["!sales_orders", "INSERT INTO sales_orders SELECT * FROM sales_orders LIMIT 1"]),
    "negative quantity": (
        "sales_orders", "expect_column_values_to_be_between", "qty",
        [f"UPDATE sales_orders SET qty = -4 WHERE {first_row('sales_orders')}"]),
    "unknown sku": (
        "sales_orders", "expect_column_values_to_be_in_master", "sku",
        [f"UPDATE sales_orders SET sku = 'ZZZ-9999' WHERE {first_row('sales_orders')}"]),
    "null customer": (
        "sales_orders", "expect_column_values_to_not_be_null", "customer_id",
        ["!sales_orders",
         f"UPDATE sales_orders SET customer_id = NULL WHERE {first_row('sales_orders')}"]),
    "text in a numeric column": (
        "sales_orders", "expect_column_values_to_be_castable_to_number", "unit_price",
        [f"UPDATE sales_orders SET unit_price = 'twelve' WHERE {first_row('sales_orders')}"]),
    "order dated in the future": (
        "sales_orders", "expect_column_values_to_be_between", "order_date",
        [f"UPDATE sales_orders SET order_date = '{FUTURE}', requested_date = '{FUTURE}' "
         f"WHERE {first_row('sales_orders')}"]),
    "ship before order": (
        "shipments", "expect_column_values_to_not_be_before_order_date", "ship_date",
        [f"UPDATE shipments SET ship_date = '2020-01-01' WHERE {first_row('shipments')}"]),
    "empty fact table": (
        "shipments", "expect_table_row_count_to_be_between", None,
        ["DELETE FROM shipments"]),
    "renamed column": (
        "sales_orders", "expect_table_columns_to_match_set", "unit_price",
        ["ALTER TABLE sales_orders RENAME COLUMN unit_price TO price"]),
    "stale inventory snapshot": (
        "inventory", "expect_newest_date_to_reach_period", "snapshot_date",
        [f"DELETE FROM inventory WHERE snapshot_date >= '{END}-01'"]),
    "unknown warehouse": (
        "shipments", "expect_column_values_to_be_in_master", "warehouse_id",
        [f"UPDATE shipments SET warehouse_id = 'DC-XX' WHERE {first_row('shipments')}"]),
    "unknown material in the bom": (
        "bom", "expect_column_values_to_be_in_master", "material_id",
        [f"UPDATE bom SET material_id = 'M9999' WHERE {first_row('bom')}"]),
    "received before ordered": (
        "purchase_orders", "expect_column_pair_values_a_to_be_greater_than_b",
        "received_date,order_date",
        ["UPDATE purchase_orders SET received_date = date(order_date, '-3 days') "
         f"WHERE {first_row('purchase_orders')}"]),
    "lead time out of bounds": (
        "suppliers", "expect_column_values_to_be_between", "contract_lead_time_days",
        [f"UPDATE suppliers SET contract_lead_time_days = 900 WHERE {first_row('suppliers')}"]),
    "duplicate product": (
        "products", "expect_column_values_to_be_unique", "sku",
        ["!products", "INSERT INTO products SELECT * FROM products LIMIT 1"]),
    "row count collapse": (
        "shipments", "expect_table_row_count_to_be_near_previous_run", None,
        ["DELETE FROM shipments WHERE ship_date < '2026-06-01'"]),
}


def broken_erp(folder, demo_erp: str, statements: list[str]) -> str:
    erp = folder / "erp.sqlite"
    shutil.copy(demo_erp.removeprefix("sqlite:///"), erp)
    with sqlite3.connect(erp) as con:
        for sql in statements:
            if sql.startswith("!"):
                unconstrained(con, sql[1:])
            else:
                con.execute(sql)
    return f"sqlite:///{erp}"


def record_previous_run(folder, erp_url: str) -> None:
    """A completed run of last month with the full demo ERP's row counts."""
    eng = sa.create_engine(erp_url)
    with eng.connect() as c:
        counts = {t: c.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()
                  for t in ("sales_orders", "shipments", "inventory")}
    eng.dispose()
    wh = warehouse_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with wh.begin() as c:
        c.execute(runs.insert().values(
            run_id="previous", period="2026-09", flow="monthly-cycle", status="completed",
            started_at=sa.func.current_timestamp(), finished_at=sa.func.current_timestamp(),
            snapshot=json.dumps({k: {"rows": v, "newest": None} for k, v in counts.items()})))
    wh.dispose()


def table_counts(folder) -> dict[str, int]:
    path = folder / "warehouse.sqlite"
    if not path.exists():
        return {}
    eng = sa.create_engine(f"sqlite:///{path}")
    with eng.connect() as c:
        names = sa.inspect(c).get_table_names()
        out = {n: c.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar() for n in names}
    eng.dispose()
    return out


@pytest.mark.parametrize("case", list(CORPUS))
def test_broken_source_stops_the_cycle_with_its_reason(case, tmp_path, demo_erp):
    dataset, expectation, column, statements = CORPUS[case]
    if case == "row count collapse":
        record_previous_run(tmp_path, demo_erp)
    cfg = write_config(tmp_path, broken_erp(tmp_path, demo_erp, statements))

    with pytest.raises(QualityGateError) as stopped:
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)

    where = f"{dataset}.{column}" if column else dataset
    assert f"{where}: {expectation} failed" in str(stopped.value)
    named = [f for f in stopped.value.failures
             if (f.dataset, f.expectation, f.column) == (dataset, expectation, column)]
    assert len(named) == 1 and named[0].severity == "critical"
    if named[0].unexpected_count:
        assert named[0].sample_keys and ", ".join(named[0].sample_keys) in str(stopped.value)

    counts = table_counts(tmp_path)
    assert all(counts.get(t, 0) == 0 for t in PLAN_TABLES), counts
    assert not (tmp_path / "out" / "packets").exists()
    assert not [p for p in (tmp_path / "out").rglob("*.eml")]
    stored = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    with stored.connect() as c:
        rows = c.execute(sa.text(
            "SELECT severity, success, sample_keys FROM sop_dq_results "
            "WHERE dataset = :d AND expectation = :e"), {"d": dataset, "e": expectation}).all()
    stored.dispose()
    assert ("critical", False) in {(r[0], bool(r[1])) for r in rows}


def test_quarantine_plans_on_the_rest_and_says_so_in_the_packets(tmp_path, demo_erp):
    """Not part of the corpus: with `on_error: quarantine` a bad order line is set aside,
    the cycle plans on the other rows, and the packets say so (with the warnings)."""
    erp = broken_erp(tmp_path, demo_erp, [
        f"UPDATE sales_orders SET qty = -4 WHERE {first_row('sales_orders')}",
        "UPDATE sales_orders SET status = 'lost' WHERE rowid = "
        "(SELECT MAX(rowid) FROM sales_orders)"])
    cfg = write_config(tmp_path, erp, datasets={"sales_orders": {"on_error": "quarantine"}})
    result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    counts = table_counts(tmp_path)
    assert counts["sop_quarantine"] == 1 and counts["sop_forecasts"] > 0
    assert all(d == "sent" for d in result["deliveries"])
    html = (tmp_path / "out" / "packets" / END / "sales_admin" / "packet.html").read_text()
    assert "sales order lines: set aside and left out of the plan (problem with quantity)" in html
    assert "sales order lines: unknown status (&#39;lost&#39;)" in html
    assert "expect_" not in html and "sales_orders" not in html  # no check or dataset names
