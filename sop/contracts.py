"""Data contracts: the 19 datasets the pipeline reads, declared once.

A contract fixes a dataset's column names, logical types, key and, for fact
datasets, the date column that carries time (used for freshness checks and
incremental extraction). Source tables are renamed to these names on read;
staging casts to these types. Everything downstream relies on this module only.

Seventeen are required (a source must have each, possibly empty). Two are optional:
`market_prices` (external index prices per material and month, such as a copper or resin
index) and `forecast_adjustments` (the demand review's adjustments, for a company that
collects them elsewhere than in the review workbook); a company that records none has no
such table, and every reader treats it as empty; named under `datasets:`, it is required.
The monthly cycle reads CYCLE_DATASETS; `forecast_adjustments` is read only by
`sop consensus import --from-source`, which checks it row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

LogicalType = Literal["string", "int", "number", "date"]


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType
    nullable: bool = False


@dataclass(frozen=True)
class Contract:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    kind: Literal["master", "fact", "plan"]
    date_column: str | None = None
    references: dict[str, str] = field(default_factory=dict)  # column -> master dataset
    optional: bool = False  # a source may not have it at all (unless configured)
    cycle: bool = True  # read by the monthly cycle (else only by the command that uses it)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse 'name:type[?]' tokens; a trailing '?' marks a nullable column."""
    out = []
    for token in spec.split():
        name, typ = token.split(":")
        nullable = typ.endswith("?")
        out.append(Column(name, typ.rstrip("?"), nullable))  # type: ignore[arg-type]
    return tuple(out)


CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in [
        Contract(
            "products",
            _cols("sku:string name:string category:string family:string unit_cost:number "
                  "list_price:number status:string launch_date:date"),
            key=("sku",), kind="master",
        ),
        Contract(
            "customers",
            _cols("customer_id:string name:string region:string channel:string credit_limit:number"),
            key=("customer_id",), kind="master",
        ),
        Contract(
            "warehouses",
            _cols("warehouse_id:string name:string region:string kind:string"),
            key=("warehouse_id",), kind="master",
        ),
        Contract(
            "sales_orders",
            _cols("order_id:string line_no:int order_date:date requested_date:date "
                  "customer_id:string sku:string qty:number unit_price:number status:string "
                  "promo_id:string?"),
            key=("order_id", "line_no"), kind="fact", date_column="order_date",
            references={"customer_id": "customers", "sku": "products", "promo_id": "promotions"},
        ),
        Contract(
            "shipments",
            _cols("shipment_id:string line_no:int order_id:string ship_date:date sku:string "
                  "qty:number warehouse_id:string"),
            key=("shipment_id", "line_no"), kind="fact", date_column="ship_date",
            references={"sku": "products", "warehouse_id": "warehouses"},
        ),
        Contract(
            "returns",
            _cols("return_id:string order_id:string sku:string qty:number return_date:date "
                  "reason:string"),
            key=("return_id",), kind="fact", date_column="return_date",
            references={"sku": "products"},
        ),
        Contract(
            "invoices",
            _cols("invoice_id:string customer_id:string order_id:string invoice_date:date "
                  "due_date:date amount:number paid_amount:number status:string paid_date:date?"),
            key=("invoice_id",), kind="fact", date_column="invoice_date",
            references={"customer_id": "customers"},
        ),
        Contract(
            "channel_inventory",
            _cols("period:date customer_id:string sku:string sell_out_qty:number stock_qty:number"),
            key=("period", "customer_id", "sku"), kind="fact", date_column="period",
            references={"customer_id": "customers", "sku": "products"},
        ),
        Contract(
            "promotions",
            _cols("promo_id:string name:string start_date:date end_date:date region:string "
                  "category:string kind:string budget:number"),
            key=("promo_id",), kind="master",
        ),
        Contract(
            "inventory",
            _cols("snapshot_date:date warehouse_id:string item_id:string item_type:string "
                  "on_hand:number allocated:number in_transit:number safety_stock:number"),
            key=("snapshot_date", "warehouse_id", "item_id"), kind="fact",
            date_column="snapshot_date",
            references={"warehouse_id": "warehouses"},
        ),
        Contract(
            "materials",
            _cols("material_id:string name:string category:string unit:string"),
            key=("material_id",), kind="master",
        ),
        Contract(
            "bom",
            _cols("sku:string material_id:string qty_per_unit:number"),
            key=("sku", "material_id"), kind="master",
            references={"sku": "products", "material_id": "materials"},
        ),
        Contract(
            "suppliers",
            _cols("supplier_id:string name:string contract_lead_time_days:int status:string"),
            key=("supplier_id",), kind="master",
        ),
        Contract(
            "purchase_orders",
            _cols("po_id:string line_no:int supplier_id:string material_id:string "
                  "order_date:date promised_date:date? received_date:date? qty:number "
                  "received_qty:number? unit_price:number"),
            key=("po_id", "line_no"), kind="fact", date_column="order_date",
            references={"supplier_id": "suppliers", "material_id": "materials"},
        ),
        Contract(
            "production_plan",
            _cols("plan_week:date line_id:string sku:string planned_qty:number"),
            key=("plan_week", "line_id", "sku"), kind="plan", date_column="plan_week",
            references={"sku": "products"},
        ),
        Contract(
            "maintenance_plan",
            _cols("line_id:string start_date:date end_date:date kind:string "
                  "capacity_lost_pct:number"),
            key=("line_id", "start_date"), kind="plan", date_column="start_date",
        ),
        Contract(
            "shipping_plan",
            _cols("ship_week:date warehouse_id:string region:string sku:string qty:number"),
            key=("ship_week", "warehouse_id", "region", "sku"), kind="plan",
            date_column="ship_week",
            references={"sku": "products", "warehouse_id": "warehouses"},
        ),
        Contract(  # price per material unit in the company's currency, as the PO prices
            "market_prices",
            _cols("period:date material_id:string index_name:string price:number"),
            key=("period", "material_id"), kind="fact", date_column="period",
            references={"material_id": "materials"}, optional=True,
        ),
        Contract(  # demand-review adjustments collected outside the workbook (sop consensus)
            "forecast_adjustments",
            _cols("adjustment_id:string period:date department:string author:string "
                  "month:date category:string? region:string? customer:string? product:string? "
                  "qty:number? change_pct:number? reason:string comment:string?"),
            key=("adjustment_id",), kind="plan", optional=True, cycle=False,
        ),
    ]
}

