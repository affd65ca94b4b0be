"""Annual budget: a top-down target decomposed by month x region x category (x customer),
planned promotions, versions, and the comparison of actual, budget and rolling forecast.

The target is last year's actual revenue grown by `growth_pct`, or an explicit `amount`; it
is spread with last year's month x region x category mix, so the seasonal profile and the
product mix of recent history carry into the plan; customers get their share of each region
x category. Versions are ids like "2026-v1"; an approved version is frozen (the store never
rewrites it) and the next draft takes the next number.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sop.periods import parse_period
from sop.plan import BUDGET_COLUMNS

BUDGET_CUSTOMER_COLUMNS = ("version_id", "year", "ds", "region", "category", "customer_id",
                           "qty", "revenue")
PROMOTION_PLAN_COLUMNS = ("version_id", "year", "ds", "category", "count", "size", "cost",
                          "uplift_pct", "expected_uplift")
ATTAINMENT_COLUMNS = ("month_actual", "month_budget", "month_variance", "month_attainment_pct",
                      "ytd_actual", "ytd_budget", "ytd_variance", "ytd_attainment_pct",
                      "fy_budget", "fy_forecast_rest", "fy_outlook", "fy_variance",
                      "fy_attainment_pct")
UNALLOCATED = "(unallocated)"


class BudgetError(ValueError):
    pass


def budget_by_month(monthly: pd.DataFrame, year: int, growth_pct: float = 5.0,
                    amount: float | None = None, version_id: str | None = None) -> pd.DataFrame:
    """The budget for `year` from `monthly` actuals (ds, region, category, qty, revenue).

    Qty and revenue scale together, so the implied price mix of last year holds. Returns
    BUDGET_COLUMNS; revenue sums exactly to the target.
    """
    base = monthly[monthly["ds"].dt.year == year - 1]
    if base.empty or base["revenue"].sum() <= 0:
        raise BudgetError(f"no sales in {year - 1} to base the {year} budget on")
    cells = base.groupby(["ds", "region", "category"], as_index=False)[["qty", "revenue"]].sum()
    last_total = cells["revenue"].sum()
    target = amount if amount is not None else last_total * (1 + growth_pct / 100.0)
    factor = target / last_total
    out = cells.assign(
        ds=cells["ds"] + pd.DateOffset(years=1),
        qty=cells["qty"] * factor,
        revenue=cells["revenue"] * factor,
        year=year,
        version_id=version_id or f"{year}-draft",
    )
    return out[list(BUDGET_COLUMNS)].reset_index(drop=True)


def budget_by_customer(monthly: pd.DataFrame, budget: pd.DataFrame) -> pd.DataFrame:
    """Each budget cell (month x region x category) split to customers by their share of the
    region x category's revenue in the year before the budget year (units where that region x
    category had no revenue; "(unallocated)" where it had no sales at all). Sums back to every
    cell exactly. Returns BUDGET_CUSTOMER_COLUMNS."""
    if budget.empty:
        return pd.DataFrame(columns=list(BUDGET_CUSTOMER_COLUMNS))
    year = int(budget["year"].iloc[0])
    base = monthly[monthly["ds"].dt.year == year - 1]
    keys = ["region", "category"]
    cust = base.groupby([*keys, "customer_id"], as_index=False)[["qty", "revenue"]].sum()
    totals = cust.groupby(keys)[["qty", "revenue"]].transform("sum")
    cust["share"] = np.where(totals["revenue"] > 0, cust["revenue"] / totals["revenue"].where(
        totals["revenue"] > 0, 1.0), cust["qty"] / totals["qty"].where(totals["qty"] > 0, 1.0))
    cust = cust[cust["share"] > 0][[*keys, "customer_id", "share"]]
    out = budget.merge(cust, on=keys, how="left")
    out["customer_id"] = out["customer_id"].fillna(UNALLOCATED)
    out["share"] = out["share"].fillna(1.0)
    out["qty"] = out["qty"] * out["share"]
    out["revenue"] = out["revenue"] * out["share"]
    return out[list(BUDGET_CUSTOMER_COLUMNS)].sort_values(
        ["ds", "region", "category", "customer_id"], ignore_index=True)


def _active_cells(promotions: pd.DataFrame, regions: list[str]) -> pd.DataFrame:
    """One row per promotion x month x region it runs in (ds, region, category, promo_id);
    a promotion without a region runs in every region."""
    rows = []
    for p in promotions.itertuples(index=False):
        start = pd.Timestamp(p.start_date).to_period("M").to_timestamp()
        end = pd.Timestamp(p.end_date if pd.notna(p.end_date) else p.start_date)
        for ds in pd.date_range(start, end.to_period("M").to_timestamp(), freq="MS"):
            for region in ([p.region] if pd.notna(p.region) and p.region else regions):
                rows.append((ds, region, p.category, p.promo_id))
    return pd.DataFrame(rows, columns=["ds", "region", "category", "promo_id"])


def promotion_uplift(promotions: pd.DataFrame, monthly: pd.DataFrame) -> pd.Series:
    """Historical uplift per category (fraction, 0.2 = +20%): for each region x category, the
    mean share of the month's total revenue in months with a promotion running over that in
    months without, minus 1; averaged over the region x category pairs that have both kinds
    of months. Categories that cannot be measured get 0."""
    cells = monthly.groupby(["ds", "region", "category"], as_index=False)["revenue"].sum()
    cells["share"] = cells["revenue"] / cells.groupby("ds")["revenue"].transform("sum")
    active = _active_cells(promotions, sorted(cells["region"].unique()))
    active = active.drop_duplicates(["ds", "region", "category"]).assign(promo=True)
    cells = cells.merge(active[["ds", "region", "category", "promo"]], how="left",
                        on=["ds", "region", "category"])
    cells["promo"] = cells["promo"].eq(True)
    means = cells.groupby(["region", "category", "promo"])["share"].mean().unstack("promo")
    if True not in means.columns or False not in means.columns:
        return pd.Series(0.0, index=sorted(promotions["category"].dropna().unique()))
    lift = (means[True] / means[False].where(means[False] > 0) - 1).dropna()
    out = lift.groupby(level="category").mean()
    return out.reindex(sorted(set(out.index) | set(promotions["category"].dropna()))).fillna(0.0)


def promotion_plan(promotions: pd.DataFrame, monthly: pd.DataFrame,
                   budget: pd.DataFrame) -> pd.DataFrame:
    """Planned promotions of the budget year per month x category: last year's promotions
    moved one year on (count, size = mean budget per promotion, cost = their sum), with the
    category's `promotion_uplift` and the expected uplift in revenue: the part of the
    budget's revenue of the promoted region x category cells that the uplift carries,
    revenue x u / (1 + u). Returns PROMOTION_PLAN_COLUMNS."""
    if budget.empty:
        return pd.DataFrame(columns=list(PROMOTION_PLAN_COLUMNS))
    year, version = int(budget["year"].iloc[0]), budget["version_id"].iloc[0]
    start = pd.to_datetime(promotions["start_date"])
    last = promotions[start.dt.year == year - 1].assign(
        ds=start.dt.to_period("M").dt.to_timestamp() + pd.DateOffset(years=1))
    if last.empty:
        return pd.DataFrame(columns=list(PROMOTION_PLAN_COLUMNS))
    uplift = promotion_uplift(promotions, monthly)
    plan = last.groupby(["ds", "category"], as_index=False).agg(
        count=("promo_id", "size"), size=("budget", "mean"), cost=("budget", "sum"))
    plan["uplift_pct"] = plan["category"].map(uplift).fillna(0.0) * 100.0
    moved = last.assign(start_date=last["ds"], end_date=last["ds"])
    cells = _active_cells(moved, sorted(budget["region"].unique())).drop_duplicates(
        ["ds", "region", "category"])
    cells = cells.merge(budget[["ds", "region", "category", "revenue"]],
                        on=["ds", "region", "category"], how="left").fillna({"revenue": 0.0})
    u = cells["category"].map(uplift).fillna(0.0)
    cells["carried"] = cells["revenue"] * u / (1 + u)
    carried = cells.groupby(["ds", "category"])["carried"].sum()
    plan["expected_uplift"] = plan.set_index(["ds", "category"]).index.map(carried).fillna(0.0)
    plan = plan.assign(version_id=version, year=year)
    return plan[list(PROMOTION_PLAN_COLUMNS)].sort_values(["ds", "category"], ignore_index=True)


def next_budget_version(stored: pd.DataFrame, year: int) -> str:
    """The version id a new draft for `year` gets: "<year>-v1" first; the latest version
    again while it is an unapproved draft (a re-run replaces it); the next number once it is
    approved (approved versions are frozen)."""
    if stored.empty:
        return f"{year}-v1"
    rows = stored[stored["year"] == year].drop_duplicates("version_id")
    pat = re.compile(rf"^{year}-v(\d+)$")
    numbered = [(int(m.group(1)), bool(a)) for v, a in zip(rows["version_id"], rows["approved"],
                                                            strict=True) if (m := pat.match(v))]
    if not numbered:
        return f"{year}-v1"
    n, approved = max(numbered)
    return f"{year}-v{n + 1}" if approved else f"{year}-v{n}"


_FORECAST_LEVEL = {(): "total", ("region",): "region", ("category",): "category",
                   ("category", "region"): "category_region"}


def budget_attainment(monthly: pd.DataFrame, budget: pd.DataFrame, forecast: pd.DataFrame,
                      period: str, by: tuple[str, ...] = ("region", "category"),
                      measure: str = "revenue") -> pd.DataFrame:
    """Actual against budget and the latest rolling forecast for `period`'s month, the year to
    date and the full year, by `by` (any of region, category; () for the company).

    Full-year outlook = actual year to date + forecast for the months after `period` to
    December. Variances are actual (or outlook) - budget; attainment_pct = 100 x actual (or
    outlook) / budget, NaN where the budget is 0. `measure` is "revenue" or "qty".
    """
    by = tuple(by)
    end = parse_period(period)
    year_start = pd.Timestamp(year=end.year, month=1, day=1)
    col = {"revenue": "revenue", "qty": "qty"}[measure]
    level = _FORECAST_LEVEL[tuple(sorted(by))]
    act = monthly[(monthly["ds"] >= year_start) & (monthly["ds"] <= end)]
    bud = budget[pd.to_datetime(budget["ds"]).dt.year == end.year].assign(
        ds=lambda f: pd.to_datetime(f["ds"]))
    fc = forecast[(forecast["level"] == level) & (forecast["ds"] > end)
                  & (forecast["ds"].dt.year == end.year)]
    fc = fc.assign(value=fc["revenue"] if measure == "revenue" else fc["forecast"])

    def total(frame: pd.DataFrame, value: str, name: str) -> pd.Series:
        if not by:
            return pd.Series({"all": frame[value].sum()}, name=name)
        return frame.groupby(list(by))[value].sum().rename(name)

    parts = [total(act[act["ds"] == end], col, "month_actual"),
             total(bud[bud["ds"] == end], col, "month_budget"),
             total(act, col, "ytd_actual"), total(bud[bud["ds"] <= end], col, "ytd_budget"),
             total(bud, col, "fy_budget"), total(fc, "value", "fy_forecast_rest")]
    out = pd.concat(parts, axis=1).fillna(0.0)
    out["fy_outlook"] = out["ytd_actual"] + out["fy_forecast_rest"]
    for prefix, value in (("month", "month_actual"), ("ytd", "ytd_actual"), ("fy", "fy_outlook")):
        base = out[f"{prefix}_budget"]
        out[f"{prefix}_variance"] = out[value] - base
        out[f"{prefix}_attainment_pct"] = 100.0 * out[value] / base.where(base != 0)
    out = out[list(ATTAINMENT_COLUMNS)]
    if not by:
        return out.reset_index(drop=True)
    out.index.names = list(by)
    return out.reset_index().sort_values(list(by), ignore_index=True)
