"""One name for a thing: products, warehouses, customers, materials and suppliers are shown by
their master-data names everywhere (alerts, actions, packets, pushes), the code kept beside
them for the ERP. A code missing from its master is shown as the code itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sop.contracts import dataset

KINDS = {"product": ("products", "sku"), "warehouse": ("warehouses", "warehouse_id"),
         "customer": ("customers", "customer_id"), "material": ("materials", "material_id"),
         "supplier": ("suppliers", "supplier_id")}


def _lookup(frame: pd.DataFrame, key: str) -> dict[str, str]:
    if frame is None or frame.empty or "name" not in frame:
        return {}
    named = frame[frame["name"].notna()].drop_duplicates(key)
    return dict(zip(named[key].astype(str), named["name"].astype(str), strict=True))


@dataclass(frozen=True)
class Names:
    """Code -> name per kind (`KINDS`); `name(kind, code)` falls back to the code."""

    tables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, pd.DataFrame]) -> Names:
        return cls({kind: _lookup(dataset(data, name), key)
                    for kind, (name, key) in KINDS.items()})

    def name(self, kind: str, code: object) -> str:
        if code is None or (isinstance(code, float) and pd.isna(code)):
            return ""
        return self.tables.get(kind, {}).get(str(code), str(code))

    def product(self, sku: object) -> str:
        return self.name("product", sku)

    def warehouse(self, warehouse_id: object) -> str:
        return self.name("warehouse", warehouse_id)

    def customer(self, customer_id: object) -> str:
        return self.name("customer", customer_id)

    def material(self, material_id: object) -> str:
        return self.name("material", material_id)

    def supplier(self, supplier_id: object) -> str:
        return self.name("supplier", supplier_id)

    def at(self, sku: object, warehouse_id: object) -> str:
        """A product at a warehouse, as a head reads it, in any language: 'Audio RK-529
        (Melbourne)'."""
        return f"{self.product(sku)} ({self.warehouse(warehouse_id)})"

    def series_label(self, unique_id: str) -> str:
        """A forecast series id ('sku=ELE-0002|region=Victoria') as a head reads it, in any
        language ('Audio RK-529 (Victoria)')."""
        parts = dict(p.split("=", 1) for p in unique_id.split("|") if "=" in p)
        what = self.product(parts["sku"]) if "sku" in parts else parts.get("category") or (
            parts.get("customer") and self.customer(parts["customer"]))
        region = parts.get("region")
        if what and region:
            return f"{what} ({region})"
        return what or region or ("all products" if unique_id == "total" else unique_id)

    def in_text(self, text: str) -> str:
        """`text` with every forecast series id in it named (`series_label`)."""
        return _SERIES_ID.sub(lambda m: self.series_label(m.group(0)), text)


_SERIES_ID = re.compile(r"(?:sku|category|region|customer)=[^,|()]+(?:\|(?:region)=[^,()]+?)?"
                        r"(?=,| and \d| \(|\)|$)")
