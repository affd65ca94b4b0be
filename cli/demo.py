"""The embedded default: a demo ERP in SQLite, a SQLite warehouse, mail to .eml files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from sop.config import DEPARTMENTS

DEMO_HEADS = {
    "sales": ["sales.head@demo.example"],
    "marketing": ["marketing.head@demo.example"],
    "sales_admin": ["sales.admin.head@demo.example"],
    "supply": ["operations.head@demo.example", "warehouse.lead@demo.example"],
    "procurement": ["procurement.head@demo.example"],
    "management": ["managing.director@demo.example"],
}


DEMO_LOCALES = {"supply": "zh"}


def demo_config(folder: Path) -> dict:
    return {
        "company": "Demo Manufacturing",
        "sources": {"erp": {"url": f"sqlite:///{(folder / 'erp.sqlite').resolve()}"}},
        "warehouse": {"url": f"sqlite:///{(folder / 'warehouse.sqlite').resolve()}"},
        "output_dir": str((folder / "out").resolve()),
        # the source document is Chinese: the production/warehouse/logistics head reads zh
        "departments": {d: {"heads": DEMO_HEADS[d], "locale": DEMO_LOCALES.get(d, "en")}
                        for d in DEPARTMENTS},
    }


def prepare_demo(folder: Path, scale: str, seed: int, period: str) -> Path:
    """Generate the demo ERP (unless the same one is there) and write the demo config."""
    from sop.demo import generate_erp

    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "erp.manifest.json"
    wanted = {"scale": scale, "seed": seed, "end": period}
    erp = folder / "erp.sqlite"
    if not (erp.is_file() and manifest.is_file() and json.loads(manifest.read_text()) == wanted):
        tmp = folder / "erp.sqlite.tmp"
        tmp.unlink(missing_ok=True)
        counts = generate_erp(f"sqlite:///{tmp.resolve()}", scale=scale, seed=seed, end=period)
        tmp.replace(erp)
        manifest.write_text(json.dumps(wanted))
        print(f"demo ERP generated: {erp} ({sum(counts.values()):,} rows)")
    config_path = folder / "sop.yaml"
    config_path.write_text(
        "# Written by `sop demo`: the embedded default (SQLite ERP and warehouse, mail to .eml)\n"
        + yaml.safe_dump(demo_config(folder), sort_keys=False))
    return config_path
