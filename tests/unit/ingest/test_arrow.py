"""The Arrow-native read (sop.ingest.arrow) against the SQLAlchemy read, on the machine's
PostgreSQL: the same frames, the same errors, the same read-only sessions."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from sop.contracts import CYCLE_DATASETS
from sop.ingest.arrow import arrow_driver_for, libpq_uri
from sop.ingest.sources import SourceError, read_all
from tests.unit.ingest import source_config

pytestmark = pytest.mark.integration



def test_the_demo_erp_reads_the_same_through_arrow_and_sqlalchemy(pg_url):
    from sop.demo import generate_erp

    generate_erp(pg_url, scale="small", seed=67, end="2025-05")  # no other test's data
    assert arrow_driver_for(sa.make_url(pg_url)) == "adbc-postgresql"
    arrow = read_all(source_config(pg_url), CYCLE_DATASETS)
    plain = read_all(source_config(pg_url, reader="sqlalchemy"), CYCLE_DATASETS)
    assert list(arrow) == list(plain) and len(arrow["sales_orders"]) > 10_000
    for name in plain:
        pd.testing.assert_frame_equal(arrow[name], plain[name], check_exact=True, obj=name)


TYPES = """CREATE TABLE customers (customer_id varchar(8), name text, region char(5),
    channel text, credit_limit numeric(12, 2), since date, seen timestamp, small smallint,
    big bigint, ratio real, active boolean, nullable_int integer)"""


def test_every_column_type_is_typed_as_read_sql_types_it(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(TYPES))
        conn.execute(sa.text(
            "INSERT INTO customers VALUES ('C1', 'Acme', 'North', 'direct', 1000.25, "
            "'2025-01-31', '2025-01-31 10:15:00.123456', 3, 10000000000, 0.5, true, NULL), "
            "('C2', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2, NULL, NULL, 7), "
            "('C3', 'Acme', 'North', 'direct', 'NaN', '2025-02-01', NULL, 4, 3, 1.5, false, 8)"))
    engine.dispose()
    query = {"customers": {"query": "SELECT * FROM customers ORDER BY customer_id"}}
    arrow = read_all(source_config(pg_url, datasets=query), ("customers",))["customers"]
    plain = read_all(source_config(pg_url, "sqlalchemy", datasets=query), ("customers",))["customers"]
    pd.testing.assert_frame_equal(arrow, plain, check_exact=True)
    assert arrow["credit_limit"].iloc[0] == 1000.25 and arrow["region"].iloc[0] == "North"


def test_the_arrow_session_cannot_write_and_errors_name_the_dataset(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE products (sku text)"))
        conn.execute(sa.text("INSERT INTO products VALUES ('A'), ('B')"))
    writes = {"products": {"query": "WITH gone AS (DELETE FROM products RETURNING *) "
                                    "SELECT * FROM gone"}}
    with pytest.raises(SourceError, match=r"dataset 'products': cannot read query .*read-only"):
        read_all(source_config(pg_url, datasets=writes), ("products",))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM products")).scalar() == 2
    engine.dispose()
    with pytest.raises(SourceError, match=r"dataset 'customers': table 'customers' not found"):
        read_all(source_config(pg_url), ("customers",))


def test_other_databases_are_read_through_sqlalchemy():
    assert arrow_driver_for(sa.make_url("sqlite://")) is None  # in memory: one per connection
    assert arrow_driver_for(sa.make_url("mysql+pymysql://u@h/erp")) is None
    uri = libpq_uri(sa.make_url("postgresql+psycopg://u:p%40ss@h:5433/erp?sslmode=require"
                                "&options=-c%20search_path%3Derp"))
    assert uri == ("postgresql://u:p%40ss@h:5433/erp?sslmode=require&options=-c%20search_path"
                   "%3Derp%20-c%20default_transaction_read_only%3Don")
