"""Reading a dataset through an Arrow-native driver, typed as the SQLAlchemy path types it.

PostgreSQL is read with ADBC (`adbc-driver-postgresql`, which fetches with COPY in binary):
columns arrive as Arrow arrays instead of a Python tuple per row. The frame is then given
the types `pandas.read_sql` gives the same rows (sop.ingest.chunks), so the quality gate and
staging see the same values whichever path read them: integers as int64 (float64 with
NULLs), NUMERIC as float64, float4 as float64, timestamps in nanoseconds, dates as
`datetime.date`, equal strings sharing one object. The session is read-only
(`default_transaction_read_only`), as on the SQLAlchemy path.

Databases without an Arrow driver here (SQLite, whose columns may hold any type, which the
gate must see as the source gave it; MySQL/MariaDB; SQL Server; anything else) are read
through SQLAlchemy; `sources.<name>.reader: sqlalchemy` forces that path for a source.
"""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

ARROW_DIALECTS = ("postgresql",)


class ArrowReadError(RuntimeError):
    """The driver refused the statement or the connection; `transient` as in SourceError."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def arrow_driver_for(url: sa.URL) -> str | None:
    """The Arrow driver that reads `url` ('adbc-postgresql'), or None (SQLAlchemy reads it)."""
    if url.get_backend_name() not in ARROW_DIALECTS:
        return None
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
    except ImportError:
        return None
    return "adbc-postgresql"


def libpq_uri(url: sa.URL) -> str:
    """`url` as a libpq URI whose sessions are read-only."""
    options = url.query.get("options", "")
    options = (options if isinstance(options, str) else " ".join(options)).strip()
    query = {k: (v if isinstance(v, str) else v[-1]) for k, v in url.query.items()}
    query["options"] = f"{options} -c default_transaction_read_only=on".strip()
    base = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    # libpq decodes %20, not '+', as a space
    return base + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}"
                                 for k, v in query.items())


def _column(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """`array` cast to the Arrow type whose pandas conversion matches `read_sql`."""
    kind = array.type
    if isinstance(kind, pa.BaseExtensionType):  # PostgreSQL NUMERIC arrives as opaque text
        storage = pa.chunked_array([c.storage for c in array.chunks], kind.storage_type)
        return pc.cast(storage, pa.float64()) if _is_numeric(kind) else storage
    if pa.types.is_integer(kind):
        return pc.cast(array, pa.int64())
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return pc.cast(array, pa.float64())
    return array


def _is_numeric(kind: pa.BaseExtensionType) -> bool:
    return getattr(kind, "type_name", "") == "numeric"


def read_sql_typed(table: pa.Table) -> pd.DataFrame:
    """`table` as a frame with the dtypes `pandas.read_sql` gives the same rows."""
    typed = pa.table({name: _column(table.column(name)) for name in table.column_names})
    return typed.to_pandas(coerce_temporal_nanoseconds=True, deduplicate_objects=True,
                           date_as_object=True)


def arrow_frame(url: sa.URL, sql: str) -> pd.DataFrame:
    """The rows of `sql` on `url`, read through ADBC, typed as `read_sql` types them."""
    import adbc_driver_manager.dbapi as adbc
    import adbc_driver_postgresql.dbapi as pg

    try:
        with pg.connect(libpq_uri(url)) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
    except adbc.Error as e:
        message = " ".join(str(e).split())
        transient = isinstance(e, adbc.OperationalError) or "connection" in message.lower()
        raise ArrowReadError(message, transient) from None
    return read_sql_typed(table)
