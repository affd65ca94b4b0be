"""Persisted task results with large frames as Parquet (sop.ingest.result_pickle)."""

from __future__ import annotations

from dataclasses import dataclass

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from prefect.serializers import PickleSerializer

from sop.ingest import result_pickle
from sop.ingest.snapshot import SnapshotError


@dataclass(frozen=True)
class Held:  # a result holding frames, as the plan does
    monthly: pd.DataFrame
    small: pd.DataFrame
    odd: pd.DataFrame
    note: str


def frames(n: int = 40_000, seed: int = 5) -> Held:
    rng = np.random.default_rng(seed)
    skus = np.array([f"SKU-{i:04d}" for i in range(300)], dtype=object)
    monthly = pd.DataFrame({
        "ds": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"),
        "sku": skus[rng.integers(0, 300, n)],
        "region": pd.Categorical(rng.choice(["North", "South", "东部"], n)),
        "qty": rng.gamma(2.0, 40.0, n).round(0),
        "revenue": np.where(rng.random(n) < 0.01, np.nan, rng.gamma(2.0, 900.0, n)),
        "promo": np.where(rng.random(n) < 0.9, None, "P1"),
    }, index=pd.RangeIndex(10, 10 + 2 * n, 2))
    odd = pd.DataFrame({0: range(n), "mixed": [1, "a"] * (n // 2)})  # Arrow cannot type it
    return Held(monthly, monthly.head(10), odd, "same")


def test_large_frames_come_back_exactly_and_smaller():
    held = frames()
    blob = result_pickle.dumps(held)
    back = result_pickle.loads(blob)
    pd.testing.assert_frame_equal(back.monthly, held.monthly, check_exact=True)
    pd.testing.assert_frame_equal(back.small, held.small, check_exact=True)
    pd.testing.assert_frame_equal(back.odd, held.odd, check_exact=True)
    assert back.note == "same"
    plain = len(cloudpickle.dumps(held))
    only_odd = len(cloudpickle.dumps(held.odd))
    assert len(blob) - only_odd < 0.6 * (plain - only_odd)  # the Parquet part is smaller


def test_prefect_reads_the_results_with_it():
    serializer = PickleSerializer(picklelib="sop.ingest.result_pickle")
    held = frames(n=6_000, seed=9)
    back = serializer.loads(serializer.dumps(held))
    pd.testing.assert_frame_equal(back.monthly, held.monthly, check_exact=True)
    assert result_pickle.parquet_bytes(held.odd) is None


def test_a_kept_result_is_pickled_as_references_to_its_snapshot_files(tmp_path):
    held = frames(n=20_000, seed=3)
    assert result_pickle.kept(held, tmp_path) is held  # the result itself, unchanged
    blob = result_pickle.dumps(held)
    by_value = len(result_pickle.dumps(held.odd)) + len(result_pickle.dumps(held.small))
    assert len(blob) - by_value < 4_096  # `monthly` is its file's name and row count
    files = sorted((tmp_path / result_pickle.RESULTS).iterdir())
    assert [f.suffix for f in files] == [".parquet"]  # `odd` stays by value: Arrow can't type it
    back = result_pickle.loads(blob)
    pd.testing.assert_frame_equal(back.monthly, held.monthly, check_exact=True)
    pd.testing.assert_frame_equal(back.odd, held.odd, check_exact=True)
    assert back.note == "same"


def test_a_frame_two_results_share_is_one_file(tmp_path):
    held = frames(n=8_000, seed=4)
    again = frames(n=8_000, seed=4)  # other objects, the same content
    result_pickle.kept((held.monthly, {"again": held}), tmp_path)
    result_pickle.kept(again, tmp_path)
    assert len(list((tmp_path / result_pickle.RESULTS).iterdir())) == 1


def test_a_frame_changed_after_it_was_kept_is_pickled_as_it_is_now(tmp_path):
    held = frames(n=8_000, seed=6)
    result_pickle.kept(held, tmp_path)
    held.monthly["later"] = 1.0  # outputs are never mutated; if one is, nothing is lost
    back = result_pickle.loads(result_pickle.dumps(held))
    pd.testing.assert_frame_equal(back.monthly, held.monthly, check_exact=True)


def test_a_missing_kept_file_is_named(tmp_path):
    held = frames(n=8_000, seed=8)
    result_pickle.kept(held, tmp_path)
    blob = result_pickle.dumps(held)
    (file,) = (tmp_path / result_pickle.RESULTS).iterdir()
    file.unlink()
    with pytest.raises(SnapshotError, match=file.name):
        result_pickle.loads(blob)


def test_dicts_in_a_column_come_back_as_they_were(tmp_path):
    n = 6_000  # Arrow would make them a struct column, with a None for every missing key
    odd = pd.DataFrame({"key": [f"k{i}" for i in range(n)],
                        "figures": [{"a": i} if i % 2 else {"b": [i]} for i in range(n)]})
    result_pickle.kept(odd, tmp_path)
    assert not (tmp_path / result_pickle.RESULTS).exists()
    back = result_pickle.loads(result_pickle.dumps(odd))
    assert back["figures"].tolist() == odd["figures"].tolist()
