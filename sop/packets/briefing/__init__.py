"""Briefing packets: what each department sees, as plain data for the templates.

`packet_context` returns only what the department is meant to see. Purchase prices and
supplier terms appear only in the procurement and management packets; customer credit data
(credit limit, exposure, unpaid invoices per customer) only in sales administration and
management. Every table states its unit and period; values are plain Python and never NaN
(None is shown as "n/a"). See `sop.packets.briefing.common` for the table format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from sop.names import Names
from sop.packets.briefing.actions import action_tables
from sop.packets.briefing.alerts import alerts_table, all_alerts_table
from sop.packets.briefing.changes import top_changes
from sop.packets.briefing.common import DEPARTMENT_TITLES, Window, period_window
from sop.packets.briefing.finance import finance_sections
from sop.packets.briefing.items import items_tables
from sop.packets.briefing.management import management_sections
from sop.packets.briefing.marketing import marketing_sections
from sop.packets.briefing.method import method_tables
from sop.packets.briefing.procurement import procurement_sections
from sop.packets.briefing.review import basis_text, review_tables
from sop.packets.briefing.sales import sales_sections
from sop.packets.briefing.series import packet_charts
from sop.packets.briefing.supply import supply_sections
from sop.plan import Plan

_SECTIONS: dict[str, Callable[[Window, Mapping[str, pd.DataFrame], Plan], dict]] = {
    "sales": sales_sections,
    "marketing": marketing_sections,
    "sales_admin": finance_sections,
    "supply": supply_sections,
    "procurement": procurement_sections,
    "management": management_sections,
}

TOP_ALERTS = 10  # the packet opens with at most this many groups; the workbook lists all
TOP_ISSUES = 5  # management's first page: the five largest across departments
REVIEWED = ("sales_admin", "management")  # show the demand review's value added


def _lines(notes: Sequence[object]) -> list[str]:
    return [str(n).strip() for n in notes if n is not None and str(n).strip()]


def packet_context(department: str, period: str, data: Mapping[str, pd.DataFrame], plan: Plan,
                   notes: Sequence[str], items: pd.DataFrame | None = None,
                   revision: int = 0) -> dict:
    """The briefing packet of `department` for `period` ("YYYY-MM", the last complete month).

    `data` are the staged datasets (contract columns), `plan` the period's plan and `notes`
    the data-quality notes from validation. Returns a JSON-safe dict:
    department, title, period, period_label, kpis, tables (ordered, by key), alerts (table),
    data_quality (list of str), planning_notes (list of str), items (coordination-item
    tables, when `items`, the stored items frame, is given), basis (the forecast the supply
    side is planned on) and revision (> 0: sent again after the demand review's approval).
    """
    if department not in _SECTIONS:
        raise ValueError(f"unknown department {department!r}; known: {', '.join(_SECTIONS)}")
    w = period_window(period)
    if plan.period != period:
        raise ValueError(f"plan is for {plan.period}, packet asked for {period}")
    body = _SECTIONS[department](w, data, plan)
    if department in REVIEWED:
        body["tables"].update(review_tables(plan, w))
    if department == "sales_admin":  # the accuracy section: how the forecast was made
        body["tables"].update(method_tables(plan, w))
    names = Names.from_data(data)
    top = department == "management"
    scope, title = ((None, "Top five issues across departments") if top
                    else (department, "Alerts for this department"))
    alerts = alerts_table(plan.alerts, scope, period, limit=TOP_ISSUES if top else TOP_ALERTS,
                          title=title, compact=top)
    every = all_alerts_table(plan.alerts, scope, period)
    return {
        "department": department,
        "title": DEPARTMENT_TITLES[department],
        "period": period,
        "period_label": w.label,
        "basis": basis_text(plan, w),
        "revision": revision,
        "changes": top_changes(department, w, data, plan),
        "alerts": alerts,
        "alerts_all": every,
        "actions": action_tables(department, plan, period),
        "actions_all": action_tables(department, plan, period, full=True),
        "kpis": body["kpis"],
        "tables": body["tables"],
        "items": items_tables(items, department, w),
        "charts": packet_charts(department, w, data, plan),
        "data_quality": [names.in_text(n) for n in _lines(notes)],
        "planning_notes": [names.in_text(n) for n in _lines(plan.notes)],
    }


__all__ = ["DEPARTMENT_TITLES", "TOP_ALERTS", "TOP_ISSUES", "packet_context"]
