"""Write the demo datasets into a database: tables from the contracts, fast bulk loads.

Tables are created with SQLAlchemy Core from `sop.contracts` (string -> VARCHAR(200),
int -> INTEGER, number -> DOUBLE, date -> DATE; nullability per contract; primary
key = contract key); existing tables of those names are dropped first. Rows go in
with the driver's fastest path: PostgreSQL `COPY ... FROM STDIN` (psycopg),
SQLite and MariaDB/MySQL `executemany` in batches, all in one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from sop.contracts import CONTRACTS, CYCLE_DATASETS, Contract

BATCH_ROWS = 50_000
_TYPES = {
    "string": lambda: sa.String(200),
    "int": sa.Integer,
    "number": lambda: sa.Float(53).with_variant(mysql.DOUBLE(), "mysql", "mariadb"),
    "date": sa.Date,
}
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def contract_table(contract: Contract, metadata: sa.MetaData) -> sa.Table:
    cols = [sa.Column(c.name, _TYPES[c.type](), nullable=c.nullable and c.name not in contract.key)
            for c in contract.columns]
    return sa.Table(contract.name, metadata, *cols, sa.PrimaryKeyConstraint(*contract.key))


def erp_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    for name in CYCLE_DATASETS:  # the optional forecast_adjustments: see `contract_table`
        contract_table(CONTRACTS[name], metadata)
    return metadata


def write_tables(url: str, chunks: Iterable[tuple[str, pd.DataFrame]]) -> dict[str, int]:
    """Recreate the cycle's tables at `url` and load every (dataset, frame) chunk; rows per dataset."""
    engine = sa.create_engine(url)
    try:
        metadata = erp_metadata()
        with engine.begin() as conn:
            metadata.drop_all(conn, checkfirst=True)
            metadata.create_all(conn)
        counts = dict.fromkeys(CYCLE_DATASETS, 0)
        with engine.begin() as conn:
            for name, frame in chunks:
                if len(frame):
                    load(conn, metadata.tables[name], frame)
                counts[name] += len(frame)
        return counts
    finally:
        engine.dispose()


def load(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Append `frame` (contract columns, pandas dtypes) to `table` inside `conn`'s transaction."""
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_postgres(conn, table, frame)
        return
    placeholder = _PLACEHOLDER.get(getattr(dialect.dbapi, "paramstyle", ""))
    if placeholder is None:  # any other driver: SQLAlchemy's own executemany
        for rows in _row_batches(table, frame):
            keys = [c.name for c in table.columns]
            conn.execute(table.insert(), [dict(zip(keys, r, strict=True)) for r in rows])
        return
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
           f"VALUES ({', '.join([placeholder] * len(table.columns))})")
    cursor = conn.connection.driver_connection.cursor()
    try:
        for rows in _row_batches(table, frame):
            cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _copy_postgres(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    quote = conn.dialect.identifier_preparer.quote
    cols = ", ".join(quote(c.name) for c in table.columns)
    sql = f"COPY {quote(table.name)} ({cols}) FROM STDIN WITH (FORMAT csv)"
    names = [c.name for c in table.columns]
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, len(frame), BATCH_ROWS):
            buf = io.StringIO()
            frame.iloc[start: start + BATCH_ROWS][names].to_csv(
                buf, header=False, index=False, date_format="%Y-%m-%d", lineterminator="\n")
            copy.write(buf.getvalue())


def _row_batches(table: sa.Table, frame: pd.DataFrame):
    """Lists of row tuples of plain Python values (dates as ISO strings, None for missing)."""
    for start in range(0, len(frame), BATCH_ROWS):
        part = frame.iloc[start: start + BATCH_ROWS]
        cols = [_python_values(part[c.name], c.type) for c in table.columns]
        yield list(zip(*cols, strict=True))


def _python_values(series: pd.Series, sa_type: sa.types.TypeEngine) -> list:
    if isinstance(sa_type, sa.Date):
        days = series.to_numpy("datetime64[D]")
        missing = np.isnat(days)
        if missing.all():
            return [None] * len(days)
        n = days.astype("int64")
        lo, hi = n[~missing].min(), n[~missing].max()
        lookup = np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]")).astype(object)
        out = lookup[np.clip(n - lo, 0, hi - lo)]
        out[missing] = None
        return out.tolist()
    values = series.to_numpy()
    if values.dtype.kind == "f" and np.isnan(values).any():
        obj = values.astype(object)
        obj[np.isnan(values)] = None
        return obj.tolist()
    if values.dtype.kind == "O":
        obj = values.copy()
        obj[pd.isna(values)] = None
        return obj.tolist()
    return values.tolist()
