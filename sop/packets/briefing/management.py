"""Management: one page of actual vs budget vs rolling forecast, and one headline per
department (the top alerts and notes are added by `packet_context`)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.orders import invoice_balances
from sop.packets.briefing.common import CURRENCY, Col, Window, kpi, number, pct_change, share, table
from sop.packets.briefing.finance import credit_exposure, order_backlog
from sop.packets.briefing.marketing import category_trends, promotion_results
from sop.packets.briefing.procurement import material_requirements, price_trend
from sop.packets.briefing.sales import progress_total
from sop.packets.briefing.supply import at_risk, production_vs_demand
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


# The sentences of the headlines table; reports/catalog_zh.py translates them by these keys.
HEADLINES = {
    "sales": "Revenue {revenue} in {period} ({month_vs} vs budget); YTD {ytd_vs} vs budget; "
             "full-year outlook {fy_vs} vs budget.",
    "marketing": "Promotions this year: {count}, running at period end: {running}; "
                 "fastest-growing category {category} ({growth}, 3 months vs prior 3).",
    "marketing_none": "Promotions this year: {count}, running at period end: {running}.",
    "sales_admin": "Backlog {lines} lines worth {value}; customers over credit limit: {over} "
                   "(excess {excess}); overdue invoices {overdue}.",
    "supply": "SKU-warehouses below safety stock in the next 3 months: {risk} (stock-outs: "
              "{stockouts}); production plan covers {cover} of forecast demand.",
    "procurement": "Materials short for the next 3 months: {short}; largest price move "
                   "{material} {change}.",
    "procurement_none": "Materials short for the next 3 months: {short}; no price trend "
                        "available.",
}


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
    h = HEADLINES
    rows = [
        ("Sales", h["sales"].format(
            revenue=_money(t.get("month_actual")), period=w.period,
            month_vs=_pct(t.get("month_vs_budget")), ytd_vs=_pct(t.get("ytd_vs_budget")),
            fy_vs=_pct(t.get("fy_vs_budget")))),
        ("Marketing", h["marketing_none" if best is None else "marketing"].format(
            count=len(promos), running=running,
            category=None if best is None else best["category"],
            growth=None if best is None else _pct(best["revenue_growth"]))),
        ("Sales administration", h["sales_admin"].format(
            lines=_money(backlog["lines"].sum()), value=_money(backlog["value"].sum()),
            over=len(over), excess=_money((over["exposure"] - over["credit_limit"]).sum()),
            overdue=_money(overdue))),
        ("Production, warehouse & logistics", h["supply"].format(
            risk=len(risk),
            stockouts=int((risk["risk"] == "stock-out").sum()) if len(risk) else 0,
            cover=_share(cover))),
        ("Procurement", h["procurement" if len(rising) else "procurement_none"].format(
            short=short, material=rising["material"].iloc[0] if len(rising) else None,
            change=_pct(rising["change"].iloc[0]) if len(rising) else None)),
    ]
    return pd.DataFrame(rows, columns=["department", "headline"])


def actual_vs_prior_forecast(plan: Plan, w: Window) -> pd.DataFrame:
    """The period month's actual units and revenue against the forecast the previous
    month's run made for it (company total): actual, forecast, difference (%)."""
    made = plan.prior_forecast
    made = made[made["level"] == "total"] if len(made) else made
    if made.empty:
        return pd.DataFrame(columns=["measure", "actual", "forecast", "vs_forecast", "fmt"])
    sm = plan.sales_monthly
    month = sm[pd.to_datetime(sm["ds"]) == w.start]
    rows = []
    for measure, actual, forecast, fmt in (
            ("Units", month["qty"].sum(), made["forecast"].sum(), "qty"),
            ("Revenue", month["revenue"].sum(), made["revenue"].sum(min_count=1), "money")):
        rows.append({"measure": measure, "actual": number(actual),
                     "forecast": number(forecast), "vs_forecast": pct_change(actual, forecast),
                     "fmt": fmt})
    return pd.DataFrame(rows)


def _with_formats(t: dict, frame: pd.DataFrame) -> dict:
    """A table whose "auto" columns take each row's own format (units or money)."""
    for row, fmt in zip(t["rows"], frame["fmt"], strict=True):
        row["fmt"] = fmt
    return t


def management_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    totals = outlook_totals(plan, w)
    vs_prior = actual_vs_prior_forecast(plan, w)
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
        "vs_forecast": _with_formats(table(
            vs_prior,
            [Col("measure", "Measure"), Col("actual", "Actual", "auto"),
             Col("forecast", "Forecast made last month", "auto"),
             Col("vs_forecast", "vs forecast", "pct")],
            title=f"{w.period}: actual vs the forecast made a month earlier",
            unit=f"company total; units, revenue in {CURRENCY}",
            period=f"forecast made in {w.months(-1):%Y-%m}",
            empty="No forecast was stored for this month last month."), vs_prior),
        "headlines": table(
            department_headlines(w, data, plan),
            [Col("department", "Department"), Col("headline", "Headline")],
            title="Headlines by department", unit="key figures (money in "
            f"{CURRENCY})", period=w.period, empty="No headlines."),
    }
    return {"kpis": kpis, "tables": tables}
