"""Marketing: promotions and their results (sop.packets.briefing.promotions), product mix vs
budget, new products, trends."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.packets.briefing.common import (
    CURRENCY,
    Col,
    Window,
    dataset,
    kpi,
    number,
    pct_change,
    table,
    total_row,
)
from sop.packets.briefing.promotions import (
    BASELINE_DAYS,
    promotion_results,
    promotion_summary,
    upcoming_promotions,
)
from sop.plan import Plan


def _shares(frame: pd.DataFrame, mask: pd.Series) -> pd.Series:
    sub = frame[mask]
    s = sub.groupby(sub["category"].astype("string").fillna("(none)"))["revenue"].sum()
    total = s.sum()
    return s / total * 100.0 if total else s * float("nan")


def product_mix(plan: Plan, w: Window) -> pd.DataFrame:
    """Revenue share by category (%) actual vs budget, for the period month and YTD, and the
    gap in percentage points."""
    sm = plan.sales_monthly.assign(_ds=pd.to_datetime(plan.sales_monthly["ds"]))
    bd = plan.budget.assign(_ds=pd.to_datetime(plan.budget["ds"]))
    out = pd.DataFrame({
        "month_share": _shares(sm, sm["_ds"] == w.start),
        "month_budget_share": _shares(bd, bd["_ds"] == w.start),
        "ytd_share": _shares(sm, (sm["_ds"] >= w.year_start) & (sm["_ds"] < w.end)),
        "ytd_budget_share": _shares(bd, (bd["_ds"] >= w.year_start) & (bd["_ds"] < w.end)),
    })
    if out.empty:
        return out.rename_axis("category").reset_index()
    for h in ("month", "ytd"):
        out[f"{h}_gap"] = out[f"{h}_share"].fillna(0.0) - out[f"{h}_budget_share"].fillna(0.0)
        out.loc[out[[f"{h}_share", f"{h}_budget_share"]].isna().all(axis=1), f"{h}_gap"] = None
    return out.rename_axis("category").reset_index()


def new_products(data: Mapping[str, pd.DataFrame], plan: Plan, w: Window) -> pd.DataFrame:
    """Products launched in the 12 months up to the period end (and those launching in the
    next 3 months), with units and revenue in the period month and since launch."""
    products = dataset(data, "products")
    launch = pd.to_datetime(products["launch_date"])
    recent = products[(launch > w.last_day - pd.DateOffset(months=12))
                      & (launch < w.months(4))].copy()
    if recent.empty:
        return pd.DataFrame(columns=["sku", "name"])
    recent["launch_date"] = pd.to_datetime(recent["launch_date"])
    sm = plan.sales_monthly.assign(_ds=pd.to_datetime(plan.sales_monthly["ds"]))
    sm = sm[sm["_ds"] < w.end]
    month = sm[sm["_ds"] == w.start].groupby("sku")[["qty", "revenue"]].sum()
    since = sm.merge(recent[["sku", "launch_date"]], on="sku")
    since = since[since["_ds"] >= since["launch_date"].dt.to_period("M").dt.to_timestamp()]
    since = since.groupby("sku")[["qty", "revenue"]].sum()
    recent["status"] = ["upcoming" if d > w.last_day else "launched"
                        for d in recent["launch_date"]]
    recent["month_qty"] = recent["sku"].map(month["qty"]).fillna(0.0)
    recent["month_revenue"] = recent["sku"].map(month["revenue"]).fillna(0.0)
    recent["since_qty"] = recent["sku"].map(since["qty"]).fillna(0.0)
    recent["since_revenue"] = recent["sku"].map(since["revenue"]).fillna(0.0)
    return recent.sort_values("launch_date").reset_index(drop=True)


def category_trends(plan: Plan, w: Window) -> pd.DataFrame:
    """Units and revenue by category over the last 3 months vs the 3 months before (growth %),
    with a Total row; growth is n/a when the earlier months hold no data."""
    sm = plan.sales_monthly.assign(_ds=pd.to_datetime(plan.sales_monthly["ds"]),
                                   category=plan.sales_monthly["category"].astype("string")
                                   .fillna("(none)"))
    last = sm[(sm["_ds"] >= w.months(-2)) & (sm["_ds"] < w.end)]
    prior = sm[(sm["_ds"] >= w.months(-5)) & (sm["_ds"] < w.months(-2))]
    out = pd.DataFrame({
        "last_qty": last.groupby("category")["qty"].sum(),
        "last_revenue": last.groupby("category")["revenue"].sum(),
        "prior_qty": prior.groupby("category")["qty"].sum(),
        "prior_revenue": prior.groupby("category")["revenue"].sum(),
    })
    if out.empty:
        return out.rename_axis("category").reset_index()
    out = out.fillna(0.0) if len(prior) else out.fillna({"last_qty": 0.0, "last_revenue": 0.0})
    out = total_row(out.rename_axis("category").reset_index(), "category")
    for c in ("qty", "revenue"):
        out[f"{c}_growth"] = [pct_change(a, b) for a, b in zip(out[f"last_{c}"],
                                                               out[f"prior_{c}"], strict=True)]
    return out


def marketing_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    promos = promotion_results(data, w)
    in_month = (promos[(pd.to_datetime(promos["start_date"]) <= w.last_day)
                       & (pd.to_datetime(promos["end_date"]) >= w.start)]
                if len(promos) else promos)
    trends = category_trends(plan, w)
    cats = trends[trends["category"] != "Total"] if len(trends) else trends
    best = cats.sort_values("revenue_growth", ascending=False).iloc[0] if len(cats) else None
    kpis = [
        kpi("Promotions in the period", len(in_month), "count"),
        kpi("Their budget", in_month["budget"].sum() if len(in_month) else 0.0, "money", CURRENCY),
        kpi("Promotions this year", len(promos), "count"),
        kpi("Promotion budget this year", promos["budget"].sum() if len(promos) else 0.0,
            "money", CURRENCY),
        kpi("Promo revenue this year", promos["promo_revenue"].sum() if len(promos) else 0.0,
            "money", CURRENCY),
        kpi("Fastest-growing category", None if best is None else
            f"{best['category']} ({_signed(best['revenue_growth'])})", "text"),
    ]
    tables = {
        "promotion_summary": table(
            promotion_summary(promos),
            [Col("category", "Category"), Col("kind", "Kind"), Col("count", "Promotions run", "count"),
             Col("budget", "Cost", "money"), Col("inc_qty", "Incremental units", "qty"),
             Col("inc_revenue", "Incremental revenue", "money"),
             Col("inc_margin", "Incremental margin", "money"), Col("net", "Net of cost", "money"),
             Col("roi", "ROI", "ratio")],
            title="Promotion results by category and kind",
            unit=f"{CURRENCY}; units over the baseline", period=f"{w.ytd_label}",
            empty="No promotions ran this year.",
            note="Incremental = units during the promotion less the baseline (see the list), "
                 "at the average price and margin of those orders; net = incremental margin "
                 "less the promotion's cost; ROI = net / cost."),
        "upcoming_promotions": table(
            upcoming_promotions(data, plan, w),
            [Col("name", "Promotion"), Col("category", "Category"), Col("region", "Region"),
             Col("kind", "Kind"), Col("start_date", "Start", "date"),
             Col("end_date", "End", "date"), Col("budget", "Budget", "money"),
             Col("uplift_pct", "Uplift the plan assumes", "share")],
            title="Promotions of the next three months", unit=f"budget in {CURRENCY}",
            period=w.span(1, 3), empty="No promotion starts in the next three months.",
            note="The uplift is the budget's promotion plan (the category's past uplift); the "
                 "statistical forecast itself carries no promotion effect beyond seasonality."),
        "promotions": table(
            promos,
            [Col("name", "Promotion"), Col("category", "Category"), Col("region", "Region"),
             Col("start_date", "Start", "date"), Col("end_date", "End", "date"),
             Col("status", "Status"), Col("budget", "Budget", "money"),
             Col("promo_qty", "Promo units", "qty"), Col("baseline_qty", "Baseline units", "qty"),
             Col("uplift", "Uplift", "pct"), Col("inc_revenue", "Incremental revenue", "money"),
             Col("net", "Net of cost", "money"), Col("roi", "ROI", "ratio")],
            title="Promotions this year and their results",
            unit=f"budget in {CURRENCY}; units", period=f"{w.ytd_label} (status at period end)",
            empty="No promotions ran this year.",
            note=(f"Baseline: the category/region's daily units over the {BASELINE_DAYS} days "
                  "before the start (untagged orders) x the days run; uplift compares all "
                  "units of that category/region during the promotion with it.")),
        "product_mix": table(
            product_mix(plan, w),
            [Col("category", "Category"), Col("month_share", "Month actual", "share"),
             Col("month_budget_share", "Month budget", "share"), Col("month_gap", "Gap", "pp"),
             Col("ytd_share", "YTD actual", "share"), Col("ytd_budget_share", "YTD budget", "share"),
             Col("ytd_gap", "Gap", "pp")],
            title="Product mix against budget mix", unit="share of revenue, %",
            period=f"month {w.period}; YTD {w.ytd_label}", empty="No sales or budget to compare."),
        "new_products": table(
            new_products(data, plan, w),
            [Col("sku", "SKU"), Col("name", "Product"), Col("category", "Category"),
             Col("launch_date", "Launch", "date"), Col("status", "Status"),
             Col("month_qty", "Month units", "qty"), Col("month_revenue", "Month revenue", "money"),
             Col("since_revenue", "Revenue since launch", "money")],
            title="New products", unit=f"units; revenue in {CURRENCY}",
            period=f"launched in the 12 months to {w.period} or due by {w.months(3):%Y-%m}",
            empty="No product launched in the last 12 months."),
        "category_trends": table(
            trends,
            [Col("category", "Category"), Col("last_qty", "Units, last 3 m", "qty"),
             Col("qty_growth", "Growth", "pct"), Col("last_revenue", "Revenue, last 3 m", "money"),
             Col("prior_revenue", "Revenue, prior 3 m", "money"),
             Col("revenue_growth", "Growth", "pct")],
            title="Category trends", unit=f"units; revenue in {CURRENCY}",
            period=f"{w.span(-2, 0)} vs {w.span(-5, -3)}", empty="No sales in the last 6 months."),
    }
    return {"kpis": kpis, "tables": tables}


def _signed(value: object) -> str:
    v = number(value)
    return "n/a" if v is None else f"{v:+.1f}%"

