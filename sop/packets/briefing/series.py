"""The series behind the packet charts, as plain JSON-safe chart specs (drawn by
reports.charts). A spec::

    {"key", "title", "unit", "period", "x": ["YYYY-MM", ...], "now": index of the period month,
     "series": [{"key", "label", "values": [float | None], "style"}],
     "bands": [{"label", "lo": [...], "hi": [...], "level"}]}

Styles: actual, budget, forecast, reference, plain. Which department gets which chart is
decided here, so scoping stays in one package: purchase prices and lead times only go to
procurement.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.packets.briefing.common import CURRENCY, Window, clean, dataset, month_of
from sop.plan import Plan
from sop.planning.procurement import price_series

HISTORY = 12  # months of actuals before and including the period
AHEAD = 6  # forecast months shown after the period
FAN_AHEAD = 12
TOP_SERIES = 5


def _months(w: Window, first: int, last: int) -> pd.DatetimeIndex:
    return pd.date_range(w.months(first), w.months(last), freq="MS")


def _values(s: pd.Series, months: pd.DatetimeIndex) -> list:
    return [clean(v) for v in s.reindex(months).tolist()]


def _spec(key: str, title: str, unit: str, months: pd.DatetimeIndex, w: Window,
          series: list[dict], bands: list[dict] | None = None) -> dict | None:
    if not any(v is not None for s in series for v in s["values"]):
        return None
    x = [f"{m:%Y-%m}" for m in months]
    return {"key": key, "title": title, "unit": unit, "period": f"{x[0]} to {x[-1]}", "x": x,
            "now": x.index(w.period) if w.period in x else None, "series": series,
            "bands": bands or []}


def _by_month(frame: pd.DataFrame, col: str, ds: str = "ds") -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=float)
    return frame.groupby(month_of(frame[ds]))[col].sum(min_count=1)


def budget_actual_forecast(plan: Plan, w: Window) -> dict | None:
    """Revenue by month: actual (to the period), budget, and the rolling forecast (total)."""
    months = _months(w, 1 - HISTORY, AHEAD)
    fc = plan.forecast
    fc = fc[(fc["level"] == "total") & (pd.to_datetime(fc["ds"]) > w.start)]
    series = [
        {"key": "actual", "label": "Actual", "style": "actual",
         "values": _values(_by_month(plan.sales_monthly, "revenue"), months)},
        {"key": "budget", "label": "Budget", "style": "budget",
         "values": _values(_by_month(plan.budget, "revenue"), months)},
        {"key": "forecast", "label": "Rolling forecast", "style": "forecast",
         "values": _values(_by_month(fc, "revenue"), months)},
    ]
    return _spec("budget_actual", "Revenue: actual, budget and rolling forecast by month",
                 f"revenue, {CURRENCY}", months, w, series)


def forecast_fan(plan: Plan, w: Window) -> dict | None:
    """Units: actual demand to the period, then the total forecast with its 80% and 95%
    prediction intervals."""
    months = _months(w, 1 - HISTORY, FAN_AHEAD)
    fc = plan.forecast
    fc = fc[(fc["level"] == "total") & (pd.to_datetime(fc["ds"]) > w.start)]
    fc = fc.assign(_m=month_of(fc["ds"])).groupby("_m").sum(numeric_only=True)

    def col(c: str) -> list:
        return _values(fc[c], months) if c in fc else [None] * len(months)

    series = [
        {"key": "actual", "label": "Actual", "style": "actual",
         "values": _values(_by_month(plan.sales_monthly, "qty"), months)},
        {"key": "forecast", "label": "Forecast", "style": "forecast", "values": col("forecast")},
    ]
    bands = [{"label": "95% interval", "lo": col("lo_95"), "hi": col("hi_95"), "level": 95},
             {"label": "80% interval", "lo": col("lo_80"), "hi": col("hi_80"), "level": 80}]
    return _spec("forecast_fan", "Demand forecast with 80% and 95% intervals",
                 "units ordered (all products)", months, w, series, bands)


def projected_balance(plan: Plan, w: Window) -> dict | None:
    """Projected finished-goods closing stock against safety stock and demand (all SKUs and
    warehouses) for the next AHEAD months."""
    bal = plan.balance
    if bal.empty:
        return None
    months = _months(w, 1, AHEAD)
    series = [
        {"key": "closing", "label": "Projected closing stock", "style": "actual",
         "values": _values(_by_month(bal, "closing"), months)},
        {"key": "safety", "label": "Safety stock", "style": "reference",
         "values": _values(_by_month(bal, "safety_stock"), months)},
        {"key": "demand", "label": "Demand", "style": "budget",
         "values": _values(_by_month(bal, "demand"), months)},
    ]
    return _spec("balance", "Projected finished-goods balance", "units (all SKUs and warehouses)",
                 months, w, series)


def material_prices(data: Mapping[str, pd.DataFrame], w: Window) -> dict | None:
    """Price index (each material's first month in view = 100) of the materials with the
    highest purchase value over the last 12 months."""
    po = dataset(data, "purchase_orders")
    months = _months(w, 1 - HISTORY, 0)
    prices = price_series(po, w.period, HISTORY)
    if prices.empty:
        return None
    prices = prices.assign(value=prices["avg_price"] * prices["qty"])
    top = prices.groupby("material_id")["value"].sum().nlargest(TOP_SERIES).index
    names = dataset(data, "materials").drop_duplicates("material_id").set_index(
        "material_id")["name"]
    series = []
    for mid in sorted(top, key=str):
        s = prices[prices["material_id"] == mid].set_index("ds")["avg_price"].sort_index()
        base = s.dropna().iloc[0] if s.notna().any() else None
        if base:
            series.append({"key": str(mid), "label": str(names.get(mid, mid)), "style": "plain",
                           "values": _values(s / base * 100.0, months)})
    return _spec("material_prices", "Material price trend (index, first month = 100)",
                 "quantity-weighted PO unit price, indexed", months, w, series)


def lead_times(data: Mapping[str, pd.DataFrame], w: Window) -> dict | None:
    """Average order-to-receipt days of PO lines by receipt month: all suppliers, and each of
    the suppliers with the most receipts."""
    po = dataset(data, "purchase_orders")
    months = _months(w, 1 - HISTORY, 0)
    rec = pd.to_datetime(po["received_date"])
    po = po[(rec >= months[0]) & (rec < w.end)]
    if po.empty:
        return None
    po = po.assign(days=(pd.to_datetime(po["received_date"])
                         - pd.to_datetime(po["order_date"])).dt.days,
                   _m=month_of(po["received_date"]))
    po = po[po["days"] >= 0]
    names = dataset(data, "suppliers").drop_duplicates("supplier_id").set_index(
        "supplier_id")["name"]
    series = [{"key": "all", "label": "All suppliers", "style": "actual",
               "values": _values(po.groupby("_m")["days"].mean(), months)}]
    for sid in po["supplier_id"].value_counts().head(TOP_SERIES).index.sort_values():
        mine = po[po["supplier_id"] == sid]
        series.append({"key": str(sid), "label": str(names.get(sid, sid)), "style": "plain",
                       "values": _values(mine.groupby("_m")["days"].mean(), months)})
    return _spec("lead_times", "Lead time by month of receipt", "days from order to receipt",
                 months, w, series)


def category_revenue(plan: Plan, w: Window) -> dict | None:
    """Revenue by category and month over the last 12 months."""
    months = _months(w, 1 - HISTORY, 0)
    sm = plan.sales_monthly
    if sm.empty:
        return None
    cat = sm["category"].astype("string").fillna("(none)")
    series = [{"key": str(c), "label": str(c), "style": "plain",
               "values": _values(_by_month(sm[cat == c], "revenue"), months)}
              for c in sorted(cat.unique())]
    return _spec("category_revenue", "Revenue by category", f"revenue, {CURRENCY}", months, w,
                 series)


CHARTS = {
    "sales": ("budget_actual", "forecast_fan"),
    "marketing": ("category_revenue", "budget_actual"),
    "sales_admin": ("forecast_fan",),
    "supply": ("balance", "forecast_fan"),
    "procurement": ("material_prices", "lead_times"),
    "management": ("budget_actual", "forecast_fan"),
}


def packet_charts(department: str, w: Window, data: Mapping[str, pd.DataFrame],
                  plan: Plan) -> list[dict]:
    """The chart specs of `department`'s packet (charts without any data are left out)."""
    make = {
        "budget_actual": lambda: budget_actual_forecast(plan, w),
        "forecast_fan": lambda: forecast_fan(plan, w),
        "balance": lambda: projected_balance(plan, w),
        "material_prices": lambda: material_prices(data, w),
        "lead_times": lambda: lead_times(data, w),
        "category_revenue": lambda: category_revenue(plan, w),
    }
    return [spec for key in CHARTS[department] if (spec := make[key]()) is not None]
