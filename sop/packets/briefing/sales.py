"""Sales: progress against target, top customers, demand change, channel, next period."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.orders import open_order_lines
from sop.packets.briefing.common import (
    CURRENCY,
    Col,
    Window,
    dataset,
    kpi,
    number,
    pct_change,
    share,
    table,
    total_row,
    with_names,
)
from sop.plan import Plan

LEVEL = {None: "total", "region": "region", "category": "category"}


def _keyed(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    key = frame[by].astype("string").fillna("(none)") if by else "Total"
    return frame.assign(_key=key, _ds=pd.to_datetime(frame["ds"]))


def _sums(frame: pd.DataFrame, mask: pd.Series, col: str, keys: pd.Index) -> pd.Series:
    """Sum of `col` by key over `mask`; 0 for keys without rows, NaN when `frame` is empty."""
    if frame.empty:
        return pd.Series(float("nan"), index=keys)
    return frame[mask].groupby("_key")[col].sum(min_count=1).reindex(keys).fillna(0.0)


def revenue_progress(plan: Plan, w: Window, by: str | None = None) -> pd.DataFrame:
    """Revenue actual vs budget for the period month and YTD, and the full-year outlook
    (actual YTD + rolling forecast for the rest of the year) vs the full-year budget, by
    `by` ("region" or "category") with a final Total row, or the total only when `by` is None.
    `month_forecast` is the forecast for the period month when the plan holds one."""
    sm = _keyed(plan.sales_monthly, by)
    bd = _keyed(plan.budget, by)
    bd = bd[(bd["_ds"] >= w.year_start) & (bd["_ds"] < w.year_end)]
    fc = plan.forecast
    fc = _keyed(fc[fc["level"] == LEVEL[by]], by) if "level" in fc else _keyed(fc.iloc[0:0], by)
    keys = pd.Index(sorted(set(sm["_key"]) | set(bd["_key"])), name=by or "scope")
    month, ytd = sm["_ds"] == w.start, (sm["_ds"] >= w.year_start) & (sm["_ds"] < w.end)
    out = pd.DataFrame(index=keys)
    out["month_actual"] = _sums(sm, month, "revenue", keys)
    out["month_budget"] = _sums(bd, bd["_ds"] == w.start, "revenue", keys)
    out["ytd_actual"] = _sums(sm, ytd, "revenue", keys)
    out["ytd_budget"] = _sums(bd, bd["_ds"] < w.end, "revenue", keys)
    out["fy_budget"] = _sums(bd, bd["_ds"] >= w.year_start, "revenue", keys)
    needed = 12 - w.start.month
    rest = fc[(fc["_ds"] >= w.end) & (fc["_ds"] < w.year_end)]
    covered = rest.groupby("_key")["_ds"].nunique().reindex(keys)
    roy = rest.groupby("_key")["revenue"].sum(min_count=1).reindex(keys)
    out["rest_forecast"] = 0.0 if needed == 0 else roy.where(covered >= needed)
    out["fy_outlook"] = out["ytd_actual"] + out["rest_forecast"]
    out["month_forecast"] = fc[fc["_ds"] == w.start].groupby("_key")["revenue"].sum(
        min_count=1).reindex(keys)
    out = out.reset_index()
    if by:
        total = revenue_progress(plan, w, None).rename(columns={"scope": by})
        out = pd.concat([out, total], ignore_index=True) if len(out) else out
    for h in ("month", "ytd", "fy"):
        actual = out["fy_outlook"] if h == "fy" else out[f"{h}_actual"]
        out[f"{h}_vs_budget"] = [pct_change(a, b) for a, b in zip(actual, out[f"{h}_budget"],
                                                                  strict=True)]
    return out


def progress_total(plan: Plan, w: Window) -> pd.Series:
    """The Total row of `revenue_progress` (an empty Series when there is no data)."""
    frame = revenue_progress(plan, w)
    return frame.iloc[0] if len(frame) else pd.Series(dtype=object)


def _monthly(plan: Plan) -> pd.DataFrame:
    sm = plan.sales_monthly
    return sm.assign(_ds=pd.to_datetime(sm["ds"]))


def top_customers(plan: Plan, data: Mapping[str, pd.DataFrame], w: Window,
                  n: int = 10) -> pd.DataFrame:
    """The `n` customers with the highest YTD revenue: month and YTD revenue, YTD units,
    share of YTD revenue (%) and YTD change vs the same months last year (%)."""
    sm = _monthly(plan)
    ly = (w.year_start - pd.DateOffset(years=1), w.end - pd.DateOffset(years=1))
    ytd = sm[(sm["_ds"] >= w.year_start) & (sm["_ds"] < w.end)]
    if ytd.empty:
        return pd.DataFrame(columns=["customer_id", "customer"])
    g = ytd.groupby("customer_id").agg(ytd_revenue=("revenue", "sum"), ytd_qty=("qty", "sum"))
    g["month_revenue"] = sm[sm["_ds"] == w.start].groupby("customer_id")["revenue"].sum()
    g["month_revenue"] = g["month_revenue"].fillna(0.0)
    last = sm[(sm["_ds"] >= ly[0]) & (sm["_ds"] < ly[1])]
    ly_rev = last.groupby("customer_id")["revenue"].sum()
    has_ly = not last.empty
    g["ytd_vs_ly"] = [pct_change(r, ly_rev.get(c, 0.0)) if has_ly else None
                      for c, r in g["ytd_revenue"].items()]
    g["ytd_share"] = [share(r, g["ytd_revenue"].sum()) for r in g["ytd_revenue"]]
    g = g.sort_values("ytd_revenue", ascending=False).head(n).reset_index()
    customers = dataset(data, "customers")
    g = with_names(g, customers, "customer_id", target="customer")
    return with_names(g, customers, "customer_id", "region", "region")


def demand_change(plan: Plan, w: Window) -> pd.DataFrame:
    """Units ordered by category in the period month vs last month and vs the same month
    last year, with a Total row (changes in %, n/a when the comparison month has no data)."""
    sm = _monthly(plan)
    months = {"units": w.start, "prev": w.months(-1), "ly": w.months(-12)}
    cats = pd.Index(sorted(sm["category"].astype("string").fillna("(none)").unique()))
    out = pd.DataFrame(index=cats)
    for name, m in months.items():
        rows = sm[sm["_ds"] == m]
        s = rows.groupby(rows["category"].astype("string").fillna("(none)"))["qty"].sum()
        out[name] = s.reindex(cats).fillna(0.0) if len(rows) else float("nan")
    out = total_row(out.rename_axis("category").reset_index(), "category")
    out["vs_prev"] = [pct_change(a, b) for a, b in zip(out["units"], out["prev"], strict=True)]
    out["vs_ly"] = [pct_change(a, b) for a, b in zip(out["units"], out["ly"], strict=True)]
    return out


def channel_sell_through(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Distributor sell-out (units) in the period month vs last month, channel stock at month
    end (units), weeks of cover at this month's sell-out rate, and sell-through %
    (sell-out / (sell-out + closing stock)), by customer with a Total row."""
    ci = dataset(data, "channel_inventory")
    ds = pd.to_datetime(ci["period"]).dt.to_period("M").dt.to_timestamp()
    cur, prev = ci[ds == w.start], ci[ds == w.months(-1)]
    if cur.empty:
        return pd.DataFrame(columns=["customer_id", "customer"])
    g = cur.groupby("customer_id").agg(sell_out=("sell_out_qty", "sum"), stock=("stock_qty", "sum"))
    g["sell_out_prev"] = (prev.groupby("customer_id")["sell_out_qty"].sum().reindex(g.index)
                          .fillna(0.0) if len(prev) else float("nan"))
    g = g.sort_values("sell_out", ascending=False).reset_index()
    g = with_names(g, dataset(data, "customers"), "customer_id", target="customer")
    g = total_row(g.drop(columns=["customer_id"]), "customer")
    weeks = (w.end - w.start).days / 7.0
    g["vs_prev"] = [pct_change(a, b) for a, b in zip(g["sell_out"], g["sell_out_prev"],
                                                      strict=True)]
    g["weeks_cover"] = [None if not number(s) else number(k) / (s / weeks)
                        for s, k in zip(g["sell_out"], g["stock"], strict=True)]
    g["sell_through"] = [share(s, (number(s) or 0) + (number(k) or 0))
                         for s, k in zip(g["sell_out"], g["stock"], strict=True)]
    return g


