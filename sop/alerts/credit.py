"""Sales-administration alert rules: customers over their credit limit, and invoices that
are disputed, refused or overdue past `thresholds.overdue_days` (default 60), all at the end
of the period, owned by sales administration.

The figures are those the sales-administration packet shows (sop.orders, one definition):
exposure = open order value + unpaid invoice balance. Each alert carries its money at stake
in `figures.value`: the exposure above the limit, or the invoice's unpaid balance. Customers
are named by their names; the key keeps the id (`credit_limit:<customer_id>`,
`invoice:<invoice_id>`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.alerts.lifecycle import alert_frame, alert_row
from sop.config import Thresholds
from sop.contracts import dataset
from sop.orders import credit_exposure_at, invoice_balances
from sop.periods import parse_period

OWNERS = "sales_admin"
ISSUES = ("disputed", "refused")


def _names(data: Mapping[str, pd.DataFrame]) -> pd.Series:
    customers = dataset(data, "customers").drop_duplicates("customer_id")
    return customers.set_index("customer_id")["name"]


def credit_limit_alerts(data: Mapping[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """One alert per customer whose exposure at the period end is above its credit limit:
    high from 1.5 x the limit, else medium."""
    end = parse_period(period) + pd.DateOffset(months=1)
    exposure = credit_exposure_at(data, end)
    over = exposure[exposure["over_limit"]]
    names = _names(data)
    rows = []
    for r in over.itertuples(index=False):
        name = names.get(r.customer_id) or r.customer_id
        used = r.exposure / r.credit_limit * 100.0 if r.credit_limit else None
        severity = "high" if r.credit_limit and r.exposure >= 1.5 * r.credit_limit else "medium"
        message = (f"{name} is over its credit limit: exposure {r.exposure:,.0f} (open orders "
                   f"{r.open_order_value:,.0f}, unpaid invoices {r.unpaid_invoices:,.0f}) against "
                   f"a limit of {r.credit_limit:,.0f}, {r.excess:,.0f} over")
        figures = {"value": r.excess, "exposure": r.exposure, "credit_limit": r.credit_limit,
                   "open_order_value": r.open_order_value,
                   "unpaid_invoices": r.unpaid_invoices, "used_pct": used, "customer": name,
                   "name": name, "code": str(r.customer_id), "customer_id": str(r.customer_id)}
        rows.append(alert_row("credit_limit", str(r.customer_id), severity, message, "credit",
                              OWNERS, figures, period))
    return alert_frame(rows)


def invoice_alerts(data: Mapping[str, pd.DataFrame], period: str,
                   thresholds: Thresholds) -> pd.DataFrame:
    """One alert per unpaid invoice at the period end that is disputed or refused (medium),
    or more than `overdue_days` past due (medium; high from twice that)."""
    end = parse_period(period) + pd.DateOffset(months=1)
    inv = invoice_balances(data, end)
    inv = inv[inv["balance"] > 0]
    flagged = inv[inv["status"].isin(ISSUES) | (inv["days_overdue"] > thresholds.overdue_days)]
    names = _names(data)
    rows = []
    for r in flagged.itertuples(index=False):
        name = names.get(r.customer_id) or r.customer_id
        issue = r.status if r.status in ISSUES else "overdue"
        late = int(r.days_overdue)
        severity = "high" if late > 2 * thresholds.overdue_days else "medium"
        how = f"{issue}, " if issue in ISSUES else ""
        message = (f"Invoice {r.invoice_id} to {name}: {r.balance:,.0f} unpaid ({how}"
                   f"{late} days past due)")
        figures = {"value": r.balance, "amount": r.amount, "days_overdue": late,
                   "issue": issue, "customer": name, "customer_id": str(r.customer_id),
                   "name": f"{name}, invoice {r.invoice_id}", "code": str(r.invoice_id)}
        rows.append(alert_row("invoice", str(r.invoice_id), severity, message, "receivables",
                              OWNERS, figures, period))
    return alert_frame(rows)


HOLD_COLUMNS = ("customer_id", "customer", "exposure", "credit_limit", "excess",
                "open_order_value", "unpaid_invoices", "hold_value", "collect_value")


def credit_holds(data: Mapping[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Hold candidates at the period end: per customer over its limit, its open orders to hold
    (hold_value) and the payment that brings the exposure back within the limit and releases
    them (collect_value = the excess, at most the unpaid invoices). Largest excess first."""
    end = parse_period(period) + pd.DateOffset(months=1)
    over = credit_exposure_at(data, end)
    over = over[over["over_limit"]].copy()
    names = _names(data)
    over["customer"] = over["customer_id"].map(names).fillna(over["customer_id"])
    over["hold_value"] = over["open_order_value"]
    over["collect_value"] = over[["excess", "unpaid_invoices"]].min(axis=1)
    return over.sort_values("excess", ascending=False)[list(HOLD_COLUMNS)].reset_index(drop=True)
