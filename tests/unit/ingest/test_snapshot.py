"""The run's snapshot (sop.ingest.snapshot): what a retried run reads instead of the sources."""

from __future__ import annotations

import os
import pickle
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from sop.config import load_config
from sop.contracts import CYCLE_DATASETS
from sop.ingest.snapshot import Frames, SnapshotError, pruned_snapshot_files, snapshot_of
from sop.ingest.sources import read_all
from sop.ingest.staging import staged_as_of
from tests.flows.conftest import write_config

END = "2025-08"  # a demo ERP no other test generates (seed 61)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    from sop.demo import generate_erp

    folder = tmp_path_factory.mktemp("snapshot-erp")
    url = f"sqlite:///{folder / 'erp.sqlite'}"
    generate_erp(url, scale="small", seed=61, end=END)
    return read_all(load_config(write_config(folder, url), {}), CYCLE_DATASETS)


def resumed(frames: Frames) -> Frames:
    """As a process resuming the run gets it: unpickled from the persisted result."""
    return pickle.loads(pickle.dumps(frames))


def test_every_dataset_comes_back_exactly_as_extracted_and_as_staged(extracted, tmp_path):
    snap = snapshot_of(extracted, tmp_path)
    reference = pickle.dumps(snap)
    assert len(reference) < 4_000  # the persisted result: names and rows, no frame
    back = resumed(snap)
    assert back.loaded("sales_orders") is None  # nothing read until asked for
    assert list(back) == list(extracted)
    for name, frame in extracted.items():
        pd.testing.assert_frame_equal(back[name], frame, check_exact=True)
        assert snap.file_of(name).suffix == ".parquet"

    staged = staged_as_of(extracted, END)
    again = resumed(snapshot_of(staged, tmp_path))
    for name, frame in staged.items():
        pd.testing.assert_frame_equal(again[name], frame, check_exact=True)


def test_a_column_arrow_cannot_type_is_kept_as_the_source_gave_it(tmp_path):
    dirty = pd.DataFrame({"qty": [1, "12a", None, 3.5], "price": [Decimal("1.10")] * 4,
                          "sku": ["A", "B", "A", None]})
    snap = snapshot_of({"sales_orders": dirty}, tmp_path)
    assert snap.file_of("sales_orders").suffix == ".pkl"
    back = resumed(snap)["sales_orders"]
    assert [type(v) for v in back["qty"]] == [int, str, type(None), float]
    assert back["qty"].tolist()[:2] == [1, "12a"] and back["price"].tolist()[0] == Decimal("1.10")


def test_the_same_content_is_one_file_and_only_what_changed_is_written(extracted, tmp_path):
    first = snapshot_of(extracted, tmp_path)
    files = sorted(tmp_path.rglob("*"))
    second = snapshot_of(extracted, tmp_path)  # a re-run on the same data
    assert second.files == first.files and sorted(tmp_path.rglob("*")) == files

    orders = extracted["sales_orders"]
    kept = orders[orders["qty"] > orders["qty"].median()]  # as the gate sets rows aside
    gated = {**extracted, "sales_orders": kept}
    third = snapshot_of(gated, tmp_path, known=first)
    changed = {n for n in third.files if third.files[n] != first.files[n]}
    assert changed == {"sales_orders"}
    assert third.files["sales_orders"][1] == len(kept) < len(orders)
    back = resumed(third)["sales_orders"]
    pd.testing.assert_frame_equal(back, kept, check_exact=True)  # the gaps in the index too
    assert not back.index.equals(pd.RangeIndex(len(kept)))


def test_a_missing_or_damaged_file_is_named(extracted, tmp_path):
    snap = snapshot_of({"products": extracted["products"],
                        "customers": extracted["customers"]}, tmp_path)
    snap.file_of("products").unlink()
    with pytest.raises(SnapshotError, match=r"dataset 'products': cannot read snapshot file .*products"):
        resumed(snap)["products"]
    path = snap.file_of("customers")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(SnapshotError, match="dataset 'customers'"):
        resumed(snap)["customers"]


def test_old_files_are_pruned_and_files_a_run_reuses_are_kept(extracted, tmp_path):
    snap = snapshot_of({"products": extracted["products"],
                        "customers": extracted["customers"]}, tmp_path)
    old = 1_000_000_000.0  # 2001: long before any keep_days
    for name in snap:
        os.utime(snap.file_of(name), (old, old))
    snapshot_of({"products": extracted["products"]}, tmp_path)  # reused: fresh again
    now = Path(snap.file_of("products")).stat().st_mtime
    gone = pruned_snapshot_files(tmp_path, keep_days=35, now=now)
    assert gone == [snap.file_of("customers")]
    assert snap.file_of("products").is_file() and not snap.file_of("customers").exists()


def test_the_snapshot_location_is_relative_to_the_config_or_under_the_outputs(tmp_path):
    cfg = write_config(tmp_path, "sqlite:///erp.sqlite")
    config = load_config(cfg, {})
    assert Path(config.snapshot_location) == Path(config.output_dir) / "snapshots"
    cfg = write_config(tmp_path, "sqlite:///erp.sqlite",
                       snapshots={"location": "shared/snaps", "keep_days": 7})
    config = load_config(cfg, {})
    assert config.snapshot_location == str((tmp_path / "shared" / "snaps").resolve())
    assert config.snapshots.keep_days == 7