def next_period_orders(data: Mapping[str, pd.DataFrame], plan: Plan, w: Window) -> pd.DataFrame:
    """By category: open orders (as of period end) requested for next month and past due
    (units, value), and next month's forecast (units, revenue), with a Total row."""
    lines = open_order_lines(data, w.end)
    products = dataset(data, "products")
    cat = products.drop_duplicates("sku").set_index("sku")["category"]
    lines = lines.assign(category=lines["sku"].map(cat).fillna("(unknown)"))
    req = pd.to_datetime(lines["requested_date"])
    nxt = lines[(req >= w.end) & (req < w.months(2))]
    due = lines[req < w.end]
    fc = plan.forecast
    fc = fc[(fc["level"] == "category") & (pd.to_datetime(fc["ds"]) == w.end)]
    out = pd.DataFrame({
        "open_qty": nxt.groupby("category")["open_qty"].sum(),
        "open_value": nxt.groupby("category")["open_value"].sum(),
        "past_due_qty": due.groupby("category")["open_qty"].sum(),
        "forecast_qty": fc.groupby("category")["forecast"].sum(),
        "forecast_revenue": fc.groupby("category")["revenue"].sum(min_count=1),
    })
    if out.empty:
        return out.rename_axis("category").reset_index()
    for c in ("open_qty", "open_value", "past_due_qty"):
        out[c] = out[c].fillna(0.0)
    out = total_row(out.rename_axis("category").reset_index(), "category")
    if fc.empty:
        out[["forecast_qty", "forecast_revenue"]] = float("nan")
    out["order_cover"] = [share(o, f) for o, f in zip(out["open_qty"], out["forecast_qty"],
                                                      strict=True)]
    return out


