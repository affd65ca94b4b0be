"""The bench's direct cycle calls the same sop/ functions as the flow's tasks, so the two
store the same plan rows and send the same packets: the flow-vs-direct ratio compares like
with like."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bench.cycle import direct_cycle
from bench.meter import Meter
from flows.monthly import monthly_cycle
from sop.config import load_config
from tests.flows.conftest import END, TODAY, write_config
from tests.flows.fingerprint import PLAN_TABLES as TABLES
from tests.flows.fingerprint import (
    packet_hashes,
    plan_row_differences,
    plan_rows,
    save_plan_rows,
)

GOLDEN = Path(__file__).parent / "golden" / "demo_cycle.json"
GOLDEN_ROWS = Path(__file__).parent / "golden" / "plan_rows"

VOLATILE = {"run_id", "updated_at"}


def _rows(folder, table: str, key: list[str]) -> pd.DataFrame:
    engine = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    frame = pd.read_sql(f"SELECT * FROM {table}", engine)
    engine.dispose()
    return frame.drop(columns=[c for c in VOLATILE if c in frame]).sort_values(key,
                                                                               ignore_index=True)


def test_direct_cycle_stores_what_the_flow_stores(tmp_path, demo_erp):
    (tmp_path / "flow").mkdir()
    (tmp_path / "direct").mkdir()
    flow_cfg = write_config(tmp_path / "flow", demo_erp)
    direct_cfg = write_config(tmp_path / "direct", demo_erp)
    monthly_cycle(config_path=str(flow_cfg), period=END, today=TODAY)
    meter = Meter()
    outcome = direct_cycle(load_config(direct_cfg, os.environ), END, meter, "bench-test",
                           date.fromisoformat(TODAY))
    meter.close()
    assert {"extract", "validate", "forecast", "plan", "render", "deliver"} <= set(meter.stages)
    assert outcome["deliveries"] == ["sent"] * 6
    for table, key in TABLES.items():
        flow, direct = _rows(tmp_path / "flow", table, key), _rows(tmp_path / "direct", table,
                                                                   key)
        assert len(flow) > 0, table
        pd.testing.assert_frame_equal(flow, direct, check_exact=False, rtol=1e-9)
    for dept in ("sales", "procurement", "management"):
        page = f"out/packets/{END}/{dept}/packet.txt"
        assert (tmp_path / "flow" / page).read_text() == (tmp_path / "direct" / page).read_text()
    # what the demo cycle's packets and plan rows were before the data plane changed how
    # they are computed (tests/flows/fingerprint.py says how to renew it on purpose)
    seen = packet_hashes(tmp_path / "flow", END)
    assert packet_hashes(tmp_path / "direct", END) == seen
    rows = plan_rows(tmp_path / "flow")
    if os.environ.get("SOP_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(seen, indent=1, sort_keys=True) + "\n")
        save_plan_rows(rows, GOLDEN_ROWS)
    kept = json.loads(GOLDEN.read_text())
    assert {k: v for k, v in seen.items() if kept.get(k) != v} == {}, "packets changed"
    assert plan_row_differences(rows, GOLDEN_ROWS) == {}, "plan rows changed"
