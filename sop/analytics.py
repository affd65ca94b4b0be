"""The embedded analytical engine (DuckDB): sums over a run's fact frames computed where the
columns are, so that pandas receives the aggregated rows, not a Python object per order line.

Frames are read in place (DuckDB scans pandas columns; NaN, None and NaT are NULL), in an
in-memory database opened for one call and closed after it: nothing is written anywhere.
Rules that decide by a value's text (which statuses count as demand, how a scope is
lower-cased) stay in Python and are applied to the distinct values only, handed to the query
as small tables, so the engine and pandas can never disagree on them.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd


def queried(tables: Mapping[str, pd.DataFrame], queries: Mapping[str, str],
            views: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The result of each of `queries` (name -> SELECT) as a frame, over `tables` (name ->
    frame, read in place) and `views` (name -> SELECT over the tables, defined first)."""
    con = duckdb.connect(":memory:")
    try:
        for name, frame in tables.items():
            con.register(name, frame)
        for name, sql in (views or {}).items():
            con.execute(f'CREATE TEMP VIEW "{name}" AS {sql}')
        return {name: con.execute(sql).df() for name, sql in queries.items()}
    finally:
        con.close()


def distinct_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """The distinct non-missing values of `frame[column]`, found by the engine."""
    found = queried({"t": frame[[column]]},
                    {"v": f'SELECT DISTINCT "{column}" AS v FROM t WHERE "{column}" IS NOT NULL'})
    return found["v"]["v"]
