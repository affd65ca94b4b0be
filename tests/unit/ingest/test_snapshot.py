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
from sop.ingest.snapshot import (
    Frames,
    SnapshotError,
    derived_frames,
    pruned_snapshot_files,
    snapshot_of,
)
from sop.ingest.sources import read_all
from sop.ingest.staging import staged_as_of, staged_dataset
from tests.flows.conftest import write_config

END = "2025-08"  # a demo ERP no other test generates (seed 61)
EARLIER = "2025-06"  # a period some of whose lines shipped after it


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


def test_the_stage_is_persisted_as_its_recipe_and_computed_again_when_asked(extracted,
                                                                           tmp_path):
    source = snapshot_of(extracted, tmp_path)
    staged = staged_as_of(source, EARLIER)
    derived = derived_frames(staged, staged_dataset, source, EARLIER)
    assert derived["sales_orders"] is staged["sales_orders"]  # in the run: the frames made
    reference = pickle.dumps(derived)
    assert len(reference) < 6_000  # the source's file names, the function's name, the period
    back = resumed(derived)
    assert list(back) == list(staged) and len(back) == len(staged)
    assert back.recipe[1].loaded("sales_orders") is None  # nothing read until asked for
    for name in reversed(list(staged)):  # sales_orders before shipments: each on its own
        pd.testing.assert_frame_equal(back[name], staged[name], check_exact=True)
    raw = staged_as_of({n: extracted[n] for n in extracted if n != "shipments"}, EARLIER)
    reopened = (staged["sales_orders"]["status"] != raw["sales_orders"]["status"]).sum()
    assert reopened > 0  # the period-end statuses (shipments later than the period) matter here
    assert not (tmp_path / "sales_orders").exists() or len(
        list((tmp_path / "sales_orders").iterdir())) == 1  # the extract's file only
    with pytest.raises(KeyError):
        back["no_such_dataset"]


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
