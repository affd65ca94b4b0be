"""Briefing metrics on small hand-built frames with known answers, and packet scoping."""

from __future__ import annotations

import functools
import io
import json
import math
import subprocess
from dataclasses import replace

import pandas as pd
import pytest

from sop.config import DEPARTMENTS, Thresholds
from sop.orders import open_order_lines
from sop.packets.briefing import DEPARTMENT_TITLES, TOP_ALERTS, TOP_ISSUES, packet_context
from sop.packets.briefing.changes import Figure, ranked_changes
from sop.packets.briefing.common import period_window
from sop.packets.briefing.finance import (
    credit_exposure,
    forecast_accuracy,
    invoice_issues,
    order_backlog,
    order_to_ship_days,
    receivables_ageing,
    returns_by_reason,
)
from sop.packets.briefing.marketing import category_trends, new_products, product_mix
from sop.packets.briefing.procurement import (
    lead_time_changes,
    material_requirements,
    price_trend,
    supplier_changes,
)
from sop.packets.briefing.promotions import promotion_results, promotion_summary
from sop.packets.briefing.sales import (
    channel_sell_through,
    demand_change,
    next_period_orders,
    revenue_progress,
    top_customers,
)
from sop.packets.briefing.supply import (
    at_risk,
    balance_outlook,
    maintenance_windows,
    production_vs_demand,
    shipping_plan,
    stock_by_category,
)
from sop.plan import ALERT_COLUMNS, Plan
from sop.planning.build import material_view
from tests.unit.frames import contract_frame

PERIOD = "2026-10"
W = period_window(PERIOD)
T = pd.Timestamp
NA = float("nan")
C2_LIMIT = 54_321.0  # a figure that must only show up where credit data is allowed


def frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    return contract_frame(name, rows, "int64")


def staged(customer_name: str = "Alpha Retail") -> dict[str, pd.DataFrame]:
    return {
        "products": frame("products", [
            ("P1", "Widget A", "Widgets", "W", 5.0, 10.0, "active", "2020-01-01"),
            ("P2", "Gadget B", "Gadgets", "G", 8.0, 20.0, "active", "2026-05-15"),
            ("P3", "Widget C", "Widgets", "W", 6.0, 12.0, "planned", "2026-12-01"),
        ]),
        "customers": frame("customers", [
            ("C1", customer_name, "North", "retail", 1000.0),
            ("C2", "Beta Distribution", "South", "distributor", C2_LIMIT),
        ]),
        "warehouses": frame("warehouses", [
            ("W1", "Plant North", "North", "plant"),
            ("W2", "DC South", "South", "distribution centre"),
        ]),
        "sales_orders": frame("sales_orders", [
            ("O0", 1, "2026-01-15", "2026-01-20", "C1", "P1", 10, 10, "shipped", None),
            ("O1", 1, "2026-10-05", "2026-11-10", "C1", "P1", 50, 10, "open", None),
            ("O2", 1, "2026-09-01", "2026-09-15", "C1", "P2", 20, 20, "partially_shipped", None),
            ("O3", 1, "2026-10-10", "2026-10-15", "C2", "P1", 100, 9, "shipped", None),
            ("O4", 1, "2026-10-12", "2026-10-20", "C2", "P1", 30, 10, "cancelled", None),
            ("O5", 1, "2026-10-25", "2026-11-05", "C2", "P2", 10, 20, "shipped", "PR2"),
            ("O6", 1, "2026-08-01", "2026-08-03", "C2", "P1", 40, 10, "shipped", "PR1"),
            ("O7", 1, "2026-11-02", "2026-11-20", "C1", "P1", 99, 10, "open", None),
        ]),
        "shipments": frame("shipments", [
            ("S0", 1, "O0", "2026-01-18", "P1", 10, "W1"),
            ("S1", 1, "O2", "2026-09-20", "P2", 5, "W1"),
            ("S2", 1, "O3", "2026-10-20", "P1", 100, "W1"),
            ("S3", 1, "O5", "2026-11-03", "P2", 10, "W2"),
            ("S4", 1, "O6", "2026-08-05", "P1", 40, "W1"),
        ]),
        "returns": frame("returns", [
            ("R1", "O3", "P1", 5, "2026-10-25", "damaged"),
            ("R2", "O6", "P1", 2, "2026-08-20", "wrong item"),
        ]),
        "invoices": frame("invoices", [
            ("I1", "C1", "O2", "2026-09-20", "2026-10-20", 100, 0, "open", None),
            ("I2", "C1", "O9", "2026-10-01", "2026-11-01", 300, 100, "open", "2026-10-15"),
            ("I3", "C2", "O3", "2026-10-20", "2026-11-20", 900, 900, "paid", "2026-10-28"),
            ("I4", "C2", "O6", "2026-08-05", "2026-09-04", 400, 0, "disputed", None),
            ("I5", "C2", "O8", "2026-07-01", "2026-07-31", 50, 50, "paid", "2026-11-02"),
        ]),
        "channel_inventory": frame("channel_inventory", [
            ("2026-10-01", "C2", "P2", 8, 16),
            ("2026-09-01", "C2", "P2", 4, 20),
        ]),
        "promotions": frame("promotions", [
            ("PR1", "Autumn push", "2026-08-01", "2026-08-31", "South", "Widgets", "discount", 500),
            ("PR2", "October deal", "2026-10-01", "2026-11-15", "all", "Gadgets", "bundle", 1000),
            ("PR0", "Old one", "2025-03-01", "2025-03-31", "all", "Widgets", "discount", 99),
        ]),
        "inventory": frame("inventory", [
            ("2026-09-30", "W1", "P1", "finished", 999, 0, 0, 50),
            ("2026-10-31", "W1", "P1", "finished", 500, 100, 0, 50),
            ("2026-10-31", "W2", "P2", "finished", 30, 0, 5, 40),
            ("2026-10-31", "W1", "M1", "material", 1000, 200, 0, 100),
            ("2026-10-31", "W1", "M2", "material", 50, 0, 0, 10),
        ]),
        "materials": frame("materials", [
            ("M1", "Steel sheet", "Metals", "kg"),
            ("M2", "Chip", "Electronics", "pcs"),
        ]),
        "bom": frame("bom", [("P1", "M1", 2.0), ("P2", "M2", 1.0), ("P2", "M1", 0.5)]),
        "suppliers": frame("suppliers", [
            ("S1", "Acme Metals", 30, "active"),
            ("S2", "ChipCo", 20, "active"),
            ("S3", "Old Supply", 10, "inactive"),
            ("S4", "NewCo", 15, "active"),
        ]),
        "purchase_orders": frame("purchase_orders", [
            ("PO1", 1, "S1", "M1", "2026-04-01", "2026-05-01", "2026-05-03", 100, 100, 3.05),
            ("PO2", 1, "S1", "M1", "2026-05-01", "2026-05-31", "2026-06-02", 100, 100, 3.17),
            ("PO3", 1, "S1", "M1", "2026-08-01", "2026-08-31", "2026-09-10", 100, 100, 3.49),
            ("PO4", 1, "S1", "M1", "2026-10-01", "2026-10-31", None, 200, None, 3.81),
            ("PO5", 1, "S4", "M2", "2026-09-10", "2026-09-30", "2026-10-05", 50, 50, 1.93),
        ]),
        "market_prices": frame("market_prices", [
            (f"2026-{m:02d}-01", "M1", "Steel index", 3.0 if m < 8 else 3.1)
            for m in range(5, 11)]),
        "production_plan": frame("production_plan", [
            ("2026-11-02", "L1", "P1", 100),
            ("2026-11-16", "L1", "P1", 100),
            ("2026-12-07", "L1", "P1", 50),
            ("2026-11-09", "L2", "P2", 10),
        ]),
        "maintenance_plan": frame("maintenance_plan", [
            ("L1", "2026-11-20", "2026-11-22", "overhaul", 50),
            ("L2", "2026-06-01", "2026-06-02", "inspection", 10),
            ("L2", "2027-03-01", "2027-03-02", "inspection", 10),
        ]),
        "shipping_plan": frame("shipping_plan", [
            ("2026-11-02", "W1", "North", "P1", 60),
            ("2026-11-02", "W2", "South", "P2", 10),
            ("2026-11-09", "W1", "North", "P1", 50),
            ("2027-01-04", "W1", "North", "P1", 70),
        ]),
    }


