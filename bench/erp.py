"""The benchmark's demo ERPs: generated once per (scale, seed, end, database), then reused.

SQLite: one file per scale under `bench/data/` (gitignored) with a marker file beside it.
PostgreSQL: one schema per scale (`erp_<scale>`) in the database `sop_bench` (created when
missing), with the marker in a table of that schema. The marker records what was generated,
the row counts and how long it took, and is written last, so an interrupted generation is
redone on the next run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import sqlalchemy as sa

from sop.demo import generate_erp

DATA = Path(__file__).parent / "data"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DB = "sop_bench"
MARKER_TABLE = "bench_marker"


def pg_url(schema: str | None = None, server: str = PG_SERVER) -> str:
    """The bench database, optionally with `schema` first on the search path."""
    url = f"{server}/{PG_DB}"
    return f"{url}?options=-csearch_path%3D{schema}" if schema else url


def ensure_pg_database(server: str = PG_SERVER) -> None:
    """Create the database `sop_bench` if it is missing (nothing else is touched)."""
    engine = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": PG_DB}).scalar()
            if not found:
                conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    finally:
        engine.dispose()


def reset_pg_schema(schema: str, server: str = PG_SERVER) -> None:
    """Drop and recreate one schema of `sop_bench` (an ERP or a run's warehouse)."""
    engine = sa.create_engine(pg_url(server=server), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def wanted(scale: str, seed: int, end: str) -> dict:
    return {"scale": scale, "seed": seed, "end": end}


def _sqlite_marker(path: Path) -> Path:
    return path.with_suffix(".marker.json")


def _read_marker(db: str, scale: str, server: str) -> dict | None:
    if db == "sqlite":
        marker = _sqlite_marker(DATA / f"erp-{scale}.sqlite")
        return json.loads(marker.read_text()) if marker.is_file() else None
    engine = sa.create_engine(pg_url(f"erp_{scale}", server))
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(MARKER_TABLE, schema=f"erp_{scale}"):
                return None
            return json.loads(conn.execute(sa.text(f"SELECT info FROM {MARKER_TABLE}")).scalar())
    finally:
        engine.dispose()


def _write_marker(db: str, scale: str, server: str, info: dict) -> None:
    if db == "sqlite":
        _sqlite_marker(DATA / f"erp-{scale}.sqlite").write_text(json.dumps(info, indent=1))
        return
    engine = sa.create_engine(pg_url(f"erp_{scale}", server))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {MARKER_TABLE} (info TEXT)"))
            conn.execute(sa.text(f"INSERT INTO {MARKER_TABLE} VALUES (:i)"),
                         {"i": json.dumps(info)})
    finally:
        engine.dispose()


def prepared_erp(db: str, scale: str, seed: int, end: str, server: str = PG_SERVER
                 ) -> tuple[str, dict]:
    """(URL of the ERP, its marker): generated unless the same one is already there. The
    marker's `generated_s` / `generated_cpu_s` are the generation's wall and CPU seconds;
    `reused` is true when nothing was generated in this call."""
    if db == "postgresql":
        ensure_pg_database(server)
        url = pg_url(f"erp_{scale}", server)
    else:
        DATA.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{(DATA / f'erp-{scale}.sqlite').resolve()}"
    marker = _read_marker(db, scale, server)
    if marker and {k: marker.get(k) for k in ("scale", "seed", "end")} == wanted(scale, seed, end):
        return url, marker | {"reused": True}
    if db == "postgresql":
        reset_pg_schema(f"erp_{scale}", server)
    else:
        _sqlite_marker(DATA / f"erp-{scale}.sqlite").unlink(missing_ok=True)
        (DATA / f"erp-{scale}.sqlite").unlink(missing_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    counts = generate_erp(url, scale=scale, seed=seed, end=end)
    info = wanted(scale, seed, end) | {
        "rows": counts, "generated_s": round(time.perf_counter() - t0, 1),
        "generated_cpu_s": round(time.process_time() - c0, 1)}
    _write_marker(db, scale, server, info)
    return url, info | {"reused": False}
