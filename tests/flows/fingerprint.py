"""What one cycle produced, to compare with what the demo cycle produced before: each
department's packet (text and page), hashed, and the plan rows stored in the warehouse.
The demo cycle's are kept in tests/flows/golden/ (demo_cycle.json: the packets' hashes;
plan_rows/<table>.csv.gz: the rows). A change meant to leave the packets and the plan as
they were (speed, structure) must leave them equal. A change that means to alter them
rewrites them, on purpose:

    SOP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/flows/test_bench_direct.py

Plan rows are compared value by value, numbers within a relative and absolute 1e-9 (the
ten significant digits the hash of the rows kept before): the same code gives figures a few
units in the last place apart on another processor (another vector width sums in another
order), which a hash of the rows would call a change. The packets show rounded figures, so
their text is compared exactly.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from sop.config import DEPARTMENTS

PLAN_TABLES = {"sop_forecasts": ["level", "unique_id", "ds"],
               "sop_balances": ["sku", "warehouse_id", "ds"],
               "sop_alerts": ["alert_key"],
               "sop_budgets": ["version_id", "ds", "region", "category"]}
VOLATILE = {"run_id", "updated_at", "first_seen", "last_seen"}  # the clock, not the plan
PACKET_FILES = ("packet.txt", "packet.html")
TOLERANCE = 1e-9


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def packet_hashes(folder: Path, period: str) -> dict[str, str]:
    """sha256 of each packet file of the cycle whose out/ is in `folder`."""
    out = {}
    for dept in DEPARTMENTS:
        for name in PACKET_FILES:
            page = folder / "out" / "packets" / period / dept / name
            out[f"{dept}/{name}"] = _digest(page.read_bytes())
    return out


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format="%.17g")


def plan_rows(folder: Path) -> dict[str, str]:
    """Each plan table's rows (as CSV, full precision, sorted by key, the clock's columns
    left out) of the cycle whose warehouse.sqlite is in `folder`."""
    engine = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    try:
        out = {}
        for table, key in PLAN_TABLES.items():
            frame = pd.read_sql(f"SELECT * FROM {table}", engine)
            frame = frame.drop(columns=[c for c in VOLATILE if c in frame])
            out[table] = _csv(frame.sort_values(key, ignore_index=True)[sorted(frame.columns)])
        return out
    finally:
        engine.dispose()


def save_plan_rows(rows: dict[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table, text in rows.items():
        (folder / f"{table}.csv.gz").write_bytes(gzip.compress(text.encode(), mtime=0))


def plan_row_differences(rows: dict[str, str], folder: Path) -> dict[str, str]:
    """Per table whose rows differ from those kept in `folder`: what differs."""
    out = {}
    for table, text in rows.items():
        now = pd.read_csv(io.StringIO(text))
        kept = pd.read_csv(folder / f"{table}.csv.gz")
        try:
            pd.testing.assert_frame_equal(now, kept, check_exact=False, rtol=TOLERANCE,
                                          atol=TOLERANCE, check_dtype=False)
        except AssertionError as e:
            out[table] = str(e)[:2000]
    return out
