"""Coordination items in the packets: what the department owes, what it asked for, and
(management) every open item and the completion rate by department."""

from __future__ import annotations

import pandas as pd

from sop.items.model import items_for_department
from sop.packets.briefing.common import DEPARTMENT_TITLES, Col, Window, table

ITEM_COLS = [Col("item_id", "Item"), Col("requirement", "What is required"),
             Col("due", "Due", "date"), Col("status", "Status"), Col("owner", "Owner"),
             Col("standard", "Evaluation standard")]


def _named(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Department keys in `cols` shown by the department's name."""
    return frame.assign(**{c: frame[c].map(lambda k: DEPARTMENT_TITLES.get(k, k))
                           for c in cols if c in frame})


def _frame(records: list[dict], other: str) -> pd.DataFrame:
    cols = ["item_id", "requirement", "due", "status", "owner", "standard", other]
    frame = pd.DataFrame(records, columns=cols) if records else pd.DataFrame(columns=cols)
    return _named(frame.assign(due=pd.to_datetime(frame["due"])), other)


def items_tables(items: pd.DataFrame | None, department: str, w: Window) -> dict:
    """Tables keyed items_owed, items_asked (+ items_open, items_completion for management);
    empty dict when no item store was given."""
    if items is None:
        return {}
    view = items_for_department(items, department, w.period)
    as_of = f"open on {view['as_of']}"
    out = {
        "items_owed": table(
            _frame(view["owed"], "requesting"), [*ITEM_COLS, Col("requesting", "Asked by")],
            title="Coordination items this department owes", unit="coordination items, overdue first",
            period=as_of, empty="No open items owed."),
        "items_asked": table(
            _frame(view["asked"], "responsible"), [*ITEM_COLS, Col("responsible", "Owed by")],
            title="Coordination items this department asked for", unit="coordination items, overdue first",
            period=as_of, empty="No open items asked for."),
    }
    if department == "management":
        out.pop("items_owed")
        out.pop("items_asked")
        rows = pd.DataFrame(view["open"]) if view["open"] else pd.DataFrame(
            columns=["item_id", "requirement", "due", "status", "owner", "standard",
                     "requesting", "responsible"])
        out["items_open"] = table(
            _named(rows.assign(due=pd.to_datetime(rows["due"])), "requesting", "responsible"),
            [*ITEM_COLS, Col("requesting", "Asked by"), Col("responsible", "Owed by")],
            title="All open coordination items", unit="coordination items, overdue first", period=as_of,
            empty="No open coordination items.")
        comp = _named(pd.DataFrame(view["completion"]), "department")
        comp["rate"] = comp["rate"].map(lambda r: None if r is None or pd.isna(r) else 100 * r)
        out["items_completion"] = table(
            comp, [Col("department", "Department"), Col("due", "Due", "count"),
                   Col("done_on_time", "Done on time", "count"),
                   Col("done_late", "Done late", "count"), Col("not_done", "Not done", "count"),
                   Col("rate", "On time", "share")],
            title="Completion of items due", unit="coordination items", period=w.period,
            empty="No items were due.")
    return out
