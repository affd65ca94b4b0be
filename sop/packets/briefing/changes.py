"""The three things that changed most since last month, for the opening of every packet.

Each department has its own set of key figures (only figures it may see: no purchase prices
outside procurement and management, no credit data outside sales administration and
management). Every figure is measured for the period month and for the month before; the
figures are ranked by the size of their relative move, |change %|, largest first. A figure
counts only when both months have a value and last month's is at least its `min_base` (a
count going from 1 to 3 is not news).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import pandas as pd

from sop.contracts import counts_as_demand
from sop.orders import invoice_balances, open_order_lines
from sop.packets.briefing.common import (
    CURRENCY,
    Window,
    between,
    clean,
    dataset,
    number,
    pct_change,
    period_window,
)
from sop.packets.briefing.finance import credit_exposure, order_to_ship_days
from sop.packets.briefing.supply import latest_inventory
from sop.plan import Plan

TOP = 3


class Figure(NamedTuple):
    label: str
    value: float | None
    fmt: str
    unit: str = ""
    min_base: float = 1e-9


Data = Mapping[str, pd.DataFrame]


def _month_sales(plan: Plan, m: Window) -> pd.DataFrame:
    sm = plan.sales_monthly
    return sm[pd.to_datetime(sm["ds"]) == m.start]


def _split(frame: pd.DataFrame, by: str, template: str, fmt: str, unit: str) -> list[Figure]:
    if frame.empty:
        return []
    sums = frame.groupby(frame[by].astype("string").fillna("(none)"))["revenue"].sum()
    return [Figure(template.format(name=k), float(v), fmt, unit) for k, v in sums.items()]


def _revenue(plan: Plan, m: Window, *by: str) -> list[Figure]:
    month = _month_sales(plan, m)
    if month.empty:
        return []
    figs = [Figure("Revenue", month["revenue"].sum(), "money", CURRENCY),
            Figure("Units ordered", month["qty"].sum(), "qty", "units")]
    for col in by:
        figs += _split(month, col, "Revenue, {name}", "money", CURRENCY)
    return figs


def _backlog(data: Data, m: Window) -> list[Figure]:
    lines = open_order_lines(data, m.end)
    return [Figure("Open order value", lines["open_value"].sum(), "money", CURRENCY),
            Figure("Open order lines", len(lines), "count", "lines", 5)]


def _channel(data: Data, m: Window) -> list[Figure]:
    ci = dataset(data, "channel_inventory")
    cur = ci[pd.to_datetime(ci["period"]).dt.to_period("M").dt.to_timestamp() == m.start]
    if cur.empty:
        return []
    return [Figure("Channel sell-out", cur["sell_out_qty"].sum(), "qty", "units"),
            Figure("Channel stock", cur["stock_qty"].sum(), "qty", "units")]


def _orders_in(data: Data, m: Window) -> pd.DataFrame:
    so = dataset(data, "sales_orders")
    so = so[between(so["order_date"], m.start, m.end)]
    return so[counts_as_demand(so["status"])]


def _promotions(data: Data, m: Window) -> list[Figure]:
    so = _orders_in(data, m)
    tagged = so[so["promo_id"].notna()]
    return [Figure("Promotion revenue", (tagged["qty"] * tagged["unit_price"]).sum(), "money",
                   CURRENCY),
            Figure("Promotion units", tagged["qty"].sum(), "qty", "units")]


def _receivables(data: Data, m: Window) -> list[Figure]:
    inv = invoice_balances(data, m.end)
    over = credit_exposure(data, m)
    return [Figure("Unpaid invoices", inv["balance"].sum(), "money", CURRENCY),
            Figure("Overdue balance", inv.loc[inv["days_overdue"] > 0, "balance"].sum(), "money",
                   CURRENCY),
            Figure("Customers over credit limit", int(over["over_limit"].sum()), "count",
                   "customers", 3)]


def _service(data: Data, m: Window) -> list[Figure]:
    rt = dataset(data, "returns")
    returned = rt.loc[between(rt["return_date"], m.start, m.end), "qty"].sum()
    median = order_to_ship_days(data, m)["median"].iloc[0]
    return [Figure("Units returned", returned, "qty", "units", 10),
            Figure("Median order-to-ship days", median, "days", "days")]


def _stock(data: Data, m: Window) -> list[Figure]:
    inv = latest_inventory(data, m)
    if inv.empty:
        return []
    kind = inv["item_type"].astype("string").str.lower()
    mats = inv[kind == "material"]
    by_unit = mats.groupby("unit")["on_hand"].sum()  # never added across units
    return [Figure("Finished goods on hand", inv.loc[kind == "finished", "on_hand"].sum(), "qty",
                   "units"),
            *[Figure(f"Material stock on hand, {u}", q, "qty", u) for u, q in by_unit.items()],
            Figure("Item-locations below safety stock",
                   int((inv["available"] < inv["safety_stock"]).sum()), "count", "items", 5)]


def _logistics(data: Data, m: Window) -> list[Figure]:
    sh = dataset(data, "shipments")
    pp = dataset(data, "production_plan")
    nxt = pp.loc[between(pp["plan_week"], m.end, m.months(2)), "planned_qty"].sum()
    return [Figure("Units shipped", sh.loc[between(sh["ship_date"], m.start, m.end), "qty"].sum(),
                   "qty", "units"),
            Figure("Production planned for the next month", nxt, "qty", "units")]


def _purchasing(data: Data, m: Window, prices: bool = True) -> list[Figure]:
    po = dataset(data, "purchase_orders")
    ordered = po[between(po["order_date"], m.start, m.end)]
    received = po[between(po["received_date"], m.start, m.end)]
    lag = (pd.to_datetime(received["received_date"]) - pd.to_datetime(received["order_date"]))
    figs = [Figure("Purchase order value", (ordered["qty"] * ordered["unit_price"]).sum(),
                   "money", CURRENCY),
            Figure("Average lead time of receipts", lag.dt.days.mean() if len(lag) else None,
                   "days", "days")]
    if prices and len(ordered):
        value = (ordered["qty"] * ordered["unit_price"]).groupby(ordered["material_id"]).sum()
        price = value / ordered.groupby("material_id")["qty"].sum().replace(0, float("nan"))
        materials = dataset(data, "materials").drop_duplicates("material_id")
        names = materials.set_index("material_id")["name"]
        for mid, p in price.items():
            figs.append(Figure(f"Price, {names.get(mid, mid)}", p, "price",
                               f"{CURRENCY} per material unit"))
    return figs


_FIGURES: dict[str, Callable[[Data, Plan, Window], list[Figure]]] = {
    "sales": lambda d, p, m: _revenue(p, m, "region", "category") + _channel(d, m)
    + _backlog(d, m),
    "marketing": lambda d, p, m: _revenue(p, m, "category") + _promotions(d, m),
    "sales_admin": lambda d, p, m: _backlog(d, m) + _receivables(d, m) + _service(d, m),
    "supply": lambda d, p, m: _stock(d, m) + _logistics(d, m),
    "procurement": lambda d, p, m: _purchasing(d, m) + _stock(d, m)[1:-1],
    "management": lambda d, p, m: _revenue(p, m, "region") + _backlog(d, m)[:1]
    + _receivables(d, m)[1:2] + _stock(d, m)[:1] + _purchasing(d, m, prices=False),
}


def figures(department: str, data: Data, plan: Plan, m: Window) -> dict[str, Figure]:
    """The department's key figures for the month of `m`, by label."""
    return {f.label: f for f in _FIGURES[department](data, plan, m)}


