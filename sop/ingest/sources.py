"""Reading the contract datasets from SQL sources, renamed to the contract.

A dataset is a table or a SQL query on a configured SQLAlchemy URL. Reading
only renames (source name -> contract name) and keeps the contract's columns;
types are left as the database gives them, so that the quality gate can report
what does not cast instead of a silent coercion here.

Sources are read-only by construction: a configured query must be one SELECT (or WITH ...
SELECT) statement, refused before it runs otherwise, and every connection to a source is
read-only (SQLite `PRAGMA query_only`, PostgreSQL and MySQL/MariaDB read-only sessions), so
not even a data-modifying CTE can write. A `columns:` rename from a column the source does
not have is an error, never ignored.

PostgreSQL and SQLite are read through their Arrow drivers (sop.ingest.arrow, same types;
a SQLite table with a column of mixed types through SQLAlchemy), other databases with rows
fetched in chunks (sop.ingest.chunks). An optional dataset (sop.contracts) that the
config does not name and the source does not have is left out (`absent_optional`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.config import Config, DatasetConfig
from sop.contracts import contract_for
from sop.ingest.arrow import ArrowReadError, ArrowTypeMismatch, arrow_driver_for, arrow_frame
from sop.ingest.chunks import fetched_frame


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


READ_ONLY_SESSION = {  # run on every new connection to a source
    "sqlite": "PRAGMA query_only = ON",
    "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "mysql": "SET SESSION TRANSACTION READ ONLY",
    "mariadb": "SET SESSION TRANSACTION READ ONLY",
}


def source_engine(url: str) -> Engine:
    """An engine whose every connection is read-only where the database can say so."""
    try:
        engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    except Exception as e:  # noqa: BLE001
        raise SourceError(f"cannot use source URL {_safe_url(url)}: {e}") from None
    statement = READ_ONLY_SESSION.get(engine.dialect.name)
    if statement:
        @sa.event.listens_for(engine, "connect")
        def _read_only(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()
            if engine.dialect.name != "sqlite":
                dbapi_connection.commit()  # psycopg opens a transaction for the SET
    return engine


_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def read_only_query(name: str, query: str, source_label: str) -> str:
    """`query` when it is a single SELECT or WITH statement (a trailing ';' allowed); a
    SourceError naming the dataset and the source otherwise, before anything runs."""
    bare = _COMMENT.sub(" ", _QUOTED.sub("''", query)).strip().rstrip(";").strip()
    first = bare.split(None, 1)[0].upper() if bare else ""
    if first not in ("SELECT", "WITH") or ";" in bare:
        shown = " ".join(query.split())[:80]
        raise SourceError(f"dataset {name!r}: datasets.{name}.query must be one SELECT "
                          f"statement (the pipeline only reads source {source_label}); got "
                          f"{shown!r}")
    return query.strip().rstrip(";")


def dataset_statement(name: str, spec: DatasetConfig,
                      source_label: str = "?") -> sa.TextClause | sa.Select:
    """The SELECT that reads dataset `name` as configured (table or query)."""
    if spec.query:
        return sa.text(read_only_query(name, spec.query, source_label))
    table = sa.table(spec.table or name)
    return sa.select(sa.text("*")).select_from(table)


def missing_renames(columns: list[str], spec: DatasetConfig) -> list[str]:
    """The `columns:` sources (rename from) that are not among `columns` (any case)."""
    have = {str(c).lower() for c in columns}
    return [src for src in spec.columns if src.lower() not in have]


def renamed(frame: pd.DataFrame, name: str, spec: DatasetConfig,
            source_label: str = "?") -> pd.DataFrame:
    """`frame` with source columns renamed to the contract and only contract columns kept,
    sharing `frame`'s columns (no copy: a fact table would be copied for nothing, the
    reader's frame is not used after). A rename from a column the source does not have is a
    SourceError."""
    contract = contract_for(name)
    missing = missing_renames(list(frame.columns), spec)
    if missing:
        raise SourceError(
            f"dataset {name!r}: datasets.{name}.columns renames {', '.join(map(repr, missing))}, "
            f"not a column of source {source_label} (it has: "
            f"{', '.join(map(str, frame.columns))})")
    lowered = {c.lower(): c for c in frame.columns}
    mapping: dict[str, str] = {}
    for src, dst in spec.columns.items():
        mapping[src if src in frame.columns else lowered[src.lower()]] = dst
    out = frame.rename(columns=mapping, copy=False)
    # Case-insensitive match of contract names (some databases fold identifiers).
    fold = {c.lower(): c for c in out.columns}
    out = out.rename(columns={fold[c.lower()]: c for c in contract.column_names
                              if c not in out.columns and c.lower() in fold}, copy=False)
    keep = [c for c in contract.column_names if c in out.columns]
    return out if keep == list(out.columns) else out.loc[:, keep]


def _read_error(e: sa.exc.DBAPIError, name: str, spec: DatasetConfig,
                source_label: str) -> SourceError:
    """A database error while reading dataset `name`, as a SourceError naming it."""
    msg = str(getattr(e, "orig", None) or e).splitlines()[0]
    # connection lost, server busy: worth retrying
    return _named_error(msg, isinstance(e, sa.exc.OperationalError), name, spec, source_label)


def _named_error(msg: str, transient: bool, name: str, spec: DatasetConfig,
                 source_label: str) -> SourceError:
    what = f"query of dataset {name!r}" if spec.query else f"table {spec.table or name!r}"
    low = msg.lower()
    if "no such table" in low or "doesn't exist" in low or "does not exist" in low:
        return SourceError(f"dataset {name!r}: {what} not found in source {source_label}")
    return SourceError(f"dataset {name!r}: cannot read {what} from source {source_label}: "
                       f"{msg}", transient=transient)


def read_dataset(engine: Engine, name: str, spec: DatasetConfig, source_label: str,
                 arrow: bool = False) -> pd.DataFrame:
    """Read one dataset (through the Arrow driver of sop.ingest.arrow when `arrow`, else, or
    when a column holds values of several types, SQLAlchemy); raises SourceError naming the
    dataset, the source and the cause."""
    stmt = dataset_statement(name, spec, source_label)
    if arrow:
        sql = stmt.text if spec.query else str(stmt.compile(dialect=engine.dialect))
        try:
            return renamed(arrow_frame(engine.url, sql), name, spec, source_label)
        except ArrowTypeMismatch:
            pass  # each value as the source gave it, for the gate to judge
        except ArrowReadError as e:
            raise _named_error(str(e), e.transient, name, spec, source_label) from None
    try:
        with engine.connect() as conn:
            frame = fetched_frame(conn, stmt)
    except sa.exc.DBAPIError as e:
        raise _read_error(e, name, spec, source_label) from None
    return renamed(frame, name, spec, source_label)


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
            if not absent_optional(engines[url], name, config):
                arrow = (config.source_of(name).reader == "auto"
                         and arrow_driver_for(engines[url].url) is not None)
                out[name] = read_dataset(engines[url], name, config.dataset(name),
                                         _safe_url(url), arrow=arrow)
    finally:
        for e in engines.values():
            e.dispose()
    return out


def absent_optional(engine: Engine, name: str, config: Config) -> bool:
    """True for an optional dataset (sop.contracts) that the config does not name and whose
    table the source does not have: it is left out, and readers see it empty."""
    return (contract_for(name).optional and name not in config.datasets
            and not sa.inspect(engine).has_table(name))


def _check_reachable(engine: Engine, url: str) -> None:
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        if db and db != ":memory:" and not db.startswith("file:") and not Path(db).is_file():
            raise SourceError(f"cannot connect to source {_safe_url(url)}: no such file {db}")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:  # noqa: BLE001
        cause = str(getattr(e, "orig", e)).splitlines()[0] if str(e) else type(e).__name__
        raise SourceError(f"cannot connect to source {_safe_url(url)}: {cause}",
                          transient=True) from None


def check_sources(config: Config, names: tuple[str, ...]) -> None:
    """Refuse, before any run starts, what can never be read: a query that is not one SELECT,
    a table that is not there, a rename from a column the source does not have. Reads no row
    (each statement with `WHERE 1=0`); a source that does not answer is left to the run,
    which retries it."""
    engines: dict[str, Engine] = {}
    silent: set[str] = set()  # sources that did not answer: left to the run's retries
    try:
        for name in names:
            url, spec = config.source_url(name), config.dataset(name)
            label = _safe_url(url)
            stmt = dataset_statement(name, spec, label)  # raises for a non-SELECT query
            if url not in engines:
                engines[url] = source_engine(url)
                try:
                    _check_reachable(engines[url], url)
                except SourceError as e:
                    if not e.transient:
                        raise
                    silent.add(url)
            if url in silent or absent_optional(engines[url], name, config):
                continue
            probe = (sa.text(f"SELECT * FROM ({stmt.text}) AS sop_probe WHERE 1=0")
                     if spec.query else stmt.where(sa.false()))
            try:
                with engines[url].connect() as conn:
                    columns = list(conn.execute(probe).keys())
            except sa.exc.DBAPIError as e:
                error = _read_error(e, name, spec, label)
                if error.transient:
                    continue
                raise error from None
            if missing_renames(columns, spec):
                renamed(pd.DataFrame(columns=columns), name, spec, label)  # raises, named
    finally:
        for e in engines.values():
            e.dispose()