def _monthly_rows() -> list[dict]:
    rows = [dict(ds=T("2025-10-01"), region="North", category="Widgets", sku="P1",
                 customer_id="C1", qty=80.0, revenue=800.0)]
    for m in range(1, 10):
        rows.append(dict(ds=T(f"2026-{m:02d}-01"), region="North", category="Widgets", sku="P1",
                         customer_id="C1", qty=100.0, revenue=1000.0))
    rows += [
        dict(ds=T("2026-09-01"), region="South", category="Gadgets", sku="P2", customer_id="C2",
             qty=20.0, revenue=400.0),
        dict(ds=T("2026-10-01"), region="North", category="Widgets", sku="P1", customer_id="C1",
             qty=120.0, revenue=1200.0),
        dict(ds=T("2026-10-01"), region="South", category="Gadgets", sku="P2", customer_id="C2",
             qty=10.0, revenue=200.0),
    ]
    return rows


def _forecast_rows() -> list[dict]:
    rows = []
    for ds in (T("2026-11-01"), T("2026-12-01"), T("2027-01-01")):
        for level, region, category, sku, f, rev in [
            ("total", None, None, None, 130.0, 1500.0),
            ("region", "North", None, None, 110.0, 1100.0),
            ("region", "South", None, None, 20.0, 400.0),
            ("category", None, "Widgets", None, 110.0, 1100.0),
            ("category", None, "Gadgets", None, 20.0, 400.0),
            ("sku_region", "North", "Widgets", "P1", 110.0, 1100.0),
            ("sku_region", "South", "Gadgets", "P2", 20.0, 400.0),
        ]:
            rows.append(dict(level=level, unique_id=f"{level}/{region}/{category}/{sku}",
                             region=region, category=category, sku=sku, ds=ds, forecast=f,
                             lo_80=f * 0.9, hi_80=f * 1.1, lo_95=f * 0.8, hi_95=f * 1.2,
                             model="AutoETS", revenue=rev))
    return rows


