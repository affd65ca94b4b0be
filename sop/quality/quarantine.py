"""The gate's verdict: stop, go on, or go on without the quarantined rows.

A dataset configured `on_error: quarantine` has the rows failing its row-level
critical checks set aside: they are recorded (key, reasons, the row as
extracted) for the warehouse table `sop_quarantine`, and the cycle plans on the
rest, saying so in the packets' notes. The source is never changed: nothing is
deleted or "fixed" there. Table-level critical failures (a missing column, an
empty or collapsed table, stale data) always stop the cycle, as does any
critical failure of a dataset left at the default `on_error: stop`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop.contracts import contract_for
from sop.quality.checks import CheckResult, Finding, key_texts, warnings_of
from sop.quality.notes import plain_note, quarantine_note

QUARANTINE_COLUMNS = ["dataset", "row_key", "reasons", "row_data"]


@dataclass(frozen=True)
class QualityGate:
    """Every check result, the frames to plan on and the rows set aside."""

    results: tuple[CheckResult, ...]
    frames: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=QUARANTINE_COLUMNS))
    failures: tuple[CheckResult, ...] = ()  # critical failures not handled by quarantine

    @property
    def quarantined_counts(self) -> dict[str, int]:
        if self.quarantine.empty:
            return {}
        return {str(k): int(v) for k, v in self.quarantine.groupby("dataset").size().items()}

    @property
    def notes(self) -> list[str]:
        """Lines for the packets' data-quality section, in words (sop.quality.notes):
        quarantines, then warnings."""
        out = [quarantine_note(name, n, len(self.frames[name]) + n, self.results)
               for name, n in self.quarantined_counts.items()]
        return out + [plain_note(r) for r in warnings_of(self.results)]

    @property
    def details(self) -> list[str]:
        """The same for the data team and the run's log: datasets, checks and columns named."""
        out = [f"{name}: {n} quarantined row(s) (table sop_quarantine)"
               for name, n in self.quarantined_counts.items()]
        return out + [r.describe() for r in warnings_of(self.results)]


def _row_data(frame: pd.DataFrame, positions: Sequence[int]) -> list[str]:
    rows = frame.iloc[list(positions)]
    return [json.dumps(rec, default=str, sort_keys=True)
            for rec in rows.astype(object).where(rows.notna(), None).to_dict("records")]


def quarantine_records(frame: pd.DataFrame, dataset: str,
                       reasons: Mapping[int, list[str]]) -> pd.DataFrame:
    """One record per set-aside row: dataset, its key, why, and the row as extracted."""
    positions = sorted(reasons)
    key = contract_for(dataset).key
    return pd.DataFrame({
        "dataset": dataset,
        "row_key": list(key_texts(frame, key, positions, limit=len(positions))),
        "reasons": ["; ".join(reasons[p]) for p in positions],
        "row_data": _row_data(frame, positions),
    }, columns=QUARANTINE_COLUMNS)


def quality_gate(frames: Mapping[str, pd.DataFrame], findings: Sequence[Finding],
                 on_error: Mapping[str, str]) -> QualityGate:
    """The verdict on `frames` given every check's findings and each dataset's on_error."""
    failures: list[CheckResult] = []
    reasons: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        r = f.result
        if r.success or r.severity != "critical":
            continue
        if on_error.get(r.dataset, "stop") == "quarantine" and f.row_level:
            why = f"{r.expectation}({r.column})" if r.column else r.expectation
            why += f": {r.detail}" if r.detail else ""
            for p in f.rows:
                reasons[r.dataset][p].append(why)
        else:
            failures.append(r)
    kept = dict(frames)
    parts = []
    for name, by_row in reasons.items():
        frame = frames[name].reset_index(drop=True)
        mask = np.zeros(len(frame), dtype=bool)
        mask[list(by_row)] = True
        kept[name] = frame[~mask].reset_index(drop=True)
        parts.append(quarantine_records(frame, name, by_row))
    quarantine = (pd.concat(parts, ignore_index=True) if parts
                  else pd.DataFrame(columns=QUARANTINE_COLUMNS))
    return QualityGate(tuple(f.result for f in findings), kept, quarantine, tuple(failures))
