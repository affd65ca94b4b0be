"""Reading the contract datasets from SQL sources, renamed to the contract.

A dataset is a table or a SQL query on a configured SQLAlchemy URL. Reading
only renames (source name -> contract name) and keeps the contract's columns;
types are left as the database gives them, so that the quality gate can report
what does not cast instead of a silent coercion here.
"""

from __future__ import annotations

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
            frame = pd.read_sql(stmt, conn)
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