def _budget_rows() -> list[dict]:
    rows = []
    for m in range(1, 13):
        ds = T(f"2026-{m:02d}-01")
        rows.append(dict(version_id="B2026", year=2026, ds=ds, region="North",
                         category="Widgets", qty=100.0, revenue=1000.0))
        rows.append(dict(version_id="B2026", year=2026, ds=ds, region="South",
                         category="Gadgets", qty=15.0, revenue=300.0))
    return rows


def _balance_rows() -> list[dict]:
    rows = []
    for ds, o, r, d, c, wos in [("2026-11-01", 400, 200, 110, 490, 17.0),
                                ("2026-12-01", 490, 50, 110, 430, 15.0),
                                ("2027-01-01", 430, 0, 110, 320, 11.0)]:
        rows.append(dict(sku="P1", warehouse_id="W1", ds=T(ds), opening=o, receipts=r,
                         demand=d, closing=c, safety_stock=50.0, weeks_of_supply=wos))
    for ds, o, r, d, c, wos in [("2026-11-01", 30, 10, 20, 20, 4.0),
                                ("2026-12-01", 20, 0, 20, 0, 0.0),
                                ("2027-01-01", 0, 0, 20, -20, None)]:
        rows.append(dict(sku="P2", warehouse_id="W2", ds=T(ds), opening=o, receipts=r,
                         demand=d, closing=c, safety_stock=40.0, weeks_of_supply=wos))
    return rows


def _alerts() -> pd.DataFrame:
    rows = [
        ("a1", "demand_vs_forecast", "Gadgets", "warning", "open",
         "Gadgets demand 25% above forecast", "demand moved", "sales,management", "{}",
         "2026-09", "2026-10"),
        ("a2", "stockout", "P2@W2", "critical", "open", "P2 at DC South below safety stock",
         "supply moved", ["supply", "procurement"], "{}", "2026-10", "2026-10"),
        ("a3", "credit", "C1", "info", "resolved", "old, resolved", "demand moved",
         "sales_admin", "{}", "2026-08", "2026-09"),
        ("a4", "price_spike", "M1", "high", "open", "Steel sheet price up 16.8%",
         "supply moved", "procurement", "{}", "2026-10", "2026-10"),
    ]
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def make_plan(period: str = PERIOD, **overrides) -> Plan:
    parts = dict(
        period=period,
        sales_monthly=pd.DataFrame(_monthly_rows()),
        forecast=pd.DataFrame(_forecast_rows()),
        budget=pd.DataFrame(_budget_rows()),
        balance=pd.DataFrame(_balance_rows()),
        alerts=_alerts(),
        notes=("Forecast for 2 series fell back to seasonal naive.",),
    )
    parts.update(overrides)
    if "material_balance" not in parts:  # as the planning stage computes it
        parts["material_balance"] = material_view(staged(), period, parts["forecast"],
                                                  Thresholds())[0]
    return Plan(**parts)


DQ_NOTES = ["invoices: 1 row with paid_amount above amount (warning)"]


@functools.cache
def _default_ctx(department: str) -> str:
    return json.dumps(packet_context(department, PERIOD, staged(), make_plan(), DQ_NOTES))


def ctx(department: str, data: dict | None = None, plan: Plan | None = None) -> dict:
    """The packet context of `department` (the fixture data and plan unless given)."""
    if data is None and plan is None:
        return json.loads(_default_ctx(department))  # a fresh copy of a cached context
    return packet_context(department, PERIOD, staged() if data is None else data,
                          make_plan() if plan is None else plan, DQ_NOTES)


def rows_by(table: dict, key: str) -> dict:
    return {r[key]: r for r in table["rows"]}


# --- orders and receivables -------------------------------------------------------------

def test_open_order_lines_rebuild_the_order_book_at_period_end():
    lines = open_order_lines(staged(), W.end).set_index("order_id")
    # O0/O3 shipped, O4 cancelled, O7 ordered after the period: not open.
    assert sorted(lines.index) == ["O1", "O2", "O5"]
    assert lines.loc["O2", "open_qty"] == 15  # 20 ordered, 5 shipped
    assert lines.loc["O5", "open_value"] == 200  # status shipped, but shipped after period end
    assert lines["open_value"].sum() == 500 + 300 + 200


def test_credit_exposure_is_open_order_value_plus_unpaid_invoices():
    exp = credit_exposure(staged(), W).set_index("customer_id")
    # C1: open orders 500 + 300; unpaid I1 100 + I2 (300 - 100 paid) = 300.
    assert exp.loc["C1", "open_order_value"] == 800
    assert exp.loc["C1", "unpaid_invoices"] == 300
    assert exp.loc["C1", "exposure"] == 1100
    assert exp.loc["C1", "utilisation"] == pytest.approx(110.0)
    assert bool(exp.loc["C1", "over_limit"]) is True
    # C2: open O5 200; I4 disputed 400; I5 paid only after the period end: 50 still owed then.
    assert exp.loc["C2", "exposure"] == 200 + 400 + 50
    assert bool(exp.loc["C2", "over_limit"]) is False
    assert exp.index[0] == "C1"  # over limit first
    tables = ctx("sales_admin")["tables"]
    assert "over_limit" not in tables  # one exposure table, over-limit customers first
    first = tables["credit_exposure"]["rows"][0]
    assert first["customer"] == "Alpha Retail" and first["headroom"] == -100


