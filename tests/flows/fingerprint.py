"""A fingerprint of one cycle's outputs: each department's packet (text and page) and the
plan rows stored in the warehouse, hashed. The demo cycle's fingerprint is kept in
tests/flows/golden/: a change meant to leave the packets and the plan as they were (speed,
structure) must leave it equal. A change that means to alter them rewrites it, on purpose:

    SOP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/flows/test_bench_direct.py
"""

from __future__ import annotations

import hashlib
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


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _table(engine: sa.Engine, table: str, key: list[str]) -> str:
    frame = pd.read_sql(f"SELECT * FROM {table}", engine)
    frame = frame.drop(columns=[c for c in VOLATILE if c in frame])
    frame = frame.sort_values(key, ignore_index=True)[sorted(frame.columns)]
    return _digest(frame.to_csv(index=False, float_format="%.10g").encode())


def cycle_fingerprint(folder: Path, period: str) -> dict[str, str]:
    """sha256 of each packet file and of each plan table's rows, for the cycle whose
    warehouse.sqlite and out/ are in `folder`."""
    out = {}
    for dept in DEPARTMENTS:
        for name in PACKET_FILES:
            page = folder / "out" / "packets" / period / dept / name
            out[f"{dept}/{name}"] = _digest(page.read_bytes())
    engine = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    try:
        for table, key in PLAN_TABLES.items():
            out[table] = _table(engine, table, key)
    finally:
        engine.dispose()
    return out
