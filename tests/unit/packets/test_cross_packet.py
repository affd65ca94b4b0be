"""Figures that agree: one ERP planned for two consecutive months, every packet of both.

- a month's figure in month m's packet equals the same figure in month m+1's (point-in-time
  figures as of the period end: open orders, stock, receivables);
- management equals sales (month, YTD, full-year outlook);
- YTD equals the sum of the months;
- stock on hand leads to the projection's opening, step by step;
- no figure adds quantities of different units;
- management's actual vs last month's forecast uses the forecast month m's run made.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sop.config import DEPARTMENTS, PlanningConfig, Thresholds
from sop.demo import erp_tables
from sop.forecast.hierarchy import reconciled_forecast
from sop.ingest.staging import staged_as_of
from sop.packets.briefing import packet_context
from sop.packets.briefing.changes import figures
from sop.packets.briefing.common import period_window
from sop.plan import History
from sop.planning.build import demand_history, plan_from_forecast

M, M1 = "2026-09", "2026-10"


def _plan(data, period, history):
    planning = PlanningConfig()
    monthly, series = demand_history(data, period, planning)
    rec = reconciled_forecast(series, h=planning.horizon_months)
    return plan_from_forecast(data, period, monthly, series, rec, planning, Thresholds(), history)


@pytest.fixture(scope="module")
def months():
    erp = erp_tables("small", seed=5, end=M1)  # one ERP, read at the end of M1
    data_m, data_m1 = staged_as_of(erp, M), staged_as_of(erp, M1)
    plan_m = _plan(data_m, M, History())
    stored = plan_m.forecast.assign(period=M)  # as the warehouse keeps month m's run
    plan_m1 = _plan(data_m1, M1, History(forecasts=stored))
    ctx = {(p, d): packet_context(d, p, data, plan, [])
           for p, data, plan in ((M, data_m, plan_m), (M1, data_m1, plan_m1))
           for d in DEPARTMENTS}
    return {"data": {M: data_m, M1: data_m1}, "plan": {M: plan_m, M1: plan_m1}, "ctx": ctx}


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_a_months_figures_are_the_same_in_its_own_packet_and_the_next(months, department):
    w = period_window(M)
    own = figures(department, months["data"][M], months["plan"][M], w)
    later = figures(department, months["data"][M1], months["plan"][M1], w)
    assert set(own) == set(later)
    assert own, department
    for label, f in own.items():
        assert later[label].value == pytest.approx(f.value, rel=1e-9, abs=1e-9), label
    # and the next packet's "previous" column shows exactly these
    for row in months["ctx"][(M1, department)]["changes"]["rows"]:
        assert row["previous"] == pytest.approx(own[row["label"]].value, rel=1e-9), row


def test_open_orders_at_month_end_are_not_zero_in_their_own_packet(months):
    w = period_window(M)
    own = figures("sales_admin", months["data"][M], months["plan"][M], w)
    assert own["Open order lines"].value > 0 and own["Open order value"].value > 0


def _kpis(ctx: dict) -> dict:
    return {k["label"]: k["value"] for k in ctx["kpis"]}


@pytest.mark.parametrize("period", [M, M1])
def test_management_equals_sales_and_ytd_is_the_sum_of_the_months(months, period):
    sales, mgmt = _kpis(months["ctx"][(period, "sales")]), months["ctx"][(period, "management")]
    totals = {r["horizon"].split(" ")[0]: r for r in mgmt["tables"]["totals"]["rows"]}
    assert _kpis(mgmt)["Revenue this month"] == pytest.approx(sales["Revenue this month"])
    assert totals["Month"]["actual"] == pytest.approx(sales["Revenue this month"])
    assert totals["Year"]["actual"] == pytest.approx(sales["Revenue YTD"])
    w = period_window(period)
    by_month = [figures("sales", months["data"][period], months["plan"][period],
                        period_window(f"{w.start.year}-{m:02d}"))["Revenue"].value
                for m in range(1, w.start.month + 1)]
    assert sum(by_month) == pytest.approx(sales["Revenue YTD"], rel=1e-9)


@pytest.mark.parametrize("period", [M, M1])
def test_stock_on_hand_leads_to_the_projections_opening(months, period):
    ctx, plan = months["ctx"][(period, "supply")], months["plan"][period]
    steps = {r["step"]: r["qty"] for r in ctx["tables"]["bridge"]["rows"]}
    assert steps["On hand"] == pytest.approx(_kpis(ctx)["Finished goods on hand"])
    assert steps["On hand"] + steps["Allocated to orders"] + steps["In transit"] == (
        pytest.approx(steps["Available"]))
    first = plan.balance[plan.balance["ds"] == plan.balance["ds"].min()]
    assert steps["Projected opening stock"] == pytest.approx(first["opening"].sum())
    assert steps["Available"] + steps["Not in the projection (no demand planned there)"] == (
        pytest.approx(steps["Projected opening stock"]))
    outlook = ctx["tables"]["balance"]["rows"][0]
    assert outlook["opening"] == pytest.approx(steps["Projected opening stock"])


def test_no_figure_adds_quantities_of_different_units(months):
    data = months["data"][M1]
    units = set(data["materials"]["unit"])
    assert len(units) > 1  # the case would not test anything otherwise
    ctx = months["ctx"][(M1, "supply")]
    for r in ctx["tables"]["stock"]["rows"]:
        if r["item_type"] == "material":
            assert r["unit"] in units
    labels = figures("procurement", data, months["plan"][M1], period_window(M1))
    assert not any(lb == "Material stock on hand" for lb in labels)
    assert {lb.split(", ")[-1] for lb in labels if lb.startswith("Material stock")} == units


def test_management_compares_the_month_with_last_months_forecast_for_it(months):
    rows = {r["measure"]: r for r in
            months["ctx"][(M1, "management")]["tables"]["vs_forecast"]["rows"]}
    plan_m, plan_m1 = months["plan"][M], months["plan"][M1]
    made = plan_m.forecast[(plan_m.forecast["level"] == "total")
                           & (pd.to_datetime(plan_m.forecast["ds"]) == pd.Timestamp(M1 + "-01"))]
    month = plan_m1.sales_monthly[pd.to_datetime(plan_m1.sales_monthly["ds"]) == M1 + "-01"]
    assert rows["Revenue"]["forecast"] == pytest.approx(made["revenue"].sum())
    assert rows["Revenue"]["actual"] == pytest.approx(month["revenue"].sum())
    assert rows["Units"]["forecast"] == pytest.approx(made["forecast"].sum())
    assert rows["Revenue"]["fmt"] == "money" and rows["Units"]["fmt"] == "qty"
    # the first month has no earlier run: it says so instead of inventing a figure
    assert months["ctx"][(M, "management")]["tables"]["vs_forecast"]["rows"] == []
