"""Promotions in the marketing packet: each promotion's results over a pre-period baseline,
incremental revenue and margin net of its cost, the year by category and kind, and the
promotions of the next three months with the uplift the plan assumes."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.analytics import distinct_values, queried
from sop.contracts import counts_as_demand
from sop.memo import remembered
from sop.packets.briefing.common import Window, dataset, number, pct_change, total_row
from sop.plan import Plan

ANY = frozenset({"", "all", "*", "any", "global", "total"})
BASELINE_DAYS = 90


def _scoped_masters(data: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each product's category (lower-cased, for matching promotions' scopes) and unit cost,
    each customer's region (lower-cased): the first row of a key, as a map would take it."""
    products = dataset(data, "products").drop_duplicates("sku")
    customers = dataset(data, "customers").drop_duplicates("customer_id")
    return {"products": pd.DataFrame({"sku": products["sku"], "unit_cost": products["unit_cost"],
                                      "_category": _lowered(products["category"])}),
            "customers": pd.DataFrame({"customer_id": customers["customer_id"],
                                       "_region": _lowered(customers["region"])})}


def _lowered(values: pd.Series) -> pd.Series:
    return pd.Series(values.astype("string").str.lower().fillna("").to_numpy(dtype=object),
                     index=values.index)


# Non-cancelled order lines with their scope (lower-cased category and region), value and cost.
_LINES = """
SELECT so.order_date, so.qty, so.promo_id, so.qty * so.unit_price AS value,
       so.qty * coalesce(p.unit_cost, 0) AS cost,
       coalesce(p._category, '') AS _category, coalesce(c._region, '') AS _region
FROM so
LEFT JOIN statuses s ON so.status = s.status
LEFT JOIN products p ON so.sku = p.sku
LEFT JOIN customers c ON so.customer_id = c.customer_id
WHERE coalesce(s.demand, true)"""
# Units per order date x category x region (all, and untagged for the baseline).
_DAILY = """
SELECT order_date, _category, _region, coalesce(fsum(qty), 0) AS qty,
       coalesce(fsum(CASE WHEN promo_id IS NULL THEN qty ELSE 0 END), 0) AS _untagged,
       coalesce(fsum(value), 0) AS value, coalesce(fsum(cost), 0) AS cost
FROM lines WHERE order_date IS NOT NULL GROUP BY ALL"""
# Promo-tagged units and revenue per promotion, through the period's last day.
_TAGGED = """
SELECT promo_id, coalesce(fsum(qty), 0) AS qty, coalesce(fsum(value), 0) AS value
FROM lines WHERE promo_id IS NOT NULL AND order_date <= TIMESTAMP '{last_day}'
GROUP BY promo_id"""
_FIRST = "SELECT min(order_date) AS first FROM lines"


