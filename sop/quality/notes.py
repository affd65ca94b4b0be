"""The gate's warnings as a department head reads them: plain sentences that name the records
and the field in words, with sample references from the data, never check or column names.

The operator's view (the Prefect artifact, the CLI's failure message, sop_dq_results) keeps the
exact check, dataset and column (`CheckResult.describe`); these sentences are for the packets'
data-quality section. Each sentence shape has its Chinese template in
reports/catalog_zh_quality.py: change them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sop.contracts import CONTRACTS
from sop.quality.checks import CheckResult

RECORDS = {  # what a dataset's rows are, in words
    "products": "products", "customers": "customers", "warehouses": "warehouses",
    "sales_orders": "sales order lines", "shipments": "shipment lines", "returns": "returns",
    "invoices": "invoices", "channel_inventory": "distributor stock reports",
    "promotions": "promotions", "inventory": "stock records", "materials": "materials",
    "bom": "bill-of-materials lines", "suppliers": "suppliers",
    "purchase_orders": "purchase-order lines", "production_plan": "production plan lines",
    "maintenance_plan": "maintenance windows", "shipping_plan": "shipping plan lines",
    "market_prices": "market prices",
}
FIELDS = {  # a column in words, where dropping "_id" and underscores is not enough
    "sku": "product", "promo_id": "promotion", "qty": "quantity", "line_no": "line number",
    "item_id": "item", "on_hand": "stock on hand", "sell_out_qty": "quantity sold",
    "stock_qty": "stock quantity", "qty_per_unit": "quantity per unit",
    "contract_lead_time_days": "contract lead time", "capacity_lost_pct": "capacity lost",
    "received_qty": "quantity received", "planned_qty": "planned quantity",
    "paid_amount": "amount paid", "index_name": "index name", "po_id": "purchase order",
    "line_id": "production line",
}
KINDS = {"number": "number", "int": "whole number", "date": "date"}
EXAMPLES = 3
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNTS = re.compile(r"([\d,]+) rows against ([\d,]+)")
_BAD = re.compile(r"bad values: (.+)$")


def records(dataset: str) -> str:
    return RECORDS.get(dataset, dataset.replace("_", " "))


def field_name(column: str | None) -> str:
    if not column:
        return "value"
    return FIELDS.get(column, column.removesuffix("_id").replace("_", " "))


def plain_note(r: CheckResult) -> str:
    """One failed check as a line for a department head: '<n> of <total> <records>: <what is
    wrong>', then '; for example <references>' when the check names rows."""
    what, n, total = records(r.dataset), f"{r.unexpected_count:,}", f"{r.element_count:,}"
    cols = (r.column or "").split(",")
    col = field_name(cols[0])
    head = f"{n} of {total} {what}: "
    bad = _BAD.search(r.detail or "")
    kind = r.expectation
    if kind == "expect_column_values_to_not_be_null":
        text = f"{head}{col} missing"
    elif kind.startswith("expect_column_values_to_be_castable_to_"):
        text = f"{head}{col} not a valid {KINDS.get(kind.rsplit('_', 1)[-1], 'value')}"
    elif kind == "expect_column_values_to_be_in_set":
        text = f"{head}unknown {col}" + (f" ({bad.group(1)})" if bad else "")
    elif kind == "expect_column_values_to_be_between":
        text = f"{head}{col} out of the allowed range"
    elif kind.endswith("_to_be_unique"):
        text = f"{head}duplicate references"
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b" and len(cols) == 2:
        text = f"{head}{col} before the {field_name(cols[1])}"
    elif kind == "expect_column_values_to_be_in_master":
        master = CONTRACTS[r.dataset].references.get(cols[0], "sales_orders")
        text = f"{head}{col} not in the list of {records(master)}"
    elif kind == "expect_column_values_to_not_be_before_order_date":
        text = f"{head}dated before their order"
    elif kind == "expect_newest_date_to_reach_period":
        newest = _DATE.search(r.detail or "")
        return (f"Newest {what} dated {newest.group(0)}, before the period" if newest
                else f"No {what} dated on or before the period")
    elif kind == "expect_table_row_count_to_be_between":
        return f"No {what} recorded"
    elif kind == "expect_table_row_count_to_be_near_previous_run" and _COUNTS.search(
            r.detail or ""):
        now, before = _COUNTS.search(r.detail).groups()
        return f"Number of {what} outside the usual band: {now} against {before} in the last run"
    else:
        text = f"{head}a data check failed"
    if r.sample_keys:
        text += f"; for example {', '.join(r.sample_keys[:EXAMPLES])}"
    return text


def quarantine_note(dataset: str, count: int, total: int, results: Iterable[CheckResult]) -> str:
    """The rows of `dataset` set aside by the gate, and why, in words."""
    why = sorted({field_name((r.column or "").split(",")[0]) for r in results
                  if r.dataset == dataset and not r.success and r.severity == "critical"})
    return (f"{count:,} of {total:,} {records(dataset)}: set aside and left out of the plan "
            f"(problem with {'; '.join(why) or 'values'}); the data team has the list")
