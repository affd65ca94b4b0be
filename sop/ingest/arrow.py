"""Reading a dataset through an Arrow-native driver, typed as the SQLAlchemy path types it.

PostgreSQL is read with ADBC (`adbc-driver-postgresql`, which fetches with COPY in binary),
SQLite with ADBC's SQLite driver: columns arrive as Arrow arrays instead of a Python tuple
per row. The frame is then given the types `pandas.read_sql` gives the same rows
(sop.ingest.chunks), so the quality gate and staging see the same values whichever path read
them: integers as int64 (float64 with NULLs), NUMERIC as float64, float4 as float64,
timestamps in nanoseconds, dates as `datetime.date`, a column of only NULLs as None, equal
strings sharing one object. Sessions are read-only (PostgreSQL's
`default_transaction_read_only`; SQLite opened `mode=ro` with `query_only`), as on the
SQLAlchemy path.

A SQLite column may hold values of several types (text in a number column): the read finds
such a column (`ArrowTypeMismatch`, see `_sqlite_table`), and the dataset is read through
SQLAlchemy instead, so the gate sees each value as the source gave it.

Databases without an Arrow driver here (MySQL/MariaDB: none keeps the read-only session; SQL
Server; anything else) are read through SQLAlchemy; `sources.<name>.reader: sqlalchemy`
forces that path for a source.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

ARROW_DRIVERS = {"postgresql": ("adbc-postgresql", "adbc_driver_postgresql.dbapi"),
                 "sqlite": ("adbc-sqlite", "adbc_driver_sqlite.dbapi")}


class ArrowReadError(RuntimeError):
    """The driver refused the statement or the connection; `transient` as in SourceError."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


class ArrowTypeMismatch(ArrowReadError):
    """A column holds values of several types (SQLite): read it through SQLAlchemy."""

    def __init__(self, message: str):
        super().__init__(message, transient=False)


def arrow_driver_for(url: sa.URL) -> str | None:
    """The Arrow driver that reads `url` ('adbc-postgresql', 'adbc-sqlite'), or None
    (SQLAlchemy reads it: no driver here, or an in-memory or URI-named SQLite database)."""
    driver = ARROW_DRIVERS.get(url.get_backend_name())
    if driver is None:
        return None
    if driver[0] == "adbc-sqlite" and not _sqlite_file(url):
        return None
    try:
        __import__(driver[1])
    except ImportError:
        return None
    return driver[0]


def _sqlite_file(url: sa.URL) -> bool:
    db = url.database or ""
    return bool(db) and db != ":memory:" and not db.startswith("file:") and not url.query


def sqlite_uri(url: sa.URL) -> str:
    """The SQLite file of `url` as a read-only URI."""
    return "file:" + quote(Path(url.database).absolute().as_posix()) + "?mode=ro"


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


