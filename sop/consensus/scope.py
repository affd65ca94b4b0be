"""What a department reviews for a period: the months, the names it may use, and the rows
of the forecast-review workbook (the statistical forecast by category x region and for each
key account, month by month, beside last year and the budget)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sop.periods import parse_period

REVIEW_ROW_COLUMNS = ("category", "region", "customer", "customer_id", "ds", "statistical",
                      "statistical_revenue", "last_year", "budget", "budget_revenue")


@dataclass(frozen=True)
class ReviewScope:
    """The period under review and what an adjustment may name. `customers` and `products`
    map every accepted spelling (the name as the packets show it, and the ERP code) to the
    code; categories and regions are named as in the packets."""

    period: str
    months: tuple[pd.Timestamp, ...]
    categories: tuple[str, ...]
    regions: tuple[str, ...]
    customers: dict[str, str]
    products: dict[str, str]
    key_accounts: tuple[str, ...] = ()

    def customer_name(self, customer_id: str) -> str:
        return next((n for n, c in self.customers.items() if c == customer_id and n != c),
                    customer_id)


def review_months(period: str, months: int) -> tuple[pd.Timestamp, ...]:
    """The `months` months after `period` that a review may adjust."""
    start = parse_period(period)
    return tuple(start + pd.DateOffset(months=k) for k in range(1, months + 1))


def _spellings(master: pd.DataFrame, key: str, used: set[str]) -> dict[str, str]:
    """Code -> code, and name -> code; a name two of them share is written 'Name (code)'."""
    rows = master[master[key].isin(used)].drop_duplicates(key) if len(master) else master
    names = rows["name"].where(rows["name"].notna(), "").astype(str).str.strip()
    shared = names.duplicated(keep=False)
    out = {str(c): str(c) for c in used}
    for code, name, twin in zip(rows[key], names, shared, strict=True):
        if name:
            out.setdefault(f"{name} ({code})" if twin else name, str(code))
    return out


def review_scope(cells: pd.DataFrame, customers: pd.DataFrame, products: pd.DataFrame,
                 period: str, months: int, key_accounts: Sequence[str] = ()) -> ReviewScope:
    """The scope of a review of `cells` (model.CELL_COLUMNS, the statistical forecast)."""
    window = review_months(period, months)
    c = cells[pd.to_datetime(cells["ds"]).isin(window)]
    return ReviewScope(
        period=period, months=window,
        categories=tuple(sorted(c["category"].dropna().astype(str).unique())),
        regions=tuple(sorted(c["region"].dropna().astype(str).unique())),
        customers=_spellings(customers, "customer_id", set(c["customer_id"].dropna().astype(str))),
        products=_spellings(products, "sku", set(c["sku"].dropna().astype(str))),
        key_accounts=tuple(k for k in key_accounts if k in set(c["customer_id"].astype(str))))


def review_rows(cells: pd.DataFrame, monthly: pd.DataFrame, budget: pd.DataFrame,
                scope: ReviewScope) -> pd.DataFrame:
    """REVIEW_ROW_COLUMNS: one row per category x region x month of the scope, then one per
    key account x month; units and revenue of the statistical forecast, last year's units
    in the same month, and the budget's (category x region rows only)."""
    c = cells[pd.to_datetime(cells["ds"]).isin(scope.months)].assign(
        ds=lambda f: pd.to_datetime(f["ds"]))
    year_ago = monthly.assign(ds=pd.to_datetime(monthly["ds"]) + pd.DateOffset(years=1))
    keys = ["category", "region", "ds"]
    grid = c.groupby(keys, as_index=False)[["qty", "revenue"]].sum()
    ly = year_ago.groupby(keys, as_index=False)["qty"].sum().rename(columns={"qty": "last_year"})
    grid = grid.merge(ly, on=keys, how="left")
    if len(budget):
        b = budget.assign(ds=pd.to_datetime(budget["ds"])).groupby(keys, as_index=False)[
            ["qty", "revenue"]].sum().rename(columns={"qty": "budget",
                                                      "revenue": "budget_revenue"})
        grid = grid.merge(b, on=keys, how="left")
    grid = grid.assign(customer=None, customer_id=None)
    kc = ["customer_id", "ds"]
    acc = c[c["customer_id"].isin(scope.key_accounts)].groupby(kc, as_index=False)[
        ["qty", "revenue"]].sum()
    acc = acc.merge(year_ago.groupby(kc, as_index=False)["qty"].sum().rename(
        columns={"qty": "last_year"}), on=kc, how="left")
    acc = acc.assign(category=None, region=None,
                     customer=acc["customer_id"].map(scope.customer_name))
    out = pd.concat([grid.sort_values(keys), acc.sort_values(kc)], ignore_index=True)
    out = out.rename(columns={"qty": "statistical", "revenue": "statistical_revenue"})
    for col in REVIEW_ROW_COLUMNS:
        if col not in out:
            out[col] = None
    return out[list(REVIEW_ROW_COLUMNS)].reset_index(drop=True)
