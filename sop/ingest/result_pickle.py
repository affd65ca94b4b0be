"""A pickle library (module-level `dumps` and `loads`) that keeps large frames columnar.

What the cycle's tasks hand each other beyond the datasets (the plan, the demand history, the
forecasts) holds frames of hundreds of thousands of rows; pickled as pandas pickles them,
each text value is its own string in the record. Here every frame of at least `MIN_ROWS`
rows whose columns are all named by text is written as Parquet (zstd) inside the pickle and
read back with the same dtypes, index and values (pandas' own metadata in the file); any
other object, and a frame Arrow cannot type, is pickled as cloudpickle pickles it.
Prefect takes it as `PickleSerializer(picklelib="sop.ingest.result_pickle")` (tasks/common.py).
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import cloudpickle
import pandas as pd
import pyarrow.parquet as pq

from sop.ingest.snapshot import arrow_table

MIN_ROWS = 5_000


def parquet_bytes(frame: pd.DataFrame) -> bytes | None:
    """`frame` as Parquet bytes, or None when Arrow would have to change a value's type."""
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
        return None
    table = arrow_table(frame)
    if table is None:
        return None
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def frame_from_parquet(blob: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(blob)).to_pandas()


class _Pickler(cloudpickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is pd.DataFrame and len(obj) >= MIN_ROWS:
            blob = parquet_bytes(obj)
            if blob is not None:
                return frame_from_parquet, (blob,)
        return super().reducer_override(obj)


def dumps(obj: Any) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return out.getvalue()


def loads(blob: bytes) -> Any:
    return pickle.loads(blob)
