"""Demand history: actual monthly sales and the hierarchy of series built from it."""

from __future__ import annotations

import pandas as pd

from sop.contracts import counts_as_demand
from sop.periods import parse_period

LEVELS: tuple[str, ...] = ("total", "category", "region", "category_region", "sku_region")
UNKNOWN = "(unknown)"


def sales_monthly(sales_orders: pd.DataFrame, products: pd.DataFrame,
                  customers: pd.DataFrame) -> pd.DataFrame:
    """Ordered (not cancelled) qty and revenue by month x region x category x sku x customer.

    Order lines are first added up per month x sku x customer (the category follows from the
    sku, the region from the customer), and only those sums get their category and region."""
    keep = counts_as_demand(sales_orders["status"])
    col = {c: sales_orders[c].to_numpy()[keep] for c in ("order_date", "customer_id", "sku",
                                                         "qty", "unit_price")}
    month = col["order_date"].astype("datetime64[M]").astype("datetime64[ns]")
    lines = pd.DataFrame({"ds": month, "sku": col["sku"], "customer_id": col["customer_id"],
                          "qty": col["qty"], "revenue": col["qty"] * col["unit_price"]})
    sums = lines.groupby(["ds", "sku", "customer_id"], as_index=False, sort=False)[
        ["qty", "revenue"]].sum()
    frame = sums.merge(products[["sku", "category"]], on="sku", how="left").merge(
        customers[["customer_id", "region"]], on="customer_id", how="left")
    frame["category"] = frame["category"].fillna(UNKNOWN)
    frame["region"] = frame["region"].fillna(UNKNOWN)
    keys = ["ds", "region", "category", "sku", "customer_id"]
    return frame[[*keys, "qty", "revenue"]].sort_values(keys, ignore_index=True)


def _uid(level: str, row: dict) -> str:
    if level == "total":
        return "total"
    if level == "category":
        return f"category={row['category']}"
    if level == "region":
        return f"region={row['region']}"
    if level == "category_region":
        return f"category={row['category']}|region={row['region']}"
    return f"sku={row['sku']}|region={row['region']}"


LEVEL_KEYS: dict[str, list[str]] = {
    "total": [], "category": ["category"], "region": ["region"],
    "category_region": ["category", "region"], "sku_region": ["category", "sku", "region"],
}


def hierarchy_series(monthly: pd.DataFrame, period: str) -> pd.DataFrame:
    """Long frame (level, unique_id, region, category, sku, ds, y, revenue) for every level.

    Each series runs monthly from its first sale to `period` with missing months as
    zero sales (a month without orders is a month that sold nothing).
    """
    end = parse_period(period)
    hist = monthly[monthly["ds"] <= end]
    parts = []
    for level, keys in LEVEL_KEYS.items():
        g = hist.groupby(keys + ["ds"], as_index=False)[["qty", "revenue"]].sum() if keys else \
            hist.groupby("ds", as_index=False)[["qty", "revenue"]].sum()
        g = g.assign(level=level)
        for col in ("region", "category", "sku"):
            if col not in g:
                g[col] = None
        g["unique_id"] = [_uid(level, r) for r in g[["region", "category", "sku"]].to_dict("records")]
        parts.append(g)
    long = pd.concat(parts, ignore_index=True)
    return _complete_months(long, end).rename(columns={"qty": "y"})


def _complete_months(long: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    firsts = long.groupby("unique_id")["ds"].min()
    attrs = long.drop_duplicates("unique_id").set_index("unique_id")[
        ["level", "region", "category", "sku"]]
    grid = pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, end, freq="MS")})
         for uid, start in firsts.items()], ignore_index=True)
    out = grid.merge(long[["unique_id", "ds", "qty", "revenue"]], on=["unique_id", "ds"], how="left")
    out[["qty", "revenue"]] = out[["qty", "revenue"]].fillna(0.0)
    return out.join(attrs, on="unique_id")[
        ["level", "unique_id", "region", "category", "sku", "ds", "qty", "revenue"]]
