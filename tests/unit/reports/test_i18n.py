"""Packet language: the Chinese catalogue covers every label of every packet; data names
stay as they are; formats follow the locale."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from reports.i18n import DEPARTMENT_NAMES, Locale, localized
from sop.config import DEPARTMENTS
from sop.packets.briefing import packet_context
from sop.plan import Plan
from tests.unit.packets.test_briefing import DQ_NOTES, PERIOD, ctx, make_plan, staged

ZH = Locale("zh")
WORD = re.compile(r"[A-Za-z]{3,}")
KEEP = {"SKU", "SKUs", "BOM"}  # kept in English in Chinese business text


def english_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text or "") if w not in KEEP}


def labels(context: dict) -> list[str]:
    """Every string of a context that is a label (not a name from the data)."""
    out = [context["title"], context["period_label"]]
    for t in [context["changes"], context["alerts"], context["alerts_all"],
              *context["tables"].values()]:
        out += [t["title"], t["unit"], t["period"], t["empty"], t.get("note") or ""]
        out += [c["label"] for c in t["columns"]]
    for k in context["kpis"]:
        out += [k["label"], k["unit"] or ""]
    for c in context["charts"]:
        out += [c["title"], c["unit"], c["period"]]
        out += [s["label"] for s in c["series"] if s["style"] != "plain"]
        out += [b["label"] for b in c["bands"]]
    return out


def _empty_plan() -> Plan:
    plan = make_plan()
    return Plan(period=PERIOD, sales_monthly=plan.sales_monthly.iloc[0:0],
                forecast=plan.forecast.iloc[0:0], budget=plan.budget.iloc[0:0],
                balance=plan.balance.iloc[0:0])


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_every_label_of_every_packet_is_translated(department):
    full = localized(ctx(department), ZH)
    empty = localized(packet_context(department, PERIOD, {}, _empty_plan(), []), ZH)
    for context in (full, empty):
        untranslated = {s: english_words(s) for s in labels(context) if english_words(s)}
        assert not untranslated, untranslated
    assert full["title"] == DEPARTMENT_NAMES["zh"][department]
    assert full["period_label"] == "2026年10月"


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_fixed_table_values_are_translated_and_data_names_are_not(department):
    en, zh = ctx(department), localized(ctx(department), ZH)
    for key, t in en["tables"].items():
        for row_en, row_zh in zip(t["rows"], zh["tables"][key]["rows"], strict=True):
            for col in ("customer", "product", "material", "supplier", "warehouse", "name"):
                assert row_en.get(col) == row_zh.get(col)
            if row_en.get(t["columns"][0]["key"]) == "Total":
                assert row_zh[t["columns"][0]["key"]] == "合计"


def test_management_headlines_and_alert_fields():
    zh = localized(ctx("management"), ZH)
    heads = {r["department"]: r["headline"] for r in zh["tables"]["headlines"]["rows"]}
    assert set(heads) == {"销售部", "市场部", "销管部", "生产/仓储/物流", "采购部"}
    assert heads["销管部"].startswith("未交订单3行，金额1,000；超信用额度客户1个")
    assert heads["销售部"] == ("2026年10月收入1,400（对比预算+7.7%）；年初至今对比预算-16.9%；"
                            "全年展望对比预算-11.5%。")
    assert {r["severity"] for r in zh["alerts"]["rows"]} <= {"严重", "高", "警告"}
    alerts = zh["alerts_all"]["rows"]
    assert {r["severity"] for r in alerts} <= {"严重", "高", "警告"}
    assert "销售部" in alerts[-1]["owners"]  # owners are department keys, shown by name


def test_translation_templates_parts_and_fallback():
    assert ZH.t("Revenue, North") == "North收入"
    assert ZH.t("month 2026-10; YTD 2026-01 to 2026-10") == "当月 2026年10月；年初至今 2026年1月至2026年10月"
    assert ZH.t("Not yet measured: this plan holds no forecast made before 2026-10.") == (
        "尚未衡量：本计划没有2026年10月之前做出的预测。")
    assert ZH.t("snapshot 2026-10-31") == "快照 2026年10月31日"
    assert ZH.t("Some words no entry covers") == "Some words no entry covers"
    assert Locale("en").t("Revenue, North") == "Revenue, North"
    with pytest.raises(ValueError, match="unknown locale 'fr'"):
        Locale("fr")


def test_english_context_is_unchanged_but_for_the_title():
    en = ctx("sales_admin")
    out = localized(en, Locale("en"))
    assert out["tables"] == en["tables"] and out["kpis"] == en["kpis"]
    assert out["title"] == "Sales administration" and out["period_label"] == "October 2026"
    assert out is not en and en.get("locale") is None


def test_notes_are_translated_where_the_catalogue_knows_them():
    zh = localized(packet_context("sales", PERIOD, staged(), make_plan(
        notes=("8 sku x region series have under 15 months of history and are forecast with "
               "a naive model",)), DQ_NOTES), ZH)
    assert zh["planning_notes"] == ["8个SKU×区域序列的历史不足15个月，使用朴素模型预测"]
    assert zh["data_quality"] == DQ_NOTES  # unknown: kept as written
    assert isinstance(pd.Timestamp(PERIOD), pd.Timestamp)