def ranked_changes(now: Mapping[str, Figure], before: Mapping[str, Figure]) -> list[dict]:
    """Figures present in both months, with their change (%), largest |change| first."""
    rows = []
    for label, f in now.items():
        prev = before.get(label)
        old, new = number(prev.value) if prev else None, number(f.value)
        if old is None or new is None or abs(old) < f.min_base:
            continue
        change = pct_change(new, old)
        if change is not None:
            rows.append({"label": label, "value": clean(new), "previous": clean(old),
                         "change": clean(change), "fmt": f.fmt, "unit": f.unit})
    return sorted(rows, key=lambda r: (-abs(r["change"]), r["label"]))


def top_changes(department: str, w: Window, data: Data, plan: Plan, n: int = TOP) -> dict:
    """The `n` key figures of `department` that moved most between the month before the
    period and the period month: a packet table whose `value`/`previous` cells take the
    format named by the row's own `fmt`."""
    prev = period_window(f"{w.months(-1):%Y-%m}")
    rows = ranked_changes(figures(department, data, plan, w),
                          figures(department, data, plan, prev))[:n]
    return {
        "title": "What changed most since last month",
        "unit": "as stated for each figure", "period": f"{w.period} vs {prev.period}",
        "columns": [{"key": "label", "label": "Figure", "fmt": "text"},
                    {"key": "value", "label": w.period, "fmt": "auto"},
                    {"key": "previous", "label": prev.period, "fmt": "auto"},
                    {"key": "change", "label": "Change", "fmt": "pct"},
                    {"key": "unit", "label": "Unit", "fmt": "text"}],
        "rows": rows, "empty": "No figure can be compared with last month yet.", "note": None,
    }
