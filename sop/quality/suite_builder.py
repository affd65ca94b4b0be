"""The expectation suites, generated from the contracts plus the range rules below.

`python -m sop.quality.suite_builder [FOLDER]` writes expectations/<dataset>.json (GX Core 1.x
suite format, each expectation with GX's own `severity`). The JSON files are
committed and are what runs: edit them by hand or change the rules here and
regenerate. Every suite covers what applies to its dataset:

- schema: the contract's columns are all present; non-string columns cast to their type;
- keys and required columns: not null (keys, references, dates, measures critical;
  descriptive text a warning); key unique, compound keys included;
- ranges: quantities > 0 (>= 0 for stock and plan quantities), prices and amounts
  >= 0, lead times within bounds, known codes in their sets, event dates after 1990
  and not later than `$PARAMETER latest_event_date` (the later of the period end
  and the run date, plus the freshness tolerance); row-wise date order
  (requested >= ordered, received >= ordered, end >= start ...);
- volume: at least one row (critical for masters and core facts).

References, freshness and row-count drift span datasets or runs: `sop.quality.crosschecks`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sop.contracts import CONTRACTS, Contract

LATEST = {"$PARAMETER": "latest_event_date"}
EARLIEST = "1990-01-01T00:00:00"
DESCRIPTIVE = {"name", "family", "reason", "unit", "kind", "index_name"}  # not-null only a warning
OPTIONAL_TABLES = {"returns", "promotions", "channel_inventory", "invoices", "production_plan",
                   "maintenance_plan", "shipping_plan", "market_prices", "forecast_adjustments"}

# dataset -> (column, min, max, strict_min, severity, description)
RANGES: dict[str, list[tuple]] = {
    "products": [("unit_cost", 0, None, False, "critical", "unit_cost must be >= 0"),
                 ("list_price", 0, None, False, "critical", "list_price must be >= 0")],
    "customers": [("credit_limit", 0, None, False, "critical", "credit_limit must be >= 0")],
    "sales_orders": [("line_no", 1, None, False, "critical", "line_no must be >= 1"),
                     ("qty", 0, None, True, "critical", "qty must be > 0"),
                     ("unit_price", 0, None, False, "critical", "unit_price must be >= 0")],
    "shipments": [("line_no", 1, None, False, "critical", "line_no must be >= 1"),
                  ("qty", 0, None, True, "critical", "qty must be > 0")],
    "returns": [("qty", 0, None, True, "critical", "returned qty must be > 0")],
    "invoices": [("amount", 0, None, False, "critical", "amount must be >= 0"),
                 ("paid_amount", 0, None, False, "critical", "paid_amount must be >= 0")],
    "channel_inventory": [("sell_out_qty", 0, None, False, "critical", "sell_out_qty must be >= 0"),
                          ("stock_qty", 0, None, False, "critical", "stock_qty must be >= 0")],
    "promotions": [("budget", 0, None, False, "critical", "budget must be >= 0")],
    "inventory": [(c, 0, None, False, "critical", f"{c} must be >= 0")
                  for c in ("on_hand", "allocated", "in_transit", "safety_stock")],
    "bom": [("qty_per_unit", 0, None, True, "critical", "qty_per_unit must be > 0")],
    "suppliers": [("contract_lead_time_days", 0, 365, False, "critical",
                   "contract lead time must be 0-365 days")],
    "purchase_orders": [("line_no", 1, None, False, "critical", "line_no must be >= 1"),
                        ("qty", 0, None, True, "critical", "qty must be > 0"),
                        ("received_qty", 0, None, False, "critical", "received_qty must be >= 0"),
                        ("unit_price", 0, None, False, "critical", "unit_price must be >= 0")],
    "production_plan": [("planned_qty", 0, None, False, "critical", "planned_qty must be >= 0")],
    "maintenance_plan": [("capacity_lost_pct", 0, 100, False, "critical",
                          "capacity_lost_pct must be 0-100")],
    "shipping_plan": [("qty", 0, None, False, "critical", "qty must be >= 0")],
    "market_prices": [("price", 0, None, True, "critical", "an index price must be > 0")],
    "forecast_adjustments": [("qty", 0, None, False, "critical", "qty must be >= 0"),
                             ("change_pct", -100, None, False, "critical",
                              "change_pct must be >= -100")],
}

# dataset -> (later column, earlier column, severity): later >= earlier on every row
ORDERED_DATES: dict[str, list[tuple[str, str, str]]] = {
    "sales_orders": [("requested_date", "order_date", "warning")],
    "invoices": [("due_date", "invoice_date", "warning"), ("paid_date", "invoice_date", "warning")],
    "promotions": [("end_date", "start_date", "critical")],
    "purchase_orders": [("received_date", "order_date", "critical"),
                        ("promised_date", "order_date", "warning")],
    "maintenance_plan": [("end_date", "start_date", "critical")],
}
# dataset -> (larger, smaller, severity, description): larger >= smaller on every row
ORDERED_AMOUNTS: dict[str, list[tuple[str, str, str, str]]] = {
    "invoices": [("amount", "paid_amount", "warning", "paid_amount must not exceed amount")],
}
# dataset -> (column, allowed values, severity)
VALUE_SETS: dict[str, list[tuple[str, list[str], str]]] = {
    "products": [("status", ["active", "new", "discontinued"], "warning")],
    "sales_orders": [("status", ["open", "shipped", "cancelled"], "warning")],
    "invoices": [("status", ["open", "paid", "disputed", "refused"], "warning")],
    "inventory": [("item_type", ["finished", "material"], "critical")],
    "suppliers": [("status", ["active", "inactive"], "warning")],
}
# event dates that cannot lie after the run (besides each fact's date column)
EVENT_DATES: dict[str, list[str]] = {"invoices": ["paid_date"],
                                     "purchase_orders": ["received_date"]}


def _exp(kind: str, severity: str, description: str | None = None, **kwargs) -> dict:
    out: dict = {"type": kind, "kwargs": kwargs, "severity": severity}
    if description:
        out["description"] = description
    return out


def _not_null_severity(contract: Contract, column: str) -> str:
    if column in contract.key or column in contract.references:
        return "critical"
    return "warning" if column in DESCRIPTIVE else "critical"


def schema_expectations(contract: Contract) -> list[dict]:
    out = [_exp("expect_table_columns_to_match_set", "critical",
                "every contract column must be present (renamed or dropped?)",
                column_set=list(contract.column_names), exact_match=False)]
    for c in contract.columns:
        if c.type != "string":
            out.append(_exp(f"expect_column_values_to_be_castable_to_{c.type}", "critical",
                            f"{c.name} must be a {c.type}", column=c.name))
    for c in contract.columns:
        if not c.nullable:
            out.append(_exp("expect_column_values_to_not_be_null",
                            _not_null_severity(contract, c.name), column=c.name))
    return out


def key_expectations(contract: Contract) -> list[dict]:
    if len(contract.key) == 1:
        return [_exp("expect_column_values_to_be_unique", "critical", column=contract.key[0])]
    return [_exp("expect_compound_columns_to_be_unique", "critical",
                 column_list=list(contract.key))]


def range_expectations(contract: Contract) -> list[dict]:
    name = contract.name
    severity = "warning" if name in OPTIONAL_TABLES else "critical"
    out = [_exp("expect_table_row_count_to_be_between", severity, "the table must not be empty",
                min_value=1)]
    for col, lo, hi, strict, sev, text in RANGES.get(name, []):
        kw = {"column": col, "min_value": lo, "max_value": hi}
        if strict:
            kw["strict_min"] = True
        out.append(_exp("expect_column_values_to_be_between", sev, text, **kw))
    for col, values, sev in VALUE_SETS.get(name, []):
        out.append(_exp("expect_column_values_to_be_in_set", sev,
                        f"{col} must be one of {', '.join(values)}", column=col, value_set=values))
    if contract.kind == "fact":
        for col in [contract.date_column, *EVENT_DATES.get(name, [])]:
            sev = "critical" if col == contract.date_column else "warning"
            out.append(_exp("expect_column_values_to_be_between", sev,
                            f"{col} must lie between 1990 and the run date (not in the future)",
                            column=col, min_value=EARLIEST, max_value=LATEST))
    for later, earlier, sev in ORDERED_DATES.get(name, []):
        out.append(_exp("expect_column_pair_values_a_to_be_greater_than_b", sev,
                        f"{later} must not be before {earlier}", column_A=later,
                        column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"))
    for big, small, sev, text in ORDERED_AMOUNTS.get(name, []):
        out.append(_exp("expect_column_pair_values_a_to_be_greater_than_b", sev, text,
                        column_A=big, column_B=small, or_equal=True,
                        ignore_row_if="either_value_is_missing"))
    return out


def suite_document(dataset: str) -> dict:
    """The GX suite (as JSON-ready dict) for `dataset`."""
    contract = CONTRACTS[dataset]
    return {
        "name": dataset,
        "meta": {"contract": dataset, "key": list(contract.key),
                 "generated_by": "python -m sop.quality.suite_builder"},
        "expectations": (schema_expectations(contract) + key_expectations(contract)
                         + range_expectations(contract)),
    }


def write_suites(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in CONTRACTS:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(suite_document(name), indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[2] / "expectations"
    for p in write_suites(target):
        print(p)
