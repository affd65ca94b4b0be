"""Sources are read-only by construction: a configured query must be one SELECT, and every
connection to a source refuses writes, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sop.config import DatasetConfig
from sop.ingest.sources import SourceError, read_dataset, read_only_query, source_engine


@pytest.mark.parametrize("query", [
    "DROP TABLE warehouses", "select 1; drop table warehouses",
    "DELETE FROM warehouses", "  -- a comment\n UPDATE warehouses SET name = 'x'",
    "PRAGMA writable_schema = ON", ""])
def test_anything_but_one_select_is_refused_before_it_runs(query):
    with pytest.raises(SourceError, match=r"datasets\.warehouses\.query must be one SELECT"):
        read_only_query("warehouses", query, "sqlite:///erp.sqlite")


@pytest.mark.parametrize("query", [
    "SELECT * FROM warehouses;", "with w as (select * from warehouses) select * from w",
    "/* x */ SELECT 'a;b' AS t, \"x;y\" FROM warehouses -- trailing; comment"])
def test_one_select_or_with_passes(query):
    assert read_only_query("warehouses", query, "src").lstrip().startswith(("SELECT", "with",
                                                                             "/*"))


def _seeded(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE warehouses (warehouse_id VARCHAR(8), name "
                             "VARCHAR(20), region VARCHAR(20), kind VARCHAR(20))"))
        conn.execute(sa.text("INSERT INTO warehouses VALUES ('W1', 'North', 'N', 'plant')"))
    engine.dispose()


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM warehouses")).scalar()
    engine.dispose()
    return n


@pytest.fixture(params=["sqlite", "pg_url", "mysql_url"])
def source_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'src.sqlite'}"
    return request.getfixturevalue(request.param)


def test_every_connection_to_a_source_refuses_writes(source_url):
    _seeded(source_url)
    engine = source_engine(source_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM warehouses")).scalar() == 1
            with pytest.raises(sa.exc.DBAPIError):
                conn.execute(sa.text("DELETE FROM warehouses"))
                conn.commit()
        if engine.dialect.name == "postgresql":  # a data-modifying CTE passes the SELECT check
            with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only"):
                conn.execute(sa.text("WITH d AS (DELETE FROM warehouses RETURNING *) "
                                     "SELECT * FROM d"))
            spec = DatasetConfig(query="WITH d AS (DELETE FROM warehouses RETURNING *) "
                                       "SELECT * FROM d")
            with pytest.raises(SourceError, match="dataset 'warehouses'"):
                read_dataset(engine, "warehouses", spec, "pg")
    finally:
        engine.dispose()
    assert _count(source_url) == 1


def test_a_silent_source_does_not_hide_a_mistake_on_another(tmp_path):
    from sop.config import DEPARTMENTS, config_from_mapping
    from sop.ingest.sources import check_sources

    erp = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    engine = sa.create_engine(erp)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (customer_id TEXT, name TEXT)"))
    engine.dispose()
    config = config_from_mapping({
        "sources": {"erp": {"url": erp},
                    "crm": {"url": "postgresql+psycopg://nobody@127.0.0.1:9/none"}},
        "warehouse": {"url": f"sqlite:///{tmp_path / 'wh.sqlite'}"},
        "datasets": {"products": {"source": "crm"},
                     "customers": {"columns": {"cust_no": "customer_id"}}},
        "departments": {d: {"heads": [f"{d}@example.com"]} for d in DEPARTMENTS}}, {})
    check_sources(config, ("products",))  # only the silent source: left to the run
    with pytest.raises(SourceError, match=r"datasets\.customers\.columns renames 'cust_no'"):
        check_sources(config, ("products", "customers"))
