"""Chart series (sop.packets.briefing.series) on the hand-built fixture, and their PNGs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports.charts import chart_png, cjk_family
from reports.i18n import Locale, localized
from sop.config import DEPARTMENTS
from sop.packets.briefing.common import period_window
from sop.packets.briefing.series import (
    CHARTS,
    budget_actual_forecast,
    forecast_fan,
    lead_times,
    material_prices,
    packet_charts,
    projected_balance,
)
from sop.plan import Plan
from tests.unit.packets.test_briefing import PERIOD, ctx, make_plan, staged

W = period_window(PERIOD)


def at(spec: dict, series: str, month: str):
    values = next(s for s in spec["series"] if s["key"] == series)["values"]
    return values[spec["x"].index(month)]


def test_budget_actual_and_forecast_by_month():
    spec = budget_actual_forecast(make_plan(), W)
    assert spec["x"][0] == "2025-11" and spec["x"][-1] == "2027-04"
    assert spec["now"] == spec["x"].index("2026-10") == 11
    assert at(spec, "actual", "2026-10") == 1400 and at(spec, "actual", "2026-11") is None
    assert at(spec, "budget", "2026-10") == 1300 and at(spec, "budget", "2025-12") is None
    assert at(spec, "forecast", "2026-11") == 1500 and at(spec, "forecast", "2026-10") is None
    assert spec["unit"] == "revenue, currency units" and spec["period"] == "2025-11 to 2027-04"


def test_forecast_fan_has_80_and_95_intervals():
    spec = forecast_fan(make_plan(), W)
    assert at(spec, "actual", "2026-10") == 130 and at(spec, "forecast", "2026-11") == 130
    bands = {b["level"]: b for b in spec["bands"]}
    i = spec["x"].index("2026-12")
    assert bands[80]["lo"][i] == pytest.approx(117) and bands[80]["hi"][i] == pytest.approx(143)
    assert bands[95]["lo"][i] == pytest.approx(104) and bands[95]["hi"][i] == pytest.approx(156)
    assert bands[95]["lo"][spec["x"].index("2026-10")] is None  # no interval for the past


def test_projected_balance_sums_skus_and_warehouses():
    spec = projected_balance(make_plan(), W)
    assert spec["x"] == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"]
    assert at(spec, "closing", "2026-11") == 510 and at(spec, "closing", "2027-01") == 300
    assert at(spec, "safety", "2026-12") == 90 and at(spec, "closing", "2027-02") is None


def test_material_price_index_and_lead_times_from_purchase_orders():
    prices = material_prices(staged(), W)
    assert at(prices, "M1", "2026-04") == pytest.approx(100.0)  # first order in view
    assert at(prices, "M1", "2026-10") == pytest.approx(3.81 / 3.05 * 100)
    assert at(prices, "M1", "2026-06") is None  # nothing ordered that month
    assert at(prices, "M2", "2026-09") == pytest.approx(100.0)
    labels = {s["key"]: s["label"] for s in prices["series"]}
    assert labels == {"M1": "Steel sheet", "M2": "Chip"}
    leads = lead_times(staged(), W)
    assert at(leads, "all", "2026-05") == 32 and at(leads, "all", "2026-09") == 40
    assert at(leads, "all", "2026-10") == 25 and at(leads, "S1", "2026-10") is None
    assert {s["label"] for s in leads["series"]} == {"All suppliers", "Acme Metals", "NewCo"}


def test_charts_without_data_are_left_out():
    empty = Plan(period=PERIOD, sales_monthly=make_plan().sales_monthly.iloc[0:0],
                 forecast=make_plan().forecast.iloc[0:0], budget=make_plan().budget.iloc[0:0],
                 balance=make_plan().balance.iloc[0:0])
    for department in DEPARTMENTS:
        assert packet_charts(department, W, {}, empty) == []


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_price_and_lead_time_charts_only_in_procurement(department):
    keys = [c["key"] for c in ctx(department)["charts"]]
    assert keys == list(CHARTS[department])
    if department != "procurement":
        assert not {"material_prices", "lead_times"} & set(keys)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_pngs_are_small_crisp_and_deterministic(department):
    for spec in ctx(department)["charts"]:
        png = chart_png(spec)
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (1200, 520)  # 600 x 260 at 2x
        assert len(png) < 80_000, (spec["key"], len(png))
        assert chart_png(dict(spec)) == png


def test_chinese_charts_use_an_installed_cjk_font():
    assert cjk_family() is not None, "install fonts-noto-cjk (make sysdeps)"
    spec = localized(ctx("sales"), Locale("zh"))["charts"][0]
    assert spec["title"] == "月度收入：实际、预算与滚动预测"
    assert [s["label"] for s in spec["series"]] == ["实际", "预算", "滚动预测"]
    zh = chart_png(spec, "zh")
    assert zh != chart_png(ctx("sales")["charts"][0], "en") and len(zh) < 80_000