def _order_sums(data: Mapping[str, pd.DataFrame], last_day: pd.Timestamp
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """The order lines added up once by the analytical engine, so that each promotion reads
    sums, not every order line: daily units, value and cost by scope, tagged units and
    revenue per promotion (index promo_id), and the first order date."""
    so = dataset(data, "sales_orders")
    so = pd.DataFrame({c: pd.to_datetime(so[c]) if c == "order_date" else so[c] for c in (
        "order_date", "customer_id", "sku", "qty", "unit_price", "status", "promo_id")},
        copy=False)
    statuses = distinct_values(so, "status")
    tables = {"so": so, "statuses": pd.DataFrame({"status": statuses,
                                                  "demand": counts_as_demand(statuses)}),
              **_scoped_masters(data)}
    out = queried(tables, {"daily": _DAILY, "first": _FIRST,
                           "tagged": _TAGGED.format(last_day=pd.Timestamp(last_day))},
                  views={"lines": _LINES})
    daily = out["daily"].astype({"order_date": "datetime64[ns]", "_category": "category",
                                 "_region": "category"})  # a scope compares codes
    return daily, out["tagged"].set_index("promo_id"), pd.Timestamp(out["first"]["first"].iloc[0])


def _scope(orders: pd.DataFrame, promo: pd.Series) -> pd.Series:
    mask = pd.Series(True, index=orders.index)
    for col in ("category", "region"):
        val = promo.get(col)
        if isinstance(val, str) and val.strip().lower() not in ANY:
            mask &= orders[f"_{col}"] == val.strip().lower()
    return mask


def promotion_results(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """`_promotion_results`, computed once for a run's data (marketing and management both
    show it)."""
    frames = tuple(dataset(data, n) for n in ("sales_orders", "products", "customers",
                                              "promotions"))
    return remembered("promotions", frames, w.period, lambda: _promotion_results(data, w))


def _promotion_results(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Promotions running at some point between 1 January and the period end, with status at
    period end, budget, promo-tagged units and revenue, and the uplift of all units of the
    promotion's category/region during its days (through period end) over a baseline (the
    daily average of the 90 days before it started, untagged orders only).

    Incremental results over that baseline: incremental units = units during - baseline;
    incremental revenue and margin = those units x the average price and margin (price -
    unit cost) of the category/region's orders during the promotion; net = incremental margin
    - the promotion's budget (its cost); ROI = net / budget. Without a baseline (history too
    short) they are unknown, never 0."""
    promos = dataset(data, "promotions").copy()
    promos["start_date"] = pd.to_datetime(promos["start_date"])
    promos["end_date"] = pd.to_datetime(promos["end_date"])
    promos = promos[(promos["start_date"] <= w.last_day) & (promos["end_date"] >= w.year_start)]
    if promos.empty:
        return pd.DataFrame(columns=["promo_id", "name"])
    daily, tagged_sums, first_order = _order_sums(data, w.last_day)
    rows = []
    for _, p in promos.sort_values("start_date").iterrows():
        stop = min(p["end_date"], w.last_day)
        days = max((stop - p["start_date"]).days + 1, 0)
        scope = _scope(daily, p)
        window = daily.loc[scope & (daily["order_date"] >= p["start_date"])
                           & (daily["order_date"] <= stop)]
        during = window["qty"].sum()
        before = daily.loc[scope & (daily["order_date"] >= p["start_date"] - pd.Timedelta(
            days=BASELINE_DAYS)) & (daily["order_date"] < p["start_date"]), "_untagged"].sum()
        has_base = pd.notna(first_order) and first_order <= p["start_date"] - pd.Timedelta(
            days=BASELINE_DAYS)
        baseline = before / BASELINE_DAYS * days if has_base else None
        known = p["promo_id"] in tagged_sums.index
        promo_qty = tagged_sums.at[p["promo_id"], "qty"] if known else 0
        promo_revenue = tagged_sums.at[p["promo_id"], "value"] if known else 0.0
        status = ("running" if p["end_date"] > w.last_day else
                  "ended in period" if p["end_date"] >= w.start else "ended")
        rows.append({
            "promo_id": p["promo_id"], "name": p["name"], "category": p["category"],
            "region": p["region"], "kind": p["kind"], "start_date": p["start_date"],
            "end_date": p["end_date"], "status": status, "budget": p["budget"],
            "promo_qty": promo_qty, "promo_revenue": promo_revenue,
            "window_qty": during, "baseline_qty": baseline,
            "uplift": pct_change(during, baseline),
            "revenue_per_budget": (number(promo_revenue) / p["budget"]
                                   if number(p["budget"]) else None),
            **_incremental(window, baseline, p["budget"]),
        })
    return pd.DataFrame(rows)


def _incremental(window: pd.DataFrame, baseline: float | None, budget: object) -> dict:
    qty = window["qty"].sum()
    if baseline is None or qty <= 0:
        return {"inc_qty": None, "inc_revenue": None, "inc_margin": None, "net": None,
                "roi": None}
    inc = qty - baseline
    price, margin = window["value"].sum() / qty, (window["value"] - window["cost"]).sum() / qty
    cost = number(budget) or 0.0
    net = inc * margin - cost
    return {"inc_qty": inc, "inc_revenue": inc * price, "inc_margin": inc * margin, "net": net,
            "roi": net / cost if cost else None}


def promotion_summary(promos: pd.DataFrame) -> pd.DataFrame:
    """The year's promotions by category and kind: count, budget (cost), incremental units,
    revenue and margin, net (margin - cost) and ROI, over the promotions with a baseline;
    with a Total row (ROI recomputed)."""
    cols = ["category", "kind", "count", "budget", "inc_qty", "inc_revenue", "inc_margin", "net",
            "roi"]
    if promos.empty:
        return pd.DataFrame(columns=cols)
    known = promos[promos["inc_qty"].notna()]
    g = promos.groupby(["category", "kind"], as_index=False).agg(count=("promo_id", "size"),
                                                                 budget=("budget", "sum"))
    sums = known.groupby(["category", "kind"], as_index=False)[
        ["inc_qty", "inc_revenue", "inc_margin", "net"]].sum()
    g = g.merge(sums, on=["category", "kind"], how="left")
    g = total_row(g.sort_values("net", ascending=False), "category")
    cost = known.groupby(["category", "kind"])["budget"].sum()
    measured = [cost.get((c, k), 0.0) for c, k in zip(g["category"], g["kind"], strict=True)]
    if len(g) > 1 and g["category"].iloc[-1] == "Total":
        measured[-1] = known["budget"].sum()
    g["roi"] = [n / b if b else None for n, b in zip(g["net"], measured, strict=True)]
    return g[cols]


def upcoming_promotions(data: Mapping[str, pd.DataFrame], plan: Plan, w: Window) -> pd.DataFrame:
    """Promotions starting in the next 3 months, with the uplift the budget's promotion plan
    assumes for their category and month (the statistical forecast itself carries no
    promotion effect beyond seasonality)."""
    promos = dataset(data, "promotions")
    start = pd.to_datetime(promos["start_date"])
    soon = promos[(start >= w.end) & (start < w.months(4))].copy()
    if soon.empty:
        return pd.DataFrame(columns=["name", "category", "region", "kind", "start_date",
                                     "end_date", "budget", "uplift_pct"])
    pp = plan.promotion_plan
    assumed = (pp.assign(ds=pd.to_datetime(pp["ds"])).set_index(["ds", "category"])["uplift_pct"]
               if len(pp) else pd.Series(dtype=float))
    month = pd.to_datetime(soon["start_date"]).dt.to_period("M").dt.to_timestamp()
    soon["uplift_pct"] = [assumed.get((m, c)) for m, c in zip(month, soon["category"],
                                                               strict=True)]
    return soon.sort_values("start_date").reset_index(drop=True)
