"""The computed actions as packet tables: the pull a department acts on (sop.planning.actions).

Production, warehouse & logistics get the transfers and the planned production; procurement
the expedites and the planned purchase orders; sales administration the credit holds. The
packet shows the first rows by urgency and money; the workbook has every row, with the ERP
codes beside the names, as sheets a planner can paste into the ERP.
"""

from __future__ import annotations

import pandas as pd

from sop.packets.briefing.common import Col, table
from sop.plan import Plan

SHOWN = 8  # rows per action table in the packet; the workbook has all

TRANSFERS = [Col("product", "Product"), Col("from_warehouse", "From warehouse"),
             Col("to_warehouse", "To warehouse"), Col("qty", "Units", "qty"),
             Col("need_month", "Needed by"), Col("value", "Value", "money")]
PRODUCTION = [Col("product", "Product"), Col("ds", "Month"), Col("line_id", "Line"),
              Col("qty", "Extra units", "qty"), Col("current_plan_qty", "Planned now", "qty"),
              Col("capacity_shortfall", "Line short of capacity", "qty"),
              Col("value", "Value", "money")]
PURCHASES = [Col("material", "Material"), Col("qty", "Quantity", "qty"), Col("unit", "Unit"),
             Col("supplier", "Supplier"), Col("order_by", "Order by"),
             Col("need_date", "Needed by"), Col("value", "Value", "money"),
             Col("late", "Too late for lead time")]
EXPEDITES = [Col("material", "Material"), Col("po_id", "Purchase order"),
             Col("supplier", "Supplier"), Col("open_qty", "Quantity", "qty"), Col("unit", "Unit"),
             Col("deliver_by", "Deliver by"), Col("days_earlier", "Days earlier", "count")]
HOLDS = [Col("customer", "Customer"), Col("exposure", "Exposure", "money"),
         Col("credit_limit", "Credit limit", "money"), Col("excess", "Over limit", "money"),
         Col("hold_value", "Orders to hold", "money"),
         Col("collect_value", "Collect to release", "money")]
# what the workbook adds for the ERP
CODES = {"transfers": [Col("sku", "SKU"), Col("from_warehouse_id", "From code"),
                       Col("to_warehouse_id", "To code")],
         "production": [Col("sku", "SKU"), Col("plan_week", "Plan week"),
                        Col("gross_qty", "Quantity to enter", "qty"),
                        Col("line_capacity", "Line capacity", "qty"),
                        Col("line_load", "Line load", "qty")],
         "purchases": [Col("material_id", "Material code"), Col("supplier_id", "Supplier code"),
                       Col("promised_date", "Ask delivery on"),
                       Col("unit_price", "Unit price", "price"),
                       Col("lead_time_days", "Lead time, days", "count"),
                       Col("otif_pct", "Supplier OTIF", "share"),
                       Col("alternatives", "Other suppliers")],
         "expedites": [Col("material_id", "Material code"), Col("line_no", "Line", "count"),
                       Col("expected_date", "Expected now"),
                       Col("shortage_closed", "Shortage closed", "qty")],
         "credit_holds": [Col("customer_id", "Customer code"),
                          Col("open_order_value", "Open orders", "money"),
                          Col("unpaid_invoices", "Unpaid invoices", "money")]}
TABLES = {
    "supply": [("transfers", TRANSFERS, "Stock transfers between warehouses",
                "units; value at list price", "No transfer can help: no warehouse holds "
                "stock above its need."),
               ("production", PRODUCTION, "Planned production to meet demand and safety stock",
                "units, by line and month; value at list price",
                "No extra production needed.")],
    "procurement": [("expedites", EXPEDITES, "Open purchase orders to expedite",
                     "each material's unit", "No open order needs expediting."),
                    ("purchases", PURCHASES, "Planned purchase orders",
                     "each material's unit; value at the chosen supplier's latest price",
                     "No purchase order to plan.")],
    "sales_admin": [("credit_holds", HOLDS, "Customers to hold until they pay",
                     "company currency", "No customer is over its credit limit.")],
}


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in ("need_month", "ds"):
        if c in out and len(out):
            out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m")
    for c in ("order_by", "need_date", "deliver_by", "expected_date", "plan_week",
              "promised_date"):
        if c in out and len(out):
            out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    if "late" in out and len(out):
        out["late"] = out["late"].map(lambda v: "yes" if bool(v) else "no")
    return out


def _ordered(key: str, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    by = {"transfers": (["need_month", "value"], [True, False]),
          "production": (["ds", "value"], [True, False]),
          "purchases": (["order_by", "value"], [True, False]),
          "expedites": (["deliver_by", "days_earlier"], [True, False]),
          "credit_holds": (["excess"], [False])}[key]
    return frame.sort_values(by[0], ascending=by[1], kind="stable")


def action_tables(department: str, plan: Plan, period: str, full: bool = False) -> dict:
    """The department's action tables (the first SHOWN rows; every row with the ERP codes
    when `full`), keyed by action kind."""
    if plan.actions is None or department not in TABLES:
        return {}
    frames = plan.actions.frames()
    out = {}
    for key, cols, title, unit, empty in TABLES[department]:
        frame = _ordered(key, frames.get(key, pd.DataFrame()))
        if key == "production" and len(frame):
            frame = frame[frame["qty"] > 0]
        shown = frame if full else frame.head(SHOWN)
        note = (f"{len(shown)} of {len(frame)} rows shown; the workbook lists all, with the "
                "codes to enter in the ERP." if not full and len(frame) > SHOWN else None)
        out[key] = table(_dated(shown), cols + (CODES[key] if full else []), title=title,
                         unit=unit, period=f"computed after {period}", empty=empty, note=note)
    return out
