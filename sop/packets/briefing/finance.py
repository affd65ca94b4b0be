"""Sales administration: order backlog and order-to-ship time, credit exposure, invoices,
returns, target decomposition and forecast accuracy. Customer credit data lives here only
(and in the management packet)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sop.memo import remembered
from sop.orders import credit_exposure_at, invoice_balances, open_order_lines
from sop.packets.briefing.common import (
    CURRENCY,
    Col,
    Window,
    dataset,
    kpi,
    share,
    table,
    total_row,
    with_names,
)
from sop.plan import Plan

AGE_BUCKETS = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"),
               (91, None, "over 90 days"))
OVERDUE_BUCKETS = ((None, 0, "not due"), (1, 30, "1-30 days"), (31, 60, "31-60 days"),
                   (61, 90, "61-90 days"), (91, None, "over 90 days"))


def _bucket(days: pd.Series, buckets: tuple) -> pd.Series:
    out = pd.Series(None, index=days.index, dtype=object)
    for lo, hi, label in buckets:
        out[(days >= (-np.inf if lo is None else lo)) & (days <= (np.inf if hi is None else hi))] = label
    return out


def _ordered(frame: pd.DataFrame, col: str, labels: list[str]) -> pd.DataFrame:
    frame = frame.set_index(col).reindex([x for x in labels if x in frame[col].values])
    return frame.reset_index()


def order_backlog(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Open order lines at period end by age since order date: lines, units, value, lines
    past their requested date; with a Total row."""
    lines = open_order_lines(data, w.end)
    if lines.empty:
        return pd.DataFrame(columns=["age", "lines", "qty", "value", "late_lines"])
    age = (w.last_day - pd.to_datetime(lines["order_date"])).dt.days
    lines = lines.assign(age=_bucket(age, AGE_BUCKETS),
                         late=(pd.to_datetime(lines["requested_date"]) < w.end).astype(int))
    g = lines.groupby("age").agg(lines=("order_id", "size"), qty=("open_qty", "sum"),
                                 value=("open_value", "sum"), late_lines=("late", "sum"))
    g = _ordered(g.reset_index(), "age", [b[2] for b in AGE_BUCKETS])
    return total_row(g, "age")