DATASETS: tuple[str, ...] = tuple(CONTRACTS)
CYCLE_DATASETS: tuple[str, ...] = tuple(n for n, c in CONTRACTS.items() if c.cycle)
OPTIONAL_DATASETS: frozenset[str] = frozenset(n for n, c in CONTRACTS.items() if c.optional)


def contract_for(name: str) -> Contract:
    try:
        return CONTRACTS[name]
    except KeyError:
        known = ", ".join(DATASETS)
        raise KeyError(f"unknown dataset {name!r}; known datasets: {known}") from None


# Order-line statuses, compared case-insensitively after trimming. A line with one of
# NOT_DEMAND_STATUSES is not demand anywhere: not in the forecast's history, not in the
# balance, not in any packet. DONE_STATUSES close a line (nothing more will ship).
NOT_DEMAND_STATUSES = frozenset({"cancelled", "canceled", "rejected", "void"})
DONE_STATUSES = frozenset({"shipped", "closed", "invoiced", "delivered", "completed",
                           "complete", "fulfilled"})


def order_status(status: pd.Series) -> pd.Series:
    """Statuses as compared: trimmed, lower case (missing stays missing)."""
    return status.astype("string").str.strip().str.lower()


def counts_as_demand(status: pd.Series) -> np.ndarray:
    """True where an order line's status counts as demand (missing statuses do). Compared
    once per distinct status, not per line."""
    codes, uniques = pd.factorize(status, use_na_sentinel=True)
    keep = np.array([str(u).strip().lower() not in NOT_DEMAND_STATUSES for u in uniques]
                    + [True], dtype=bool)
    return keep[codes]  # code -1 (missing) picks the trailing True


_EMPTY_DTYPES = {"date": "datetime64[ns]", "number": "float64", "int": "int64", "string": "object"}


def dataset(data, name: str) -> pd.DataFrame:
    """The staged frame `name` of `data`, or an empty frame with the contract's columns and
    dtypes (an optional dataset a source does not have)."""
    frame = data.get(name)
    if frame is not None:
        return frame
    return pd.DataFrame({c.name: pd.Series(dtype=_EMPTY_DTYPES[c.type])
                         for c in contract_for(name).columns})