def test_receivables_ageing_and_invoice_issues():
    ageing = receivables_ageing(staged(), W).set_index("age")  # by days since the invoice
    assert list(ageing.index) == ["0-30 days", "31-60 days", "61-90 days", "over 90 days",
                                  "Total"]
    assert ageing.loc["0-30 days", ["balance", "overdue"]].tolist() == [200, 0]  # I2, 30 days
    assert ageing.loc["31-60 days", ["balance", "overdue"]].tolist() == [100, 100]  # I1, 41
    assert ageing.loc["61-90 days", "balance"] == 400  # I4, invoiced 87 days before the end
    assert ageing.loc["over 90 days", "balance"] == 50  # I5, 122 days
    assert ageing.loc["Total", ["balance", "overdue"]].tolist() == [750, 550]
    issues = invoice_issues(staged(), W)
    assert list(issues["invoice_id"]) == ["I5", "I4", "I1"]
    assert dict(zip(issues["invoice_id"], issues["issue"], strict=True)) == {
        "I5": "overdue", "I4": "disputed", "I1": "overdue"}
    assert list(issues["days_overdue"]) == [92, 57, 11]


def test_backlog_order_to_ship_and_returns():
    backlog = order_backlog(staged(), W).set_index("age")
    assert backlog.loc["0-30 days", "lines"] == 2  # O1, O5
    assert backlog.loc["31-60 days", "value"] == 300  # O2, ordered 2026-09-01
    assert backlog.loc["Total", "late_lines"] == 1  # O2 was requested for 2026-09-15
    ots = order_to_ship_days(staged(), W)
    assert ots.loc[0, "lines"] == 1 and ots.loc[0, "median"] == 10  # O3: 10 -> 20 Oct
    assert ots.loc[1, "lines"] == 4 and ots.loc[1, "median"] == 7  # 3, 4, 10, 19 days
    ret = returns_by_reason(staged(), W).set_index("reason")
    assert ret.loc["damaged", "qty"] == 5 and ret.loc["wrong item", "ytd_qty"] == 2
    assert ret.loc["damaged", "of_shipped"] == pytest.approx(5.0)  # 5 of 100 shipped in Oct


def test_forecast_accuracy_comes_from_stored_runs():
    assert forecast_accuracy(make_plan(), W).empty
    table = ctx("sales_admin")["tables"]["accuracy"]
    assert table["rows"] == [] and table["empty"].startswith("Not yet measured")
    acc = pd.DataFrame({"level": ["category", "total"], "lag": [1, 1], "n": [4, 1],
                        "actual": [130.0, 130.0], "forecast": [104.0, 104.0],
                        "wape": [0.25, 0.2], "bias": [-0.2, -0.2], "mase": [0.9, 0.8],
                        "wape_snaive": [0.3, 0.3], "mase_snaive": [1.0, 1.0],
                        "fva": [0.05, 0.1]})
    out = forecast_accuracy(make_plan(accuracy=acc), W)
    assert out["level"].tolist() == ["total", "category"]
    assert out.loc[0, "wape"] == pytest.approx(20.0) and out.loc[0, "fva"] == pytest.approx(10.0)


# --- sales ------------------------------------------------------------------------------

def test_revenue_progress_month_ytd_and_full_year_outlook():
    total = revenue_progress(make_plan(), W).iloc[0]
    assert total["month_actual"] == 1400 and total["month_budget"] == 1300
    assert total["month_vs_budget"] == pytest.approx((1400 / 1300 - 1) * 100)
    assert total["ytd_actual"] == 10_800 and total["ytd_budget"] == 13_000
    assert total["ytd_vs_budget"] == pytest.approx((10_800 / 13_000 - 1) * 100)
    assert total["fy_outlook"] == 10_800 + 1500 + 1500  # Nov + Dec forecast, not Jan 2027
    assert total["fy_vs_budget"] == pytest.approx((13_800 / 15_600 - 1) * 100)
    region = revenue_progress(make_plan(), W, "region").set_index("region")
    assert list(region.index) == ["North", "South", "Total"]
    assert region.loc["South", "ytd_actual"] == 600 and region.loc["South", "ytd_budget"] == 3000
    assert region.loc["North", "fy_outlook"] == 10_200 + 2 * 1100


def test_outlook_is_na_without_forecast_and_equals_ytd_in_december():
    no_fc = make_plan(forecast=make_plan().forecast.iloc[0:0])
    assert math.isnan(revenue_progress(no_fc, W).iloc[0]["fy_outlook"])
    row = rows_by(ctx("sales", plan=no_fc)["tables"]["by_region"], "region")["Total"]
    assert row["fy_outlook"] is None and row["ytd_actual"] == 10_800
    dec = period_window("2026-12")
    total = revenue_progress(make_plan("2026-12"), dec).iloc[0]
    assert total["fy_outlook"] == total["ytd_actual"] == 10_800  # no December actuals


