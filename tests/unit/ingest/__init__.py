"""Tests of reading, snapshotting and persisting the datasets (sop/ingest)."""

from __future__ import annotations

from sop.config import DEPARTMENTS, Config, config_from_mapping


def source_config(url: str, reader: str = "auto", datasets: dict | None = None) -> Config:
    """A config whose only source is `url`, read by `reader`."""
    return config_from_mapping({
        "sources": {"erp": {"url": url, "reader": reader}},
        "datasets": datasets or {},
        "warehouse": {"url": "sqlite://"},
        "departments": {d: {"heads": [f"{d}@example.com"]} for d in DEPARTMENTS},
    }, {})
