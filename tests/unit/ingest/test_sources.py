import pandas as pd
import pytest
import sqlalchemy as sa

from sop.config import DEPARTMENTS, config_from_mapping
from sop.ingest.sources import SourceError, read_all, read_dataset, renamed, source_engine


def cfg(url, datasets=None):
    return config_from_mapping({
        "sources": {"erp": {"url": url}},
        "datasets": datasets or {},
        "warehouse": {"url": "sqlite://"},
        "departments": {d: {"heads": [f"{d}@example.com"]} for d in DEPARTMENTS},
    }, {})


def write_customers(url, table="customers", cols=None):
    frame = pd.DataFrame({
        "customer_id": ["C1", "C2"], "name": ["Acme", "Bolt"], "region": ["North", "South"],
        "channel": ["direct", "distributor"], "credit_limit": [1000.0, 2500.0], "extra": [1, 2]})
    if cols:
        frame = frame.rename(columns=cols)
    eng = sa.create_engine(url)
    frame.to_sql(table, eng, index=False, if_exists="replace")
    eng.dispose()


def test_renamed_keeps_contract_columns_only():
    raw = pd.DataFrame({"CUST": ["C1"], "NAME": ["A"], "region": ["N"], "channel": ["d"],
                        "credit_limit": [1.0], "junk": [0]})
    from sop.config import DatasetConfig
    out = renamed(raw, "customers", DatasetConfig(columns={"CUST": "customer_id"}))
    assert list(out.columns) == ["customer_id", "name", "region", "channel", "credit_limit"]
    assert raw.columns[0] == "CUST"  # input not mutated


def _roundtrip(url):
    write_customers(url, table="crm_customers", cols={"customer_id": "cust_no", "region": "area"})
    config = cfg(url, {"customers": {"table": "crm_customers",
                                     "columns": {"cust_no": "customer_id", "area": "region"}},
                       "warehouses": {"query": "SELECT cust_no AS warehouse_id, name, area AS region,"
                                               " channel AS kind FROM crm_customers"}})
    frames = read_all(config, ("customers", "warehouses"))
    assert frames["customers"]["customer_id"].tolist() == ["C1", "C2"]
    assert frames["customers"]["region"].tolist() == ["North", "South"]
    assert "extra" not in frames["customers"]
    assert frames["warehouses"]["kind"].tolist() == ["direct", "distributor"]


def test_read_table_query_and_rename_sqlite(tmp_path):
    _roundtrip(f"sqlite:///{tmp_path / 'erp.sqlite'}")


@pytest.mark.integration
def test_read_table_query_and_rename_postgresql(pg_url):
    _roundtrip(pg_url)


@pytest.mark.integration
def test_read_table_query_and_rename_mariadb(mysql_url):
    _roundtrip(mysql_url)


def test_missing_table_is_named(tmp_path):
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    write_customers(url)
    with pytest.raises(SourceError, match=r"dataset 'products': table 'products' not found") as e:
        read_all(cfg(url), ("customers", "products"))
    assert not e.value.transient


def test_missing_sqlite_file_is_not_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nowhere.sqlite'}"
    with pytest.raises(SourceError, match="no such file"):
        read_all(cfg(url), ("customers",))
    assert not (tmp_path / "nowhere.sqlite").exists()


@pytest.mark.integration
def test_unreachable_server_is_transient_and_names_the_host():
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    with pytest.raises(SourceError, match=r"cannot connect to source .*127\.0\.0\.1:1") as e:
        read_all(cfg(url), ("customers",))
    assert e.value.transient


def test_bad_query_names_the_dataset(tmp_path):
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    write_customers(url)
    eng = source_engine(url)
    from sop.config import DatasetConfig
    with pytest.raises(SourceError, match="dataset 'customers'"):
        read_dataset(eng, "customers", DatasetConfig(query="SELEC nonsense"), "erp")


def test_chunked_read_equals_read_sql_and_shares_equal_strings(tmp_path):
    from sop.ingest.chunks import fetched_frame

    url = f"sqlite:///{tmp_path / 'chunks.sqlite'}"
    eng = sa.create_engine(url)
    pd.DataFrame({
        "k": [f"K{i}" for i in range(7)],
        "status": ["open", "shipped", "open", None, "open", "shipped", "open"],
        "paid": [None, None, None, 3.5, 1.0, None, 2.0],  # first chunks: only NULLs
        "n": [1, 2, 3, 4, 5, 6, 7],
        "day": ["2025-01-01"] * 7,
    }).to_sql("t", eng, index=False)
    stmt = sa.select(sa.text("*")).select_from(sa.table("t"))
    with eng.connect() as conn:
        expected = pd.read_sql(stmt, conn)
        got = fetched_frame(conn, stmt, chunk_rows=3)
        empty = fetched_frame(conn, sa.text("SELECT * FROM t WHERE n > 99"), chunk_rows=3)
    eng.dispose()
    pd.testing.assert_frame_equal(got, expected)
    assert got["day"][0] is got["day"][2]  # one shared object per distinct value in a chunk
    assert list(empty.columns) == list(expected.columns) and empty.empty


def test_staged_text_columns_keep_values_and_convert_non_text():
    from sop.ingest.staging import cast_series

    text = cast_series(pd.Series(["a", None, "b"], dtype=object), "string")
    assert text.tolist() == ["a", None, "b"]
    mixed = cast_series(pd.Series([1.0, None, 2.5]), "string")
    assert mixed.tolist() == ["1", None, "2.5"]


def _market_table(url):
    eng = sa.create_engine(url)
    pd.DataFrame({"period": ["2026-10-01"], "material_id": ["M1"], "index_name": ["Copper"],
                  "price": [9.5]}).to_sql("market_prices", eng, index=False)
    eng.dispose()


def test_an_optional_dataset_the_source_lacks_is_left_out_unless_configured(tmp_path):
    from sop.ingest.sources import check_sources

    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    write_customers(url)
    names = ("customers", "market_prices")
    check_sources(cfg(url), names)  # nothing to refuse: the optional table may be absent
    assert list(read_all(cfg(url), names)) == ["customers"]
    named = cfg(url, {"market_prices": {"table": "market_prices"}})  # asked for: required
    with pytest.raises(SourceError, match="dataset 'market_prices': table 'market_prices' not"):
        check_sources(named, names)
    with pytest.raises(SourceError, match="dataset 'market_prices'"):
        read_all(named, names)
    _market_table(url)
    frames = read_all(cfg(url), names)
    assert frames["market_prices"]["price"].tolist() == [9.5]
    with pytest.raises(SourceError, match="dataset 'warehouses'"):  # a required one never is
        read_all(cfg(url), ("warehouses", "customers"))