def test_top_customers_demand_change_and_channel():
    top = top_customers(make_plan(), staged(), W)
    assert list(top["customer"]) == ["Alpha Retail", "Beta Distribution"]
    assert top.loc[0, "ytd_share"] == pytest.approx(10_200 / 10_800 * 100)
    dc = demand_change(make_plan(), W).set_index("category")
    assert dc.loc["Widgets", "vs_prev"] == pytest.approx(20.0)  # 120 vs 100
    assert dc.loc["Widgets", "vs_ly"] == pytest.approx(50.0)  # 120 vs 80
    assert pd.isna(dc.loc["Gadgets", "vs_ly"])  # nothing sold a year ago
    ch = channel_sell_through(staged(), W).iloc[0]
    assert ch["customer"] == "Beta Distribution" and ch["vs_prev"] == pytest.approx(100.0)
    assert ch["weeks_cover"] == pytest.approx(16 / (8 / (31 / 7)))
    assert ch["sell_through"] == pytest.approx(8 / 24 * 100)


def test_next_period_orders_against_forecast():
    nxt = next_period_orders(staged(), make_plan(), W).set_index("category")
    assert nxt.loc["Widgets", "open_qty"] == 50  # O1; O7 was ordered after the period
    assert nxt.loc["Gadgets", "open_qty"] == 10 and nxt.loc["Gadgets", "past_due_qty"] == 15
    assert nxt.loc["Total", "forecast_qty"] == 130
    assert nxt.loc["Total", "order_cover"] == pytest.approx(60 / 130 * 100)


# --- marketing --------------------------------------------------------------------------

def test_promotion_results_with_baseline_and_uplift():
    pr = promotion_results(staged(), W).set_index("promo_id")
    assert list(pr.index) == ["PR1", "PR2"]  # PR0 ran last year
    assert pr.loc["PR1", "status"] == "ended" and pr.loc["PR2", "status"] == "running"
    assert pr.loc["PR1", "promo_qty"] == 40
    # PR2 (Gadgets, all regions, from 1 Oct): 20 untagged units in the 90 days before,
    # 31 days run by period end -> baseline 20 / 90 * 31; 10 units sold during it.
    assert pr.loc["PR2", "baseline_qty"] == pytest.approx(20 / 90 * 31)
    assert pr.loc["PR2", "uplift"] == pytest.approx((10 / (20 / 90 * 31) - 1) * 100)
    assert pr.loc["PR2", "revenue_per_budget"] == pytest.approx(200 / 1000)
    kpis = {k["label"]: k["value"] for k in ctx("marketing")["kpis"]}
    assert kpis["Promotions in the period"] == 1 and kpis["Promotion budget this year"] == 1500


def test_promotions_are_judged_by_incremental_margin_net_of_their_cost():
    pr = promotion_results(staged(), W).set_index("promo_id")
    # PR2: 10 units at 20 (cost 8) during it against a baseline of 20 / 90 * 31 units
    inc = 10 - 20 / 90 * 31
    assert pr.loc["PR2", "inc_qty"] == pytest.approx(inc)
    assert pr.loc["PR2", "inc_revenue"] == pytest.approx(inc * 20)
    assert pr.loc["PR2", "inc_margin"] == pytest.approx(inc * 12)
    assert pr.loc["PR2", "net"] == pytest.approx(inc * 12 - 1000)  # a loss: not "5.9x"
    assert pr.loc["PR2", "roi"] == pytest.approx((inc * 12 - 1000) / 1000)
    summary = promotion_summary(pr.reset_index()).set_index("category")
    assert summary.loc["Total", "net"] == pytest.approx(pr["net"].sum())
    assert summary.loc["Total", "roi"] == pytest.approx(pr["net"].sum() / pr["budget"].sum())
    assert summary.loc["Gadgets", "kind"] == "bundle" and summary.loc["Gadgets", "count"] == 1
    tables = ctx("marketing")["tables"]
    assert {"promotion_summary", "upcoming_promotions", "promotions"} <= set(tables)


def test_product_mix_new_products_and_trends():
    mix = product_mix(make_plan(), W).set_index("category")
    assert mix.loc["Widgets", "month_share"] == pytest.approx(1200 / 1400 * 100)
    assert mix.loc["Widgets", "month_gap"] == pytest.approx(1200 / 1400 * 100 - 1000 / 1300 * 100)
    new = new_products(staged(), make_plan(), W).set_index("sku")
    assert list(new.index) == ["P2", "P3"]
    assert new.loc["P2", "since_revenue"] == 600 and new.loc["P3", "status"] == "upcoming"
    tr = category_trends(make_plan(), W).set_index("category")
    assert tr.loc["Widgets", "last_revenue"] == 3200 and tr.loc["Widgets", "prior_revenue"] == 3000
    assert tr.loc["Widgets", "revenue_growth"] == pytest.approx(200 / 3000 * 100)
    assert pd.isna(tr.loc["Gadgets", "revenue_growth"])  # no sales in the earlier months


# --- supply -----------------------------------------------------------------------------

