"""Management: one page of actual vs budget vs rolling forecast, and one headline per
department (the top alerts and notes are added by `packet_context`)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.briefing.common import CURRENCY, Col, Window, kpi, number, pct_change, share, table
from sop.briefing.finance import credit_exposure, order_backlog
from sop.briefing.marketing import category_trends, promotion_results
from sop.briefing.orders import invoice_balances
from sop.briefing.procurement import material_requirements, price_trend
from sop.briefing.sales import progress_total
from sop.briefing.supply import at_risk, production_vs_demand
from sop.plan import Plan


def _revenue(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
             level: str | None = None) -> float | None:
    if level is not None and "level" in frame:
        frame = frame[frame["level"] == level]
    ds = pd.to_datetime(frame["ds"])
    rows = frame[(ds >= start) & (ds < end)]
    return number(rows["revenue"].sum(min_count=1)) if len(rows) else None


def outlook_totals(plan: Plan, w: Window) -> pd.DataFrame:
    """Company revenue: period month, YTD, rest of year and full year; actual, rolling
    forecast (rest of year; the period month when the plan holds it), budget, and the
    difference to budget (%) of actual, or of forecast where there is no actual."""
    t = progress_total(plan, w)
    sm, bd, fc = plan.sales_monthly, plan.budget, plan.forecast
    roy_budget = _revenue(bd, w.end, w.year_end)
    rows = [
        {"horizon": f"Month {w.period}", "actual": t.get("month_actual"),
         "forecast": t.get("month_forecast"), "budget": t.get("month_budget")},
        {"horizon": f"Year to date {w.ytd_label}", "actual": t.get("ytd_actual"),
         "forecast": None, "budget": t.get("ytd_budget")},
        {"horizon": f"Rest of year {w.months(1):%Y-%m} to {w.year_start.year}-12",
         "actual": None, "forecast": t.get("rest_forecast"), "budget": roy_budget},
        {"horizon": f"Full year {w.start.year} (actual + forecast)", "actual": None,
         "forecast": t.get("fy_outlook"), "budget": t.get("fy_budget")},
    ]
    if w.start.month == 12:
        rows.pop(2)
    out = pd.DataFrame(rows)
    if sm.empty and bd.empty and fc.empty:
        return out.iloc[0:0]
    out["vs_budget"] = [pct_change(a if number(a) is not None else f, b)
                        for a, f, b in zip(out["actual"], out["forecast"], out["budget"],
                                           strict=True)]
    return out


def _money(v: object) -> str:
    n = number(v)
    return "n/a" if n is None else f"{n:,.0f}"


def _pct(v: object) -> str:
    n = number(v)
    return "n/a" if n is None else f"{n:+.1f}%"


def _share(v: object) -> str:
    n = number(v)
    return "n/a" if n is None else f"{n:.0f}%"


def department_headlines(w: Window, data: Mapping[str, pd.DataFrame],
                         plan: Plan) -> pd.DataFrame:
    """One sentence per department with its key figures."""
    t = progress_total(plan, w)
    promos = promotion_results(data, w)
    running = int((promos["status"] == "running").sum()) if len(promos) else 0
    trends = category_trends(plan, w)
    cats = trends[trends["category"] != "Total"].dropna(subset=["revenue_growth"]) if len(
        trends) else trends
    best = cats.sort_values("revenue_growth").iloc[-1] if len(cats) else None
    backlog = order_backlog(data, w)
    backlog = backlog[backlog["age"] != "Total"]
    exposure = credit_exposure(data, w)
    over = exposure[exposure["over_limit"]]
    inv = invoice_balances(data, w.end)
    overdue = inv.loc[inv["days_overdue"] > 0, "balance"].sum()
    risk = at_risk(plan, data, w)
    pvd = production_vs_demand(data, plan, w)
    cover = share(pvd["planned"].sum(), pvd["forecast"].sum()) if len(pvd) else None
    prices = price_trend(data, w)
    reqs = material_requirements(data, plan, w)
    short = int((reqs["status"] == "short").sum()) if len(reqs) else 0
    rising = prices.dropna(subset=["change"]) if len(prices) else prices
    rows = [
        ("Sales", f"Revenue {_money(t.get('month_actual'))} in {w.period} "
                  f"({_pct(t.get('month_vs_budget'))} vs budget); YTD "
                  f"{_pct(t.get('ytd_vs_budget'))} vs budget; full-year outlook "
                  f"{_pct(t.get('fy_vs_budget'))} vs budget."),
        ("Marketing", f"Promotions this year: {len(promos)}, running at period end: {running}"
                      + (f"; fastest-growing category {best['category']} "
                         f"({_pct(best['revenue_growth'])}, 3 months vs prior 3)."
                         if best is not None else ".")),
        ("Sales administration",
         f"Backlog {_money(backlog['lines'].sum())} lines worth "
         f"{_money(backlog['value'].sum())}; customers over credit limit: {len(over)} "
         f"(excess {_money((over['exposure'] - over['credit_limit']).sum())}); "
         f"overdue invoices {_money(overdue)}."),
        ("Production, warehouse & logistics",
         f"SKU-warehouses below safety stock in the next 3 months: {len(risk)}"
         f" (stock-outs: {int((risk['risk'] == 'stock-out').sum()) if len(risk) else 0}); "
         f"production plan covers {_share(cover)} of forecast demand."),
        ("Procurement",
         f"Materials short for the next 3 months: {short}; "
         + (f"largest price move {rising['material'].iloc[0]} {_pct(rising['change'].iloc[0])}."
            if len(rising) else "no price trend available.")),
    ]
    return pd.DataFrame(rows, columns=["department", "headline"])


def management_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    totals = outlook_totals(plan, w)
    t = progress_total(plan, w)
    kpis = [
        kpi("Revenue this month", t.get("month_actual"), "money", CURRENCY),
        kpi("Month vs budget", t.get("month_vs_budget"), "pct"),
        kpi("YTD vs budget", t.get("ytd_vs_budget"), "pct"),
        kpi("Full-year outlook", t.get("fy_outlook"), "money", CURRENCY),
        kpi("Outlook vs budget", t.get("fy_vs_budget"), "pct"),
    ]
    tables = {
        "totals": table(
            totals, [Col("horizon", "Horizon"), Col("actual", "Actual", "money"),
                     Col("forecast", "Rolling forecast", "money"),
                     Col("budget", "Budget", "money"), Col("vs_budget", "vs budget", "pct")],
            title="Actual vs budget vs rolling forecast", unit=f"revenue, {CURRENCY}",
            period=f"{w.period}, year {w.start.year}", empty="No sales, budget or forecast.",
            note="vs budget compares the actual, or the forecast where there is no actual yet."),
        "headlines": table(
            department_headlines(w, data, plan),
            [Col("department", "Department"), Col("headline", "Headline")],
            title="Headlines by department", unit="key figures (money in "
            f"{CURRENCY})", period=w.period, empty="No headlines."),
    }
    return {"kpis": kpis, "tables": tables}
