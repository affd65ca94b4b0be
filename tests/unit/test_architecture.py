"""docs/ARCHITECTURE.md names real code: every dotted name in it (sop.x.y.name, tasks...,
flows..., reports...) imports, and every file path it names exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
PACKAGES = ("sop", "tasks", "flows", "reports", "cli", "bench")
NOT_CODE = ("sop.alert.", "sop.consensus.approved.")  # Prefect event names, not modules


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_dotted_name_in_the_map_exists():
    names = set(re.findall(rf"\b((?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+)", DOC))
    names = {n for n in names if not n.endswith((".py", ".md", ".yaml", ".json"))
             and not (n + ".").startswith(NOT_CODE)}
    assert len(names) > 20, names
    missing = sorted(n for n in names if not _resolves(n))
    assert missing == [], f"docs/ARCHITECTURE.md names what the code no longer has: {missing}"


def test_every_path_in_the_map_exists():
    paths = set(re.findall(r"\b((?:sop|tasks|flows|reports|cli|tests|bench|deployments)"
                           r"/[\w/]+\.(?:py|yaml))", DOC))
    assert len(paths) > 5, paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == [], f"docs/ARCHITECTURE.md names missing files: {missing}"


def test_every_warehouse_table_and_flow_is_in_the_map():
    from sop import warehouse

    tables = {t.name for t in warehouse.metadata.sorted_tables}
    assert len(tables) >= 14
    assert sorted(t for t in tables if f"`{t}`" not in DOC) == []
    flows = set(re.findall(r'@flow\(name="([\w-]+)"', "".join(
        p.read_text() for p in (ROOT / "flows").glob("*.py"))))
    assert len(flows) == 5 and sorted(f for f in flows if f not in DOC) == []
