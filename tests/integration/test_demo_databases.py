"""The demo ERP written into real PostgreSQL and MariaDB servers reads back whole and typed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from sop.contracts import CONTRACTS
from sop.demo import erp_tables, generate_erp

pytestmark = pytest.mark.integration
END = "2025-06"


@pytest.fixture(scope="module")
def expected_counts() -> dict[str, int]:
    return {name: len(frame) for name, frame in erp_tables("small", seed=7, end=END).items()}


def _check(url: str, expected_counts: dict[str, int]) -> None:
    counts = generate_erp(url, "small", seed=7, end=END)
    assert counts == expected_counts
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            for name, n in counts.items():
                assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one() == n, name
            columns = [c["name"] for c in sa.inspect(conn).get_columns("purchase_orders")]
            assert tuple(columns) == CONTRACTS["purchase_orders"].column_names
            rows = conn.execute(sa.text(  # the driver's own types, not a reflected conversion
                "SELECT order_date, received_date, unit_price, line_no FROM purchase_orders")).all()
            assert all(isinstance(r.order_date, dt.date) for r in rows)
            assert any(r.received_date is None for r in rows)  # open POs: NULL
            assert all(isinstance(r.unit_price, float) and isinstance(r.line_no, int)
                       for r in rows)
            last = conn.execute(sa.text("SELECT MAX(order_date) FROM sales_orders")).scalar_one()
            assert last == dt.date(2025, 6, 30) or dt.date(2025, 6, 20) < last <= dt.date(2025, 6, 30)
        assert generate_erp(url, "small", seed=7, end=END) == counts  # a full rewrite
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT COUNT(*) FROM shipments")).scalar_one()
            assert n == counts["shipments"]
    finally:
        engine.dispose()


def test_small_demo_into_postgresql(pg_url, expected_counts):
    _check(pg_url, expected_counts)


def test_small_demo_into_mariadb(mysql_url, expected_counts):
    _check(mysql_url, expected_counts)