def _null_columns_as_none(table: pa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with only NULLs as None objects, and no rows as object columns, as `read_sql`
    gives them (SQLite's driver types such columns as integers)."""
    if not len(table):
        return pd.DataFrame.from_records([], columns=table.column_names)
    empty = [n for n in table.column_names if table.column(n).null_count == len(table)]
    for name in empty:
        frame[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame


CLASSES = "sop__classes"  # the flag columns of a SQLite read: storage classes seen
CODES = "(CASE typeof({col}) WHEN 'integer' THEN 1 WHEN 'real' THEN 2 WHEN 'text' THEN 4 " \
        "WHEN 'blob' THEN 8 ELSE 0 END)"
PER_FLAG = 15  # 4 bits a column in a 64-bit integer
OTHER = "sop__not_text"  # 1 where a column of text (or blobs) holds another storage class
ONE_BATCH = 1 << 30  # the driver types each column by the first batch: make it all rows


def _text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _texty(kind: pa.DataType) -> bool:
    return _text(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _class_flags(columns: list[str]) -> list[str]:
    """SQL expressions, one per PER_FLAG columns, whose value holds 4 bits a column: the
    storage class of its value in that row (1 integer, 2 real, 4 text, 8 blob, 0 NULL)."""
    groups = [columns[i:i + PER_FLAG] for i in range(0, len(columns), PER_FLAG)]
    return [" | ".join(f"({CODES.format(col='sop_q.' + _quoted(c))} << {4 * i})"
                       for i, c in enumerate(group)) for group in groups]


def _mixed(table: pa.Table, columns: list[str]) -> list[str]:
    """The `columns` whose values are text or blobs among values of another storage class
    (integers among fractions are not mixed: both arrive as float64, as with read_sql)."""
    out = []
    for k in range(0, len(columns), PER_FLAG):
        seen = [v for v in pc.unique(table.column(f"{CLASSES}_{k // PER_FLAG}")).to_pylist()
                if v is not None]
        for i, name in enumerate(columns[k:k + PER_FLAG]):
            classes = 0
            for v in seen:
                classes |= (v >> (4 * i)) & 15
            if classes & 12 and bin(classes).count("1") > 1:
                out.append(name)
    return out


def _sqlite_table(url: sa.URL, sql: str) -> pa.Table:
    """The rows of `sql`, each value as SQLite holds it: ArrowTypeMismatch when a column
    holds text or blobs among values of another storage class.

    SQLite's driver types each column by the first batch of rows (here: all of them) and
    turns numbers into text where it typed a column as text. So the same scan flags a row
    where a column the first rows show as text (or blobs) holds anything else, and records
    the storage classes of the columns the first rows show as NULL only; any other column
    typed as text in the end (numbers first, text later) is read through SQLAlchemy too."""
    import adbc_driver_sqlite.dbapi as lite

    with lite.connect(sqlite_uri(url)) as conn, conn.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(ONE_BATCH)})
        cursor.execute("PRAGMA query_only = ON")
        cursor.execute(f"SELECT * FROM ({sql}) AS sop_q LIMIT 1024")
        head = _fetched(cursor)
        if not len(head):
            return head
        texts = {f.name: "text" if _text(f.type) else "blob"
                 for f in head.schema if _texty(f.type)}
        unknown = [n for n in head.column_names if head.column(n).null_count == len(head)]
        flags = {f"{CLASSES}_{k}": expr for k, expr in enumerate(_class_flags(unknown))}
        if texts:
            flags[OTHER] = " OR ".join(f"typeof(sop_q.{_quoted(n)}) NOT IN ('{kind}', 'null')"
                                       for n, kind in texts.items())
        listed = ", ".join(f"({expr}) AS {name}" for name, expr in flags.items())
        cursor.execute(f"SELECT *, {listed} FROM ({sql}) AS sop_q" if flags else sql)
        table = _fetched(cursor)
    mixed = _mixed(table, unknown)
    if texts and (pc.max(table.column(OTHER)).as_py() or 0) > 0:
        mixed.append("one of " + ", ".join(texts))
    table = table.drop_columns(list(flags))
    if mixed:
        raise ArrowTypeMismatch(f"columns {'; '.join(mixed)} hold values of several types")
    unchecked = {f.name for f in table.schema if _texty(f.type)} - set(texts) - set(unknown)
    if unchecked:  # numbers first, text later: read as the source gave them
        raise ArrowTypeMismatch(f"columns {', '.join(sorted(unchecked))} hold values of "
                                "several types")
    return table


def _fetched(cursor) -> pa.Table:
    """The cursor's rows; an error of the stream (raised by Arrow, not the driver) as an
    ArrowReadError, so that it names the dataset too."""
    try:
        return cursor.fetch_arrow_table()
    except (OSError, pa.ArrowException) as e:
        message = " ".join(str(e).split())
        if "type mismatch" in message.lower():
            raise ArrowTypeMismatch(message) from None
        raise ArrowReadError(message, "connection" in message.lower()) from None


def arrow_frame(url: sa.URL, sql: str) -> pd.DataFrame:
    """The rows of `sql` on `url`, read through ADBC, typed as `read_sql` types them.
    ArrowTypeMismatch when a SQLite column holds values of several types."""
    import adbc_driver_manager.dbapi as adbc

    try:
        if url.get_backend_name() == "sqlite":
            table = _sqlite_table(url, sql)
        else:
            import adbc_driver_postgresql.dbapi as pg

            with pg.connect(libpq_uri(url)) as conn, conn.cursor() as cursor:
                cursor.execute(sql)
                table = _fetched(cursor)
    except adbc.Error as e:
        message = " ".join(str(e).split())
        transient = isinstance(e, adbc.OperationalError) or "connection" in message.lower()
        raise ArrowReadError(message, transient) from None
    return _null_columns_as_none(table, read_sql_typed(table))
