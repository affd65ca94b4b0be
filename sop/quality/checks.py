"""The one result structure of the data-quality gate, whatever computed the check.

GX suites (`sop.quality.suites`) and the cross-dataset checks (`sop.quality.crosschecks`) both
return `Finding`s: a `CheckResult` (what the flow, the CLI, the warehouse and the
packets report) plus the positions of the rows that failed it (what quarantine
sets aside). A failed `critical` check stops the cycle before planning; a failed
`warning` goes on and is listed in the packets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

Severity = Literal["critical", "warning"]
SAMPLE = 5


@dataclass(frozen=True)
class CheckResult:
    dataset: str
    expectation: str
    column: str | None
    severity: Severity
    success: bool
    element_count: int
    unexpected_count: int
    sample_keys: tuple[str, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        where = f"{self.dataset}.{self.column}" if self.column else self.dataset
        text = f"{where}: {self.expectation} failed"
        if self.unexpected_count:
            text += f" on {self.unexpected_count} of {self.element_count} rows"
        if self.sample_keys:
            text += f" (sample keys: {', '.join(self.sample_keys)})"
        if self.detail:
            text += f" - {self.detail}"
        return text

    def as_row(self) -> dict:
        row = asdict(self)
        row["sample_keys"] = list(self.sample_keys)
        return row


@dataclass(frozen=True)
class Finding:
    """A check result and the positions (0-based, in the frame as extracted) of its bad rows.

    `rows` is empty for table-level checks (a missing column, a row count), which no
    quarantine can repair.
    """

    result: CheckResult
    rows: tuple[int, ...] = ()

    @property
    def row_level(self) -> bool:
        return bool(self.rows)


class QualityGateError(RuntimeError):
    """Critical data-quality failures; the message names dataset, check, column and keys."""

    def __init__(self, failures: list[CheckResult]):
        self.failures = failures
        head = f"data-quality gate stopped the cycle: {len(failures)} critical check(s) failed: "
        super().__init__(head + "; ".join(f.describe() for f in failures))

    def __reduce__(self):  # keep the failures when Prefect pickles the exception
        return (type(self), (self.failures,))


def critical_failures(results: Iterable[CheckResult]) -> list[CheckResult]:
    return [r for r in results if not r.success and r.severity == "critical"]


def warnings_of(results: Iterable[CheckResult]) -> list[CheckResult]:
    return [r for r in results if not r.success and r.severity == "warning"]


def key_texts(frame: pd.DataFrame, key: Sequence[str], positions: Sequence[int],
              limit: int = SAMPLE) -> tuple[str, ...]:
    """Up to `limit` row keys ('O1/2') of the rows at `positions`; 'row N' without a key."""
    picked = np.asarray(positions[:limit], dtype=np.int64)
    if not len(picked):
        return ()
    cols = [k for k in key if k in frame.columns]
    if not cols:
        return tuple(f"row {int(p)}" for p in picked)
    sample = frame.iloc[picked][cols].astype(str)
    return tuple("/".join(r) for r in sample.itertuples(index=False, name=None))


def finding(dataset: str, expectation: str, column: str | None, severity: Severity,
            frame: pd.DataFrame, key: Sequence[str], bad: pd.Series | np.ndarray | None,
            detail: str = "", failed: bool | None = None) -> Finding:
    """A Finding from a boolean mask of bad rows (row-level) or an explicit verdict."""
    positions = np.flatnonzero(np.asarray(bad, dtype=bool)) if bad is not None else np.array([])
    success = not len(positions) if failed is None else not failed
    result = CheckResult(dataset, expectation, column, severity, success, len(frame),
                         len(positions), key_texts(frame, key, positions),
                         detail if not success else "")
    return Finding(result, tuple(int(p) for p in positions))