def _ship_days(so: pd.DataFrame, sh: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each shipment line's ship date, and the days from its order's first order date to it
    (NaN when the order is unknown)."""
    ordered = so.groupby("order_id")["order_date"].min()
    ship = pd.to_datetime(sh["ship_date"])
    days = (ship - pd.to_datetime(sh["order_id"].map(ordered))).dt.days
    return ship.to_numpy(), days.to_numpy(dtype=float)


def order_to_ship_days(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Days from order date to ship date for shipment lines shipped in the period month and
    YTD: lines, median, 90th percentile and mean."""
    frames = (dataset(data, "sales_orders"), dataset(data, "shipments"))
    ship, days = remembered("ship-days", frames, None, lambda: _ship_days(*frames))
    rows = []
    end = np.datetime64(w.end.as_unit("ns"))
    for label, start in ((f"Month {w.period}", w.start), (f"YTD {w.ytd_label}", w.year_start)):
        d = pd.Series(days[(ship >= np.datetime64(start.as_unit("ns"))) & (ship < end)
                           & ~np.isnan(days) & (days >= 0)])
        rows.append({"horizon": label, "lines": len(d),
                     "median": d.median() if len(d) else None,
                     "p90": d.quantile(0.9) if len(d) else None,
                     "mean": d.mean() if len(d) else None})
    return pd.DataFrame(rows)


def credit_exposure(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Per customer with any exposure at period end: open order value (open qty x unit price)
    + unpaid invoice balance = exposure, against credit_limit; utilisation (%), headroom
    (limit - exposure) and `over_limit`. Sorted by utilisation, highest first."""
    out = with_names(credit_exposure_at(data, w.end), dataset(data, "customers"), "customer_id",
                     target="customer")
    out["utilisation"] = [share(e, c) for e, c in zip(out["exposure"], out["credit_limit"],
                                                      strict=True)]
    out = out.sort_values(["over_limit", "utilisation", "exposure"], ascending=False,
                          na_position="last")
    return out.reset_index(drop=True)


def receivables_ageing(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Unpaid invoice balances at period end by age since the invoice date (0-30, 31-60,
    61-90, over 90 days, every bucket shown), with the part already past its due date; with
    a Total row."""
    inv = invoice_balances(data, w.end)
    inv = inv[inv["balance"] > 0]
    cols = ["age", "invoices", "balance", "overdue"]
    if inv.empty:
        return pd.DataFrame(columns=cols)
    age = (w.last_day - pd.to_datetime(inv["invoice_date"])).dt.days
    inv = inv.assign(age=_bucket(age, AGE_BUCKETS),
                     overdue=inv["balance"].where(inv["days_overdue"] > 0, 0.0))
    g = inv.groupby("age").agg(invoices=("invoice_id", "size"), balance=("balance", "sum"),
                               overdue=("overdue", "sum"))
    labels = [b[2] for b in AGE_BUCKETS]
    g = g.reindex(labels).fillna(0.0).rename_axis("age").reset_index()
    return total_row(g.astype({"invoices": int}), "age")[cols]


def invoice_issues(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Invoices at period end that are overdue (unpaid past due date), disputed or refused,
    most overdue first."""
    inv = invoice_balances(data, w.end)
    flagged = inv["status"].isin(["disputed", "refused"]) | (inv["days_overdue"] > 0)
    inv = inv[flagged].copy()
    inv["issue"] = [s if s in ("disputed", "refused") else "overdue" for s in inv["status"]]
    inv = with_names(inv, dataset(data, "customers"), "customer_id", target="customer")
    return inv.sort_values(["days_overdue", "balance"], ascending=False).reset_index(drop=True)


def returns_by_reason(data: Mapping[str, pd.DataFrame], w: Window) -> pd.DataFrame:
    """Returns by reason: count and units in the period month, units YTD, and month units as
    a share of units shipped in the month (%); with a Total row."""
    rt = dataset(data, "returns")
    day = pd.to_datetime(rt["return_date"])
    month, ytd = rt[(day >= w.start) & (day < w.end)], rt[(day >= w.year_start) & (day < w.end)]
    if ytd.empty:
        return pd.DataFrame(columns=["reason", "returns", "qty", "ytd_qty", "of_shipped"])
    reason = ytd["reason"].astype("string").fillna("(none)")
    g = pd.DataFrame({"returns": month.groupby(reason)["return_id"].size(),
                      "qty": month.groupby(reason)["qty"].sum(),
                      "ytd_qty": ytd.groupby(reason)["qty"].sum()}).fillna(0.0)
    g = total_row(g.sort_values("ytd_qty", ascending=False).rename_axis("reason").reset_index(),
                  "reason")
    sh = dataset(data, "shipments")
    ship = pd.to_datetime(sh["ship_date"])
    shipped = sh.loc[(ship >= w.start) & (ship < w.end), "qty"].sum()
    g["of_shipped"] = [share(q, shipped) for q in g["qty"]]
    return g


def target_decomposition(plan: Plan, w: Window) -> pd.DataFrame:
    """Next month's budget by region and category (units, revenue), with a Total row."""
    bd = plan.budget
    bd = bd[pd.to_datetime(bd["ds"]) == w.end]
    if bd.empty:
        return pd.DataFrame(columns=["region", "category", "qty", "revenue"])
    g = bd.groupby(["region", "category"], as_index=False)[["qty", "revenue"]].sum()
    return total_row(g, "region")


def fva_words(points: object) -> str | None:
    """The value added over seasonal naive, as a reader says it."""
    if points is None or pd.isna(points):
        return None
    if abs(points) < 0.05:
        return "as good as the naive forecast"
    return (f"beat the naive forecast by {points:.1f} points" if points > 0
            else f"did worse than the naive forecast by {-points:.1f} points")


def category_accuracy(plan: Plan) -> pd.DataFrame:
    """Errors of earlier runs by category at lags 1 and 3 (WAPE and bias in %, MASE, and the
    value added over seasonal naive in words), lag 1 first."""
    acc = plan.category_accuracy
    cols = ["category", "lag", "n", "wape", "bias", "mase", "verdict"]
    if acc is None or acc.empty:
        return pd.DataFrame(columns=cols)
    out = acc.assign(wape=acc["wape"] * 100, bias=acc["bias"] * 100,
                     verdict=[fva_words(v * 100) for v in acc["fva"]])
    return out.sort_values(["lag", "category"])[cols].reset_index(drop=True)


def forecast_accuracy(plan: Plan, w: Window) -> pd.DataFrame:
    """Errors of earlier stored forecast runs against the actuals that arrived since, by level
    and lag (months between the run and the month forecast): WAPE, bias and the value the
    forecast added over seasonal naive (WAPE points), all in percent; MASE as a ratio."""
    acc = plan.accuracy
    cols = ["level", "lag", "n", "wape", "bias", "mase", "fva", "coverage_80"]
    if acc is None or acc.empty:
        return pd.DataFrame(columns=cols)
    order = {"total": 0, "category": 1, "region": 2, "customer": 3}
    cover = acc["coverage_80"] * 100 if "coverage_80" in acc.columns else float("nan")
    out = acc.assign(wape=acc["wape"] * 100, bias=acc["bias"] * 100, fva=acc["fva"] * 100,
                     coverage_80=cover,
                     _o=acc["level"].map(order).fillna(9))
    out["verdict"] = out["fva"].map(fva_words)
    return out.sort_values(["_o", "lag"])[[*cols, "verdict"]].reset_index(drop=True)


def finance_sections(w: Window, data: Mapping[str, pd.DataFrame], plan: Plan) -> dict:
    backlog = order_backlog(data, w)
    lines = open_order_lines(data, w.end)
    exposure = credit_exposure(data, w)
    over = exposure[exposure["over_limit"]]
    issues = invoice_issues(data, w)
    ots = order_to_ship_days(data, w)
    oldest = lines.sort_values("order_date").iloc[0] if len(lines) else None
    kpis = [
        kpi("Open order lines", len(lines), "count"),
        kpi("Backlog value", lines["open_value"].sum() if len(lines) else 0.0, "money", CURRENCY),
        kpi("Oldest open order", None if oldest is None else
            f"{oldest['order_id']} ({pd.Timestamp(oldest['order_date']):%Y-%m-%d})", "text"),
        kpi("Median order-to-ship days", ots["median"].iloc[0], "days", "days"),
        kpi("Customers over credit limit", len(over), "count"),
        kpi("Overdue balance", issues.loc[issues["days_overdue"] > 0, "balance"].sum(), "money",
            CURRENCY),
    ]
    credit_cols = [Col("customer", "Customer"), Col("credit_limit", "Credit limit", "money"),
                   Col("open_order_value", "Open orders", "money"),
                   Col("unpaid_invoices", "Unpaid invoices", "money"),
                   Col("exposure", "Exposure", "money"), Col("utilisation", "Used", "share"),
                   Col("headroom", "Headroom", "money")]
    credit_unit, at_end = f"{CURRENCY}", f"at end of {w.period}"
    tables = {
        "backlog": table(
            backlog, [Col("age", "Age since order"), Col("lines", "Lines", "count"),
                      Col("qty", "Open units", "qty"), Col("value", "Open value", "money"),
                      Col("late_lines", "Past requested date", "count")],
            title="Order backlog", unit=f"units; value in {CURRENCY}", period=at_end,
            empty="No open order lines."),
        "order_to_ship": table(
            ots, [Col("horizon", "Shipped in"), Col("lines", "Shipment lines", "count"),
                  Col("median", "Median", "days"), Col("p90", "90th percentile", "days"),
                  Col("mean", "Mean", "days")],
            title="Order-to-ship time", unit="days from order date to ship date",
            period=f"month {w.period}; YTD {w.ytd_label}", empty="No shipments."),
        "credit_exposure": table(
            exposure.head(15), credit_cols, title="Credit exposure by customer",
            unit=f"{credit_unit}; exposure = open order value + unpaid invoices", period=at_end,
            empty="No open orders or unpaid invoices.",
            note=(f"15 of {len(exposure)} customers shown, highest use first."
                  if len(exposure) > 15 else None)),
        "receivables": table(
            receivables_ageing(data, w), [Col("age", "Days since invoice"),
                                          Col("invoices", "Invoices", "count"),
                                          Col("balance", "Unpaid balance", "money"),
                                          Col("overdue", "Of it past due", "money")],
            title="Receivables ageing", unit=CURRENCY, period=at_end, empty="No unpaid invoices."),
        "invoice_issues": table(
            issues.head(20), [Col("invoice_id", "Invoice"), Col("customer", "Customer"),
                              Col("issue", "Issue"), Col("due_date", "Due", "date"),
                              Col("amount", "Amount", "money"), Col("balance", "Unpaid", "money"),
                              Col("days_overdue", "Days overdue", "count")],
            title="Overdue, disputed and refused invoices", unit=CURRENCY, period=at_end,
            empty="No overdue, disputed or refused invoices.",
            note=f"20 of {len(issues)} shown." if len(issues) > 20 else None),
        "returns": table(
            returns_by_reason(data, w), [Col("reason", "Reason"),
                                         Col("returns", "Returns", "count"),
                                         Col("qty", "Units", "qty"), Col("ytd_qty", "YTD units", "qty"),
                                         Col("of_shipped", "Of units shipped", "share")],
            title="Returns by reason", unit="returns and units",
            period=f"month {w.period}; YTD {w.ytd_label}", empty="No returns this year."),
        "targets": table(
            target_decomposition(plan, w), [Col("region", "Region"), Col("category", "Category"),
                                            Col("qty", "Units", "qty"),
                                            Col("revenue", "Revenue", "money")],
            title=f"Target decomposition for {w.months(1):%Y-%m}",
            unit=f"budget units; revenue in {CURRENCY}", period=f"{w.months(1):%Y-%m}",
            empty="No budget for next month."),
        "accuracy": table(
            forecast_accuracy(plan, w), [Col("level", "Level"), Col("lag", "Lag (months)", "count"),
                                         Col("n", "Points", "count"), Col("wape", "WAPE", "share"),
                                         Col("bias", "Bias", "pct"), Col("mase", "MASE", "ratio"),
                                         Col("fva", "Value added vs seasonal naive", "pp"),
                                         Col("verdict", "In words"),
                                         Col("coverage_80", "Inside the 80% range", "share")],
            title="Forecast accuracy of earlier runs", unit="units; errors in %",
            period=f"runs before {w.period}, actuals to {w.period}",  # i18n: {p}, {q}
            empty=(f"Not yet measured: no forecast run stored before {w.period}.")),
        "accuracy_by_category": table(
            category_accuracy(plan), [Col("category", "Category"),
                                      Col("lag", "Lag (months)", "count"),
                                      Col("n", "Points", "count"), Col("wape", "WAPE", "share"),
                                      Col("bias", "Bias", "pct"), Col("mase", "MASE", "ratio"),
                                      Col("verdict", "Against the naive forecast")],
            title="Forecast accuracy by category", unit="units; errors in %",
            period=f"runs before {w.period}, actuals to {w.period}",
            empty=(f"Not yet measured: no forecast run stored before {w.period}.")),
    }
    return {"kpis": kpis, "tables": tables}