def test_stock_balance_and_risk():
    stock = stock_by_category(staged(), W).set_index(["item_type", "category"])
    assert stock.loc[("finished", "Widgets"), "on_hand"] == 500  # latest snapshot, not 999
    assert stock.loc[("finished", "Gadgets"), "below_safety"] == 1
    assert stock.loc[("material", "Metals"), "available"] == 800
    bal = balance_outlook(make_plan(), W).set_index("month")
    assert list(bal.index) == ["2026-11", "2026-12", "2027-01"]
    assert bal.loc["2027-01", "negative"] == 1 and bal.loc["2026-11", "closing"] == 510
    risk = at_risk(make_plan(), staged(), W)
    assert list(zip(risk["sku"], risk["month"], risk["risk"], strict=True)) == [
        ("P2", "2026-11", "below safety")]
    assert risk.loc[0, "warehouse"] == "DC South"


def test_production_maintenance_and_shipping():
    pvd = production_vs_demand(staged(), make_plan(), W).set_index(["month", "category"])
    assert pvd.loc[("2026-11", "Widgets"), "planned"] == 200
    assert pvd.loc[("2026-11", "Widgets"), "cover"] == pytest.approx(200 / 110 * 100)
    assert pvd.loc[("2026-12", "Gadgets"), "planned"] == 0
    assert list(maintenance_windows(staged(), W)["line_id"]) == ["L1"]
    assert maintenance_windows(staged(), W).loc[0, "days"] == 3
    ship = shipping_plan(staged(), W)
    assert len(ship) == 3 and ship["qty"].sum() == 120  # the January week is beyond 6 weeks


# --- procurement ------------------------------------------------------------------------

def test_price_trend_percent_change():
    pt = price_trend(staged(), W).set_index("material_id")
    recent = (100 * 3.49 + 200 * 3.81) / 300  # ordered Aug-Oct, quantity-weighted
    assert pt.loc["M1", "recent_price"] == pytest.approx(recent)
    assert pt.loc["M1", "prior_price"] == pytest.approx(3.17)  # May-Jul; April is older
    assert pt.loc["M1", "change"] == pytest.approx((recent / 3.17 - 1) * 100)
    assert pd.isna(pt.loc["M2", "change"])


def test_lead_time_changes_and_supplier_changes():
    lt = lead_time_changes(staged(), W).set_index("supplier_id")
    assert lt.loc["S1", "recent_days"] == 40 and lt.loc["S1", "earlier_days"] == 32
    assert lt.loc["S1", "change_days"] == 8 and lt.loc["S1", "change"] == pytest.approx(25.0)
    assert lt.loc["S1", "vs_contract"] == 10 and lt.loc["S1", "late_share"] == 100
    ch = supplier_changes(staged(), W).set_index("supplier_id")
    assert ch["change"].to_dict() == {"S3": "status inactive", "S4": "new supplier"}


def test_material_requirements_against_stock_and_open_pos():
    req = material_requirements(staged(), make_plan(), W).set_index("material_id")
    # Nov-Jan forecast: P1 3 x 110, P2 3 x 20; M1 = 330 x 2 + 60 x 0.5, M2 = 60 x 1.
    assert req.loc["M1", "requirement"] == 690 and req.loc["M2", "requirement"] == 60
    assert req.loc["M1", "available"] == 800 and req.loc["M1", "open_po"] == 200
    assert req.loc["M1", "status"] == "covered"
    assert req.loc["M2", "balance"] == -10 and req.loc["M2", "status"] == "short"
    assert req.index[0] == "M2"


def test_material_requirements_are_the_plans_balance_not_a_recomputation():
    """The table and the material alerts read one balance: the plan's, computed with the
    configured thresholds; a plan whose balance says M1 runs short shows M1 short."""
    plan = make_plan()
    short = plan.material_balance.assign(
        projected_on_hand=lambda f: f["projected_on_hand"].where(f["material_id"] != "M1", -5.0),
        shortage=lambda f: f["shortage"].where(f["material_id"] != "M1", 5.0))
    req = material_requirements(staged(), replace(plan, material_balance=short), W)
    req = req.set_index("material_id")
    assert req.loc["M1", "status"] == "short" and req.loc["M1", "balance"] == -5
    empty = material_requirements(staged(), replace(plan, material_balance=pd.DataFrame()), W)
    assert empty.empty


def test_gate_notes_and_planning_notes_appear_once_each():
    plan = replace(make_plan(), quality_notes=tuple(DQ_NOTES))
    context = packet_context("sales", PERIOD, staged(), plan, plan.quality_notes)
    assert context["data_quality"] == DQ_NOTES
    assert context["planning_notes"] == list(plan.notes)
    assert not set(context["data_quality"]) & set(context["planning_notes"])


# --- alerts, notes and the packet as a whole --------------------------------------------

@pytest.mark.parametrize(("department", "keys"), [
    ("sales", ["a1"]), ("marketing", []), ("sales_admin", []), ("supply", ["a2"]),
    ("procurement", ["a2", "a4"]), ("management", ["a2", "a4", "a1"]),
])
def test_each_packet_carries_its_open_alerts_most_severe_first(department, keys):
    # management's first page is compact (what, money, action, owner): named by the alert
    field, source = ("name", "entity") if department == "management" else ("message", "message")
    messages = {r[field] for r in ctx(department)["alerts"]["rows"]}
    expected = {k: m for k, m in zip(_alerts()["alert_key"], _alerts()[source], strict=True)}
    assert [r[field] for r in ctx(department)["alerts"]["rows"]] == [
        expected[k] for k in keys]
    assert "old, resolved" not in messages


