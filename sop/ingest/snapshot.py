"""A run's datasets as a columnar snapshot: files named by their content, passed by reference.

`snapshot_of(frames, folder)` writes each frame once into `folder/<dataset>/` as Parquet (Arrow types,
pandas metadata: dtypes and index come back as they were) and returns a `Frames`: a read-only
mapping of dataset name -> frame that holds the frames it was made from, and pickles as a
reference (folder, file names, rows), never as the frames. A task that returns it has a
persisted result of a few hundred bytes; a process that loads that result (the UI's Retry
resuming a run) reads each frame from its file when first asked for it.

A file's name is the hash of its bytes, so the same data is written once however many runs
or retries see it, and a file is never half-written under its final name (written aside,
then renamed). A frame that Arrow cannot type without changing a value (a column holding
both numbers and text, as a dirty source may give the quality gate to report) is kept as a
pickle instead, under the same naming rule: the snapshot never alters what it was given.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PARQUET, PICKLE = "parquet", "pkl"


class SnapshotError(RuntimeError):
    """A snapshot file is missing or unreadable; the message names the dataset and file."""


def arrow_table(frame: pd.DataFrame) -> pa.Table | None:
    """`frame` as an Arrow table, or None when Arrow would have to change a value's type."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError,
            ValueError):
        return None
    # a column of dicts or lists becomes a struct or list column, which reads back with keys
    # and shapes the values did not have (a missing key as None): kept as Python objects
    if any(pa.types.is_nested(f.type) for f in table.schema):
        return None
    return table


def written(frame: pd.DataFrame, folder: Path, table: pa.Table | None = None) -> str:
    """Write `frame` (as `table`, its Arrow form, when given) into `folder` under the hash of
    its bytes; the file's name."""
    folder.mkdir(parents=True, exist_ok=True)
    table = table if table is not None else arrow_table(frame)
    kind = PARQUET if table is not None else PICKLE
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".writing-", suffix="." + kind)
    try:
        with os.fdopen(fd, "wb") as out:
            if table is not None:
                pq.write_table(table, out, compression="zstd")
            else:
                pickle.dump(frame, out, protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256()
        with open(tmp, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        name = f"{digest.hexdigest()[:32]}.{kind}"
        if (folder / name).exists():
            os.unlink(tmp)  # the same content is already there: kept fresh for pruning
            os.utime(folder / name)
        else:
            os.replace(tmp, folder / name)
        return name
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_frame(path: Path) -> pd.DataFrame:
    if path.suffix == "." + PICKLE:
        with open(path, "rb") as f:
            return pickle.load(f)
    return pq.read_table(path).to_pandas()


def checked_frame(path: Path, rows: int, what: str) -> pd.DataFrame:
    """The frame in the snapshot file `path`, which must hold `rows` rows (a missing,
    damaged or changed file is an error naming `what` and the file)."""
    try:
        frame = read_frame(path)
    except (OSError, pa.ArrowException, pickle.UnpicklingError, EOFError) as e:
        raise SnapshotError(f"{what}: cannot read snapshot file {path}: {e}") from None
    if len(frame) != rows:
        raise SnapshotError(f"{what}: snapshot file {path} holds {len(frame)} rows, "
                            f"{rows} were written")
    return frame


class Frames(Mapping[str, pd.DataFrame]):
    """Dataset name -> frame, backed by snapshot files or derived from other frames by a
    recipe; pickles as a reference."""

    def __init__(self, folder: str, files: Mapping[str, tuple[str, int]],
                 frames: Mapping[str, pd.DataFrame] | None = None,
                 recipe: tuple[Callable, Mapping[str, pd.DataFrame], tuple] | None = None):
        self.folder = str(folder)
        self.files = dict(files)  # name -> (file name, rows)
        self._frames = dict(frames or {})
        # (make, source, args): the frame of a name of `source` is make(source, name, *args)
        self.recipe = recipe

    def __reduce__(self):
        return (Frames, (self.folder, self.files, None, self.recipe))

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            if name not in self.files and self.recipe is not None:
                make, source, args = self.recipe
                if name not in source:
                    raise KeyError(name)
                self._frames[name] = make(source, name, *args)
                return self._frames[name]
            file, rows = self.files[name]  # KeyError for a dataset the snapshot lacks
            self._frames[name] = checked_frame(Path(self.folder) / file, rows,
                                               f"dataset {name!r}")
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.recipe[1] if self.recipe is not None else self.files)

    def __len__(self) -> int:
        return len(self.recipe[1] if self.recipe is not None else self.files)

    def __repr__(self) -> str:
        if self.recipe is not None:
            make, source, args = self.recipe
            return f"Frames({make.__name__} of {source!r}, {args!r})"
        shown = ", ".join(f"{n}={rows}" for n, (_, rows) in self.files.items())
        return f"Frames({self.folder}: {shown})"

    def file_of(self, name: str) -> Path:
        return Path(self.folder) / self.files[name][0]

    def loaded(self, name: str) -> pd.DataFrame | None:
        """The frame of `name` if it is in memory (no read)."""
        return self._frames.get(name)


def snapshot_of(frames: Mapping[str, pd.DataFrame], folder: str | Path,
                known: Mapping[str, pd.DataFrame] | None = None) -> Frames:
    """`frames` written into `folder` (when `known` is a Frames, a frame that is, as an object,
    one of its frames is not written again: its file is reused), as a Frames holding them."""
    if not isinstance(known, Frames):
        known = None
    files: dict[str, tuple[str, int]] = {}
    for name, frame in frames.items():
        if known is not None and name in known.files and known.loaded(name) is frame:
            files[name] = known.files[name]
            continue
        files[name] = (f"{name}/{written(frame, Path(folder) / name)}", len(frame))
    return Frames(str(folder), files, frames)


def derived_frames(frames: Mapping[str, pd.DataFrame], make: Callable,
                   source: Mapping[str, pd.DataFrame], *args) -> Frames:
    """`frames` (each `make(source, name, *args)`, already computed) as a Frames that pickles
    as the recipe: `source` (a Frames pickles as its own reference), `make` (a module-level
    function, pickled by name) and `args`. Nothing is written; a process that loads it
    computes a frame again when first asked for it. For a step as cheap to repeat as to
    read back (staging), and as deterministic."""
    if list(frames) != list(source):
        raise ValueError(f"derived frames {list(frames)} do not match their source's "
                         f"{list(source)}")
    folder = source.folder if isinstance(source, Frames) else ""
    return Frames(folder, {}, frames, (make, source, tuple(args)))


def pruned_snapshot_files(folder: str | Path, keep_days: float, now: float) -> list[Path]:
    """Delete the snapshot files in `folder` not written nor reused for `keep_days` before
    `now` (seconds since the epoch); the files deleted."""
    gone = []
    for path in sorted(Path(folder).glob("*/*")):
        if path.is_file() and now - path.stat().st_mtime > keep_days * 86400:
            path.unlink(missing_ok=True)
            gone.append(path)
    return gone
