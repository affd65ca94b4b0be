"""Run records: a fingerprint of the input snapshot, so a packet traces to its data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import pandas as pd

from sop.contracts import contract_for


def snapshot_summary(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    """Rows and newest date per dataset."""
    out = {}
    for name, frame in frames.items():
        col = contract_for(name).date_column
        newest = None
        if col and col in frame and len(frame):
            value = pd.to_datetime(frame[col], errors="coerce").max()
            newest = None if pd.isna(value) else value.strftime("%Y-%m-%d")
        out[name] = {"rows": int(len(frame)), "newest": newest}
    return out


def snapshot_hash(summary: Mapping[str, dict]) -> str:
    blob = json.dumps(summary, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