def _progress_table(frame: pd.DataFrame, by: str, w: Window) -> dict:
    cols = [Col(by, by.capitalize()), Col("month_actual", "Month actual", "money"),
            Col("month_budget", "Month budget", "money"), Col("month_vs_budget", "vs budget", "pct"),
            Col("ytd_actual", "YTD actual", "money"), Col("ytd_budget", "YTD budget", "money"),
            Col("ytd_vs_budget", "vs budget", "pct"), Col("fy_outlook", "FY outlook", "money"),
            Col("fy_vs_budget", "Outlook vs FY budget", "pct")]
    return table(frame, cols, title=f"Revenue against target by {by}", unit=f"revenue, {CURRENCY}",
                 period=f"month {w.period}; YTD {w.ytd_label}; full year {w.start.year}",
                 empty="No sales or budget figures for this year.",
                 note="FY outlook = actual YTD + rolling forecast for the rest of the year.")


def sales_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    total = progress_total(plan, w)
    nxt = next_period_orders(data, plan, w)
    nxt_fc = nxt.loc[nxt["category"] != "Total", "forecast_revenue"].sum(min_count=1) if len(
        nxt) else None
    kpis = [
        kpi("Revenue this month", total.get("month_actual"), "money", CURRENCY),
        kpi("Month vs budget", total.get("month_vs_budget"), "pct"),
        kpi("Revenue YTD", total.get("ytd_actual"), "money", CURRENCY),
        kpi("YTD vs budget", total.get("ytd_vs_budget"), "pct"),
        kpi("Full-year outlook vs budget", total.get("fy_vs_budget"), "pct"),
        kpi(f"Forecast {w.months(1):%Y-%m}", nxt_fc, "money", CURRENCY),
    ]
    tables = {
        "by_region": _progress_table(revenue_progress(plan, w, "region"), "region", w),
        "by_category": _progress_table(revenue_progress(plan, w, "category"), "category", w),
        "top_customers": table(
            top_customers(plan, data, w),
            [Col("customer", "Customer"), Col("region", "Region"),
             Col("month_revenue", "Month", "money"), Col("ytd_revenue", "YTD", "money"),
             Col("ytd_qty", "YTD units", "qty"), Col("ytd_share", "Share of YTD", "share"),
             Col("ytd_vs_ly", "YTD vs last year", "pct")],
            title="Top customers by YTD revenue", unit=f"revenue, {CURRENCY}; units",
            period=f"month {w.period}; YTD {w.ytd_label}", empty="No customer sales this year."),
        "demand_change": table(
            demand_change(plan, w),
            [Col("category", "Category"), Col("units", w.period, "qty"),
             Col("prev", f"{w.months(-1):%Y-%m}", "qty"), Col("vs_prev", "vs last month", "pct"),
             Col("ly", f"{w.months(-12):%Y-%m}", "qty"), Col("vs_ly", "vs last year", "pct")],
            title="Demand change by category", unit="units ordered",
            period=f"{w.period} vs {w.months(-1):%Y-%m} and {w.months(-12):%Y-%m}",
            empty="No orders in the period."),
        "channel": table(
            channel_sell_through(data, w),
            [Col("customer", "Distributor"), Col("sell_out", "Sell-out", "qty"),
             Col("vs_prev", "vs last month", "pct"), Col("stock", "Channel stock", "qty"),
             Col("weeks_cover", "Weeks of cover", "weeks"),
             Col("sell_through", "Sell-through", "share")],
            title="Channel sell-through and stock", unit="units",
            period=f"{w.period} (stock at month end)",
            empty="No channel inventory reported for the period."),
        "next_period": table(
            nxt,
            [Col("category", "Category"), Col("open_qty", "Open orders", "qty"),
             Col("open_value", "Open order value", "money"), Col("past_due_qty", "Past due", "qty"),
             Col("forecast_qty", "Forecast", "qty"), Col("forecast_revenue", "Forecast revenue",
                                                         "money"),
             Col("order_cover", "Orders / forecast", "share")],
            title=f"Next period ({w.months(1):%Y-%m}): open orders and forecast",
            unit=f"units; value and revenue in {CURRENCY}",
            period=f"orders open at end of {w.period}, requested for {w.months(1):%Y-%m}",
            empty="No open orders or forecast for next month.",
            note="Past due = open orders requested before the end of the period."),
    }
    return {"kpis": kpis, "tables": tables}
