"""Reading the contract datasets from SQL sources, renamed to the contract.

A dataset is a table or a SQL query on a configured SQLAlchemy URL. Reading
only renames (source name -> contract name) and keeps the contract's columns;
types are left as the database gives them, so that the quality gate can report
what does not cast instead of a silent coercion here.

Rows are fetched in chunks of CHUNK_ROWS straight from the driver's cursor (server-side
on PostgreSQL). Each chunk becomes a frame as `pandas.read_sql` would make it, and each
of its text (object) columns is compacted: equal values share one Python object, so a
fact table's repeated ids, statuses and dates cost a pointer per row instead of a string
each. Values and dtypes are those of a whole-table `read_sql`; memory is bounded by one
chunk of raw rows plus the compacted frame.
"""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.config import Config, DatasetConfig
from sop.contracts import contract_for


class SourceError(RuntimeError):
    """A source could not be read; the message names the dataset and the source.

    `transient` marks failures worth retrying (connection lost, server busy), as
    opposed to permanent ones (missing table, bad query, bad URL).
    """

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def _safe_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given
        return url


def source_engine(url: str) -> Engine:
    try:
        return sa.create_engine(url, future=True, pool_pre_ping=True)
    except Exception as e:  # noqa: BLE001
        raise SourceError(f"cannot use source URL {_safe_url(url)}: {e}") from None


def dataset_statement(name: str, spec: DatasetConfig) -> sa.TextClause | sa.Select:
    """The SELECT that reads dataset `name` as configured (table or query)."""
    if spec.query:
        return sa.text(spec.query)
    table = sa.table(spec.table or name)
    return sa.select(sa.text("*")).select_from(table)


def renamed(frame: pd.DataFrame, name: str, spec: DatasetConfig) -> pd.DataFrame:
    """`frame` with source columns renamed to the contract and only contract columns kept."""
    contract = contract_for(name)
    lowered = {c.lower(): c for c in frame.columns}
    mapping: dict[str, str] = {}
    for src, dst in spec.columns.items():
        actual = src if src in frame.columns else lowered.get(src.lower())
        if actual is not None:
            mapping[actual] = dst
    out = frame.rename(columns=mapping)
    # Case-insensitive match of contract names (some databases fold identifiers).
    fold = {c.lower(): c for c in out.columns}
    out = out.rename(columns={fold[c.lower()]: c for c in contract.column_names
                              if c not in out.columns and c.lower() in fold})
    keep = [c for c in contract.column_names if c in out.columns]
    return out[keep].copy()


def read_dataset(engine: Engine, name: str, spec: DatasetConfig, source_label: str) -> pd.DataFrame:
    """Read one dataset; raises SourceError naming the dataset, the source and the cause."""
    stmt = dataset_statement(name, spec)
    what = f"query of dataset {name!r}" if spec.query else f"table {spec.table or name!r}"
    try:
        with engine.connect() as conn:
            frame = fetched_frame(conn, stmt)
    except sa.exc.OperationalError as e:
        msg = str(e.orig) if getattr(e, "orig", None) else str(e)
        low = msg.lower()
        if "no such table" in low or "doesn't exist" in low or "does not exist" in low:
            raise SourceError(
                f"dataset {name!r}: {what} not found in source {source_label}") from None
        raise SourceError(
            f"dataset {name!r}: cannot read {what} from source {source_label}: "
            f"{msg.splitlines()[0]}", transient=True) from None
    except (sa.exc.ProgrammingError, sa.exc.DatabaseError) as e:
        msg = str(getattr(e, "orig", e)).splitlines()[0]
        if "does not exist" in msg.lower() or "doesn't exist" in msg.lower():
            raise SourceError(
                f"dataset {name!r}: {what} not found in source {source_label}") from None
        raise SourceError(
            f"dataset {name!r}: cannot read {what} from source {source_label}: {msg}") from None
    return renamed(frame, name, spec)


CHUNK_ROWS = 200_000


def compacted(values: np.ndarray) -> np.ndarray:
    """An object array equal to `values` in which equal values are one shared object
    (missing entries are kept as they are)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) in (0, len(values)):  # only missing values, or nothing repeats
        return values
    out = np.asarray(uniques, dtype=object).take(np.maximum(codes, 0))
    missing = codes < 0
    if missing.any():
        out[missing] = values[missing]
    return out


def chunk_frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows as `pandas.read_sql` types them (floats coerced), text columns compacted."""
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    for col in [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c])]:
        frame[col] = compacted(frame[col].to_numpy())
    return frame


def fetched_frame(conn: sa.Connection, stmt: sa.TextClause | sa.Select,
                  chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """The result of `stmt` as one frame, fetched and converted chunk by chunk.

    SQLite's cursor already steps through the result lazily: its plain tuples are read
    straight from the driver. Elsewhere the rows stream from a server-side cursor."""
    if conn.dialect.name == "sqlite":
        result = conn.execute(stmt)
        cursor = result.cursor
        batches = iter(lambda: cursor.fetchmany(chunk_rows), [])
    else:
        result = conn.execution_options(yield_per=chunk_rows).execute(stmt)
        batches = result.partitions(chunk_rows)
    columns = list(result.keys())
    parts: list[pd.DataFrame] = []
    enabled = gc.isenabled()
    gc.disable()  # millions of fresh tuples would trigger full collections over and over
    try:
        for rows in batches:
            parts.append(chunk_frame(rows, columns))
            del rows
    finally:
        if enabled:
            gc.enable()
        result.close()
    if not parts:
        return pd.DataFrame.from_records([], columns=columns)
    if len(parts) == 1:
        return parts[0]
    with warnings.catch_warnings():  # all-NULL chunks: their dtype is settled just below
        warnings.simplefilter("ignore", FutureWarning)
        out = pd.concat(parts, ignore_index=True)
    for col in out.columns:  # a chunk of only NULLs may be typed differently from the rest
        if len({p[col].dtype for p in parts}) > 1:
            out[col] = out[col].astype(object).infer_objects()
    return out


def read_all(config: Config, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Every dataset in `names`, read from its configured source (one engine per URL)."""
    engines: dict[str, Engine] = {}
    out: dict[str, pd.DataFrame] = {}
    try:
        for name in names:
            url = config.source_url(name)
            if url not in engines:
                engines[url] = source_engine(url)
                _check_reachable(engines[url], url)
            out[name] = read_dataset(engines[url], name, config.dataset(name), _safe_url(url))
    finally:
        for e in engines.values():
            e.dispose()
    return out


def _check_reachable(engine: Engine, url: str) -> None:
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        if db and db != ":memory:" and not db.startswith("file:"):
            from pathlib import Path

            if not Path(db).is_file():
                raise SourceError(f"cannot connect to source {_safe_url(url)}: no such file {db}")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:  # noqa: BLE001
        cause = str(getattr(e, "orig", e)).splitlines()[0] if str(e) else type(e).__name__
        raise SourceError(f"cannot connect to source {_safe_url(url)}: {cause}",
                          transient=True) from None