def test_notes_and_headlines():
    for department in DEPARTMENTS:
        c = ctx(department)
        assert c["data_quality"] == DQ_NOTES
        assert c["planning_notes"] == ["Forecast for 2 series fell back to seasonal naive."]
        assert c["title"] == DEPARTMENT_TITLES[department] and c["period_label"] == "October 2026"
    heads = rows_by(ctx("management")["tables"]["headlines"], "department")
    assert set(heads) == {"Sales", "Marketing", "Sales administration",
                          "Production, warehouse & logistics", "Procurement"}
    assert "customers over credit limit: 1" in heads["Sales administration"]["headline"]
    assert "+7.7% vs budget" in heads["Sales"]["headline"]
    totals = rows_by(ctx("management")["tables"]["totals"], "horizon")
    fy = totals["Full year 2026 (actual + forecast)"]
    assert fy["forecast"] == 13_800 and fy["budget"] == 15_600


def _walk(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_context_is_plain_json_without_nan_and_every_table_states_unit_and_period(department):
    c = ctx(department)
    json.dumps(c, allow_nan=False)  # raises on NaN or on numpy/pandas values
    assert all(v is None or isinstance(v, str | int | float | bool) for v in _walk(c))
    for t in [*c["tables"].values(), c["alerts"], c["alerts_all"], c["changes"], *c["charts"]]:
        assert t["unit"] and t["period"], t["title"]
    for t in [*c["tables"].values(), c["alerts"], c["alerts_all"], c["changes"]]:
        assert t["empty"], t["title"]


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_empty_data_gives_empty_sections_not_errors(department):
    empty_plan = Plan(period=PERIOD, sales_monthly=pd.DataFrame(columns=[
        "ds", "region", "category", "sku", "customer_id", "qty", "revenue"]),
        forecast=make_plan().forecast.iloc[0:0], budget=make_plan().budget.iloc[0:0],
        balance=make_plan().balance.iloc[0:0])
    c = packet_context(department, PERIOD, {}, empty_plan, [])
    json.dumps(c, allow_nan=False)
    filled = {k for k, t in c["tables"].items() if t["rows"]}
    # Only the order-to-ship counts (0 lines) and the management headlines have rows.
    assert filled == {"sales_admin": {"order_to_ship"}, "management": {"headlines"}}.get(
        department, set())
    if department == "sales_admin":
        assert [r["lines"] for r in c["tables"]["order_to_ship"]["rows"]] == [0, 0]
        assert c["tables"]["order_to_ship"]["rows"][0]["median"] is None
    assert c["alerts"]["rows"] == [] and c["data_quality"] == []


def test_packet_context_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown department"):
        packet_context("finance", PERIOD, staged(), make_plan(), [])
    with pytest.raises(ValueError, match="YYYY-MM"):
        packet_context("sales", "2026-13", staged(), make_plan("2026-13"), [])
    with pytest.raises(ValueError, match="plan is for 2026-09"):
        packet_context("sales", PERIOD, staged(), make_plan("2026-09"), [])


def test_ranked_changes_need_both_months_and_a_base():
    now = {"a": Figure("a", 150.0, "money"), "b": Figure("b", 3, "count", "x", 5),
           "c": Figure("c", 90.0, "qty"), "d": Figure("d", None, "qty"),
           "e": Figure("e", 10.0, "qty")}
    before = {"a": Figure("a", 100.0, "money"), "b": Figure("b", 1, "count", "x", 5),
              "c": Figure("c", 100.0, "qty"), "d": Figure("d", 5.0, "qty"),
              "e": Figure("e", 0.0, "qty")}
    rows = ranked_changes(now, before)
    assert [(r["label"], r["change"]) for r in rows] == [("a", 50.0), ("c", pytest.approx(-10))]
    assert rows[0] == {"label": "a", "value": 150.0, "previous": 100.0, "change": 50.0,
                       "fmt": "money", "unit": ""}


def test_alerts_open_the_packet_capped_and_all_of_them_go_to_the_workbook():
    many = pd.concat([_alerts()] * 4, ignore_index=True)
    many["alert_key"] = [f"k{i}" for i in range(len(many))]
    c = ctx("supply", plan=make_plan(alerts=many))
    assert len(c["alerts"]["rows"]) == 4  # a2 x 4: the supply department's own
    c = ctx("management", plan=make_plan(alerts=many))
    assert len(c["alerts"]["rows"]) == TOP_ISSUES == 5  # management's first page
    assert len(c["alerts_all"]["rows"]) == 12  # 3 open alerts x 4
    assert c["alerts"]["note"] == "5 of 12 alert groups shown, the workbook lists all"
    more = pd.concat([many] * 2, ignore_index=True)
    more["alert_key"] = [f"m{i}" for i in range(len(more))]
    procurement = ctx("procurement", plan=make_plan(alerts=more))  # a2, a4 x 8: 16 groups
    assert len(procurement["alerts"]["rows"]) == TOP_ALERTS == 10


# --- scoping: who may see purchase prices, supplier terms and customer credit -----------

CREDIT_KEYS = {"credit_limit", "exposure", "unpaid_invoices", "utilisation", "headroom",
               "open_order_value"}
CREDIT_TEXT = ["Credit limit", "credit limit", "Exposure", "Headroom", "54,321"]
PROCUREMENT_KEYS = {"unit_price", "recent_price", "prior_price", "contract_days",
                    "recent_days", "earlier_days", "contract_lead_time_days", "late_share"}
PROCUREMENT_TEXT = ["Avg price", "3.81", "3.70", "3.17", "Contract", "Lead-time", "lead time",
                    "Acme Metals"]
CREDIT_ALLOWED = {"sales_admin", "management"}
PROCUREMENT_ALLOWED = {"procurement", "management"}


def _column_keys(c: dict) -> set[str]:
    keys = set()
    for t in [*c["tables"].values(), c["alerts"]]:
        keys |= {col["key"] for col in t["columns"]}
        for r in t["rows"]:
            keys |= set(r)
    return keys


@functools.cache
def _full_packet(department: str):
    """The department's whole packet (HTML, text, PDF, workbook) from the fixture, once."""
    from reports.packet import build_packet

    return build_packet(department, ctx(department))


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The text of a PDF (pdftotext from poppler-utils, a system package of the project)."""
    path = tmp_path / "packet.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True)
    return out.stdout


def workbook_cells(xlsx: bytes) -> list:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def _outputs(department: str, tmp_path) -> tuple[list[str], list]:
    """Every text form of the packet (HTML e-mail, page, text, PDF text) and workbook cells."""
    packet = _full_packet(department)
    pdf = next(a.data for a in packet.attachments if a.content_type == "application/pdf")
    xlsx = next(a.data for a in packet.attachments if a.filename.endswith(".xlsx"))
    texts = [packet.html, packet.page_html, packet.text, pdf_text(pdf, tmp_path)]
    return texts, workbook_cells(xlsx)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_credit_data_only_in_sales_admin_and_management(department, tmp_path):
    c = ctx(department)
    texts, cells = _outputs(department, tmp_path)
    if department in CREDIT_ALLOWED:
        if department == "sales_admin":
            assert _column_keys(c) >= CREDIT_KEYS
            assert all("54,321" in t for t in texts)
            assert C2_LIMIT in cells and "Credit limit" in cells
        return
    assert not CREDIT_KEYS & _column_keys(c)
    assert C2_LIMIT not in cells
    for word in CREDIT_TEXT:
        assert word not in json.dumps(c), word
        for text in texts:  # the e-mail, the archived page, the text part and the PDF
            assert word not in text, word
        assert not any(isinstance(v, str) and word in v for v in cells), word


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_purchase_prices_and_supplier_terms_only_in_procurement_and_management(department,
                                                                               tmp_path):
    c = ctx(department)
    texts, cells = _outputs(department, tmp_path)
    prices = {3.05, 3.17, 3.49, 3.81, 1.93}  # the fixture's PO unit prices
    if department in PROCUREMENT_ALLOWED:
        if department == "procurement":
            assert {"recent_price", "contract_days"} <= _column_keys(c)
            assert all("3.70" in t and "Acme Metals" in t for t in texts)
            assert any(isinstance(v, float) and round(v, 2) == 3.70 for v in cells)
        return
    assert not PROCUREMENT_KEYS & _column_keys(c)
    assert not prices & {v for v in cells if isinstance(v, float)}
    for word in PROCUREMENT_TEXT:
        assert word not in json.dumps(c), word
        for text in texts:
            assert word not in text, word
        assert not any(isinstance(v, str) and word in v for v in cells), word


def test_which_supplier_delivers_which_material_with_share_price_and_otif():
    from sop.packets.briefing.procurement import supplier_materials

    data = staged()
    po = data["purchase_orders"]
    extra = po.iloc[[4]].assign(po_id="PO6", supplier_id="S2", material_id="M1",
                                order_date=pd.Timestamp("2026-10-02"),
                                promised_date=pd.Timestamp("2026-10-20"),
                                received_date=pd.Timestamp("2026-10-18"), qty=100.0,
                                received_qty=100.0, unit_price=3.0)
    data["purchase_orders"] = pd.concat([po, extra], ignore_index=True)
    sm = supplier_materials(data, W).set_index(["material", "supplier"])
    # Steel sheet, May to October: Acme 400 (PO2-PO4; PO1 ordered in April), ChipCo 100
    acme, chipco = sm.loc[("Steel sheet", "Acme Metals")], sm.loc[("Steel sheet", "ChipCo")]
    assert (acme["qty"], chipco["qty"]) == (400.0, 100.0)
    assert (acme["share"], chipco["share"]) == (pytest.approx(80.0), pytest.approx(20.0))
    assert acme["price"] == pytest.approx((100 * 3.17 + 100 * 3.49 + 200 * 3.81) / 400)
    assert chipco["otif_pct"] == 100.0  # received 18 Oct, promised 20 Oct, in full
    assert acme["otif_pct"] == 0.0  # PO2 and PO3 late, PO4 not received by the end
    assert list(sm.index.get_level_values(0)) == ["Chip", "Steel sheet", "Steel sheet"]
