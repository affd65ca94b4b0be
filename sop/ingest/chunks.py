"""Fetching a statement's rows in chunks, straight from the driver's cursor.

Rows are fetched in chunks of CHUNK_ROWS (server-side on PostgreSQL). Each chunk becomes a
frame as `pandas.read_sql` would make it, and each of its text (object) columns is
compacted: equal values share one Python object, so a fact table's repeated ids, statuses
and dates cost a pointer per row instead of a string each. Values and dtypes are those of a
whole-table `read_sql`; memory is bounded by one chunk of raw rows plus the compacted frame.
"""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pandas as pd
import sqlalchemy as sa

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
