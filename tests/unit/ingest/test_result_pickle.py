"""Persisted task results with large frames as Parquet (sop.ingest.result_pickle)."""

from __future__ import annotations

from dataclasses import dataclass

import cloudpickle
import numpy as np
import pandas as pd
from prefect.serializers import PickleSerializer

from sop.ingest import result_pickle


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
