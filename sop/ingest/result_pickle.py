"""A pickle library (module-level `dumps` and `loads`) that keeps large frames columnar.

What the cycle's tasks hand each other beyond the datasets (the plan, the demand history, the
forecasts) holds frames of hundreds of thousands of rows; pickled as pandas pickles them,
each text value is its own string in the record. Here every frame of at least `MIN_ROWS`
rows whose columns are all named by text is written as Parquet (zstd) inside the pickle and
read back with the same dtypes, index and values (pandas' own metadata in the file); any
other object, and a frame Arrow cannot type, is pickled as cloudpickle pickles it.
Prefect takes it as `PickleSerializer(picklelib="sop.ingest.result_pickle")` (tasks/common.py).

A task that names the run's snapshot passes references instead: `kept(result, folder)`
writes each large frame of its result into the snapshot (`folder/results/`, named by the
hash of its bytes, so a frame two results share, or a retry writes again, is one file) and
returns the result unchanged; pickled here, such a frame is its file's name and row count,
read back when the result is loaded (the UI's Retry resuming the run). A frame is known by
identity, as `sop.memo` knows its inputs: outputs are never mutated (the rule across sop/),
and a frame whose rows or columns changed since is pickled by value.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import cloudpickle
import pandas as pd
import pyarrow.parquet as pq

from sop.ingest.snapshot import arrow_table, checked_frame, written

MIN_ROWS = 5_000
RESULTS = "results"  # the snapshot's folder of frames kept from task results
T = TypeVar("T")

# id(frame) -> (weak reference to it, file, rows, columns) for frames written by `kept`
_KEPT: dict[int, tuple[weakref.ref, str, int, tuple]] = {}
_LOCK = threading.RLock()  # re-entrant: a weak reference's callback may run while it is held


def parquet_bytes(frame: pd.DataFrame) -> bytes | None:
    """`frame` as Parquet bytes, or None when Arrow would have to change a value's type."""
    if not _text_columns(frame):
        return None
    table = arrow_table(frame)
    if table is None:
        return None
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def frame_from_parquet(blob: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(blob)).to_pandas()


def kept(result: T, folder: str | Path) -> T:
    """`result`, unchanged, with each frame of at least `MIN_ROWS` rows it holds (in a
    dataclass, tuple, list or dict, at any depth) written into `folder/results/`, so that
    `dumps` pickles that frame as a reference to its file. A frame Arrow cannot type
    without changing a value stays pickled by value."""
    for frame in _frames_in(result, 0):
        if len(frame) < MIN_ROWS or _reference(frame) is not None:
            continue
        table = arrow_table(frame) if _text_columns(frame) else None
        if table is None:
            continue
        file = str(Path(folder) / RESULTS / written(frame, Path(folder) / RESULTS, table))
        key = id(frame)
        with _LOCK:
            _KEPT[key] = (weakref.ref(frame, lambda _, k=key: _forget(k)), file, len(frame),
                          tuple(frame.columns))
    return result


def _forget(key: int) -> None:
    with _LOCK:
        entry = _KEPT.get(key)
        if entry is not None and entry[0]() is None:
            del _KEPT[key]


def _frames_in(obj: Any, depth: int) -> Iterator[pd.DataFrame]:
    if type(obj) is pd.DataFrame:
        yield obj
    elif depth > 4:
        return
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            yield from _frames_in(getattr(obj, field.name), depth + 1)
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _frames_in(item, depth + 1)
    elif type(obj) is dict:
        for item in obj.values():
            yield from _frames_in(item, depth + 1)


def _text_columns(frame: pd.DataFrame) -> bool:
    return all(isinstance(c, str) for c in frame.columns) and not frame.columns.has_duplicates


def _reference(frame: pd.DataFrame) -> tuple[str, int] | None:
    """(file, rows) of a frame `kept` wrote and that still has its rows and columns."""
    with _LOCK:
        entry = _KEPT.get(id(frame))
    if entry is None or entry[0]() is not frame:
        return None
    _, file, rows, columns = entry
    if len(frame) != rows or tuple(frame.columns) != columns:
        return None
    return file, rows


def kept_frame(file: str, rows: int) -> pd.DataFrame:
    """The frame `kept` wrote into `file`, as it was (a missing or damaged file is named)."""
    return checked_frame(Path(file), rows, "a task result's frame")


class _Pickler(cloudpickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is pd.DataFrame and len(obj) >= MIN_ROWS:
            reference = _reference(obj)
            if reference is not None:
                return kept_frame, reference
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
