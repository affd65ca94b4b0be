"""The Arrow-native read of SQLite sources (sop.ingest.arrow) against the SQLAlchemy read:
the same frames, a column of mixed types still seen as the source gave it, read-only."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from sop.contracts import CYCLE_DATASETS
from sop.ingest.arrow import (
    ArrowTypeMismatch,
    arrow_driver_for,
    arrow_frame,
    sqlite_uri,
)
from sop.ingest.chunks import fetched_frame
from sop.ingest.sources import SourceError, read_all, source_engine
from tests.unit.ingest import source_config


def same_frame(url: str, sql: str) -> pd.DataFrame:
    """The rows of `sql` through the Arrow driver, checked equal to the SQLAlchemy read."""
    engine = source_engine(url)
    with engine.connect() as conn:
        plain = fetched_frame(conn, sa.text(sql))
    engine.dispose()
    arrow = arrow_frame(sa.make_url(url), sql)
    pd.testing.assert_frame_equal(arrow, plain, check_exact=True)
    return arrow


def both(url: str, names: tuple[str, ...], datasets: dict | None = None):
    arrow = read_all(source_config(url, datasets=datasets), names)
    plain = read_all(source_config(url, "sqlalchemy", datasets=datasets), names)
    assert list(arrow) == list(plain)
    for name in plain:
        pd.testing.assert_frame_equal(arrow[name], plain[name], check_exact=True, obj=name)
    return arrow


def test_the_demo_erp_reads_the_same_through_arrow_and_sqlalchemy(tmp_path):
    from sop.demo import generate_erp

    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    generate_erp(url, scale="small", seed=71, end="2025-05")  # no other test's data
    assert arrow_driver_for(sa.make_url(url)) == "adbc-sqlite"
    frames = both(url, CYCLE_DATASETS)
    assert len(frames["sales_orders"]) > 10_000


def make_db(path, rows: list[tuple], ddl: str = "CREATE TABLE customers (customer_id "
            "text, name text, credit_limit numeric, since date, small integer, ratio real, "
            "unused text)") -> str:
    with sqlite3.connect(path) as conn:
        conn.execute(ddl)
        conn.executemany(f"INSERT INTO customers VALUES ({','.join('?' * len(rows[0]))})",
                         rows)
    return f"sqlite:///{path}"


def test_every_column_type_is_typed_as_read_sql_types_it(tmp_path):
    rows = [(f"C{i}", f"name {i % 7}", 1000.25 + i, f"2025-01-{i % 28 + 1:02d}", i, i / 4,
             None) for i in range(3000)]  # more rows than the driver's first batch
    rows[5] = ("C5", None, None, None, None, None, None)
    url = make_db(tmp_path / "types.sqlite", rows)
    frame = same_frame(url, "SELECT * FROM customers ORDER BY customer_id")
    assert frame["unused"].isna().all() and frame["unused"].dtype == object
    assert frame["small"].dtype == "float64" and frame["credit_limit"].iloc[0] == 1000.25
    assert same_frame(url, "SELECT * FROM customers WHERE 1 = 0").empty


def test_a_column_of_mixed_types_reaches_the_gate_as_the_source_gave_it(tmp_path):
    rows = [(f"C{i}", "n", float(i), "2025-01-01", i, 0.5, None) for i in range(2000)]
    rows.append(("C9", "n", "twelve", "2025-01-01", 2.5, 0.5, None))  # text, then a fraction
    url = make_db(tmp_path / "mixed.sqlite", rows)
    with pytest.raises(ArrowTypeMismatch, match="several types"):
        arrow_frame(sa.make_url(url), "SELECT * FROM customers")
    frame = both(url, ("customers",))["customers"]  # through SQLAlchemy, as given
    assert frame["credit_limit"].iloc[-1] == "twelve"


@pytest.mark.parametrize("value", [20250101, 2.5, b"\x00"])
def test_a_number_among_texts_is_not_turned_into_text(tmp_path, value):
    rows = [(f"C{i}", "n", 1.0, "2025-01-01", i, 0.5, None) for i in range(2000)]
    rows.append(("C9", "n", 1.0, value, 1, 0.5, None))  # the driver would read '20250101'
    url = make_db(tmp_path / "dates.sqlite", rows)
    with pytest.raises(ArrowTypeMismatch, match="several types"):
        arrow_frame(sa.make_url(url), "SELECT * FROM customers")
    renames = {"customers": {"columns": {"since": "region"}}}
    frame = both(url, ("customers",), renames)["customers"]
    assert frame["region"].iloc[-1] == value and type(frame["region"].iloc[-1]) is type(value)


def test_the_arrow_session_cannot_write_and_errors_name_the_dataset(tmp_path):
    url = make_db(tmp_path / "ro.sqlite", [("A",), ("B",)], "CREATE TABLE customers (sku text)")
    import adbc_driver_manager.dbapi as adbc
    import adbc_driver_sqlite.dbapi as lite

    with (lite.connect(sqlite_uri(sa.make_url(url))) as conn, conn.cursor() as cursor,
          pytest.raises(adbc.Error, match="(?i)readonly")):
        cursor.execute("DELETE FROM customers")
    with sqlite3.connect(tmp_path / "ro.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (2,)
    with pytest.raises(SourceError, match=r"dataset 'products': table 'products' not found"):
        read_all(source_config(url), ("products",))


@pytest.mark.parametrize(("later", "arrow"), [(["P1", "P2"], True), ([7, 8], True),
                                              ([7, "P2"], False), ([7, 7.5], True)])
def test_a_column_empty_in_its_first_rows_is_typed_by_all_of_them(tmp_path, later, arrow):
    """Like a promotion id that only later orders carry: typed by every row, and still
    read as the source gave it when its later values are of several kinds."""
    rows = [(f"C{i}", "n", 1.0, None, i, 0.5, None) for i in range(3000)]
    rows += [(f"D{i}", "n", 1.0, v, 1, 0.5, None) for i, v in enumerate(later)]
    url = make_db(tmp_path / "late.sqlite", rows)
    sql = "SELECT * FROM customers"
    if arrow:
        frame = same_frame(url, sql)
        assert frame["since"].tail(2).tolist() == later
    else:
        with pytest.raises(ArrowTypeMismatch, match="since hold values of several types"):
            arrow_frame(sa.make_url(url), sql)
