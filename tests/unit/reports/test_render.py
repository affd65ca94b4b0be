"""Rendering packets: subjects, every department, escaping, no NaN, a readable text part,
the opening (changes, alerts), inlined CSS, images by Content-ID and file name, Chinese."""

from __future__ import annotations

import functools
import json
import re

import pytest
from markupsafe import escape

from reports import RenderedPacket, render_packet
from reports.i18n import Locale
from reports.render import formatted, subject_line, text_table
from sop.config import DEPARTMENTS
from sop.packets.briefing import packet_context
from sop.plan import Plan
from tests.unit.packets.test_briefing import (  # hand-built fixtures
    DQ_NOTES,
    PERIOD,
    make_plan,
    staged,
)

SUBJECTS = {
    "sales": "[S&OP 2026-10] Sales briefing",
    "marketing": "[S&OP 2026-10] Marketing briefing",
    "sales_admin": "[S&OP 2026-10] Sales administration briefing",
    "supply": "[S&OP 2026-10] Production, warehouse & logistics briefing",
    "procurement": "[S&OP 2026-10] Procurement briefing",
    "management": "[S&OP 2026-10] Management briefing",
}
EVIL = "<script>alert('x')</script> Foods & Co"
NAN = re.compile(r"\bnan\b|\bnat\b", re.IGNORECASE)


@functools.cache
def _default_context(department: str) -> str:
    return json.dumps(packet_context(department, PERIOD, staged(EVIL), make_plan(), DQ_NOTES))


def rendered(department: str, data: dict | None = None, plan: Plan | None = None,
             company: str = "Demo Manufacturing", locale: str = "en",
             charts: bool = False) -> tuple[dict, RenderedPacket]:
    if data is None and plan is None:
        context = json.loads(_default_context(department))  # a fresh copy of a cached one
    else:
        context = packet_context(department, PERIOD, staged(EVIL) if data is None else data,
                                 make_plan() if plan is None else plan, DQ_NOTES)
    return context, render_packet(department, context, company=company, locale=locale,
                                  charts=charts)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_every_department_renders_with_its_subject_and_all_its_tables(department):
    context, packet = rendered(department)
    assert packet.subject == SUBJECTS[department]
    page = packet.page_html
    for html in (packet.html, page):
        assert html.lstrip().startswith("<!DOCTYPE html>")
        assert "max-width: 640px" in html and "<script" not in html
        assert f"<title>{SUBJECTS[department].replace('&', '&amp;')}</title>" in html
        assert DQ_NOTES[0] in html
    for t in [*context["tables"].values(), context["alerts"], context["changes"]]:
        title = t["title"].replace("&", "&amp;")
        assert f"<h3>{title}</h3>" in page or f"<h2>{title}</h2>" in page, t["title"]
        assert t["title"] in packet.text, t["title"]
        assert f"Unit: {t['unit']}. Period: {t['period']}." in " ".join(packet.text.split())
        assert str(escape(f"Unit: {t['unit']}. Period: {t['period']}.")) in " ".join(page.split())
    assert DQ_NOTES[0] in packet.text


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_no_nan_in_output_missing_figures_read_na(department):
    no_forecast = make_plan(forecast=make_plan().forecast.iloc[0:0])
    for plan in (make_plan(), no_forecast):
        _, packet = rendered(department, plan=plan)
        assert not NAN.search(packet.html) and not NAN.search(packet.text)
        assert "None" not in packet.text
    if department in ("sales", "management"):
        assert "n/a" in packet.html and "n/a" in packet.text  # the outlook needs a forecast


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_empty_data_renders_empty_sections(department):
    plan = Plan(period=PERIOD, sales_monthly=make_plan().sales_monthly.iloc[0:0],
                forecast=make_plan().forecast.iloc[0:0], budget=make_plan().budget.iloc[0:0],
                balance=make_plan().balance.iloc[0:0])
    context, packet = rendered(department, data={}, plan=plan)
    assert not NAN.search(packet.html) and not NAN.search(packet.text)
    some_empty = next(t for t in context["tables"].values() if not t["rows"])
    assert some_empty["empty"] in packet.text
    assert (f'<p class="empty">{some_empty["empty"]}</p>'.replace("'", "&#39;")
            in packet.page_html)
    assert some_empty["empty"].replace("'", "&#39;") in packet.html.replace("'", "&#39;")
    assert context["changes"]["empty"] in packet.text  # no month to compare with


def test_customer_names_are_escaped_in_html_and_plain_in_text():
    _, packet = rendered("sales")
    for html in (packet.html, packet.page_html):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(" in html and "Foods &amp; Co" in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Foods &amp; Co" in packet.page_html
    assert EVIL in packet.text  # plain text is not HTML: shown as is
    _, packet = rendered("sales", company="<b>ACME</b>")
    assert "&lt;b&gt;ACME&lt;/b&gt;" in packet.html and "<b>ACME</b>" not in packet.html


def test_numbers_have_thousands_separators_and_signs():
    _, packet = rendered("sales")
    assert "10,800" in packet.html and "10,800" in packet.text  # revenue YTD
    assert "-16.9%" in packet.text and "+7.7%" in packet.text  # YTD and month vs budget
    assert formatted(1234567.4, "money") == "1,234,567"
    assert formatted(3.7033, "price") == "3.70"
    assert formatted(-0.04, "pct") == "+0.0%"
    assert formatted(12.345, "share") == "12.3%"
    assert formatted(None, "money") == formatted(float("nan"), "qty") == "n/a"
    assert formatted("", "text") == "" and formatted(None, "text") == "n/a"


def test_text_part_is_readable_lines_and_aligned_tables():
    _, packet = rendered("sales_admin")
    text = packet.text
    assert "<" not in text.replace(EVIL, "")  # no markup apart from the customer's own name
    assert text.startswith("Demo Manufacturing - S&OP 2026-10\nSales administration briefing")
    lines = text.splitlines()
    head = lines.index("Order backlog")
    assert lines[head + 1] == "-" * len("Order backlog")
    header, rule, first = lines[head + 3], lines[head + 4], lines[head + 5]
    assert header.split("  ")[0] == "Age since order" and set(rule) == {"-", " "}
    assert first.startswith("0-30 days") and len(first) == len(rule)
    assert first.endswith("0")  # numbers right-aligned under their header
    assert "  Customers over credit limit  1" in text


def test_text_table_switches_to_one_line_per_row_when_too_wide():
    wide = {"title": "Wide", "unit": "u", "period": "p", "empty": "none", "note": "n",
            "columns": [{"key": f"c{i}", "label": f"Column number {i}", "fmt": "qty"}
                        for i in range(8)],
            "rows": [{f"c{i}": 1000.0 * i for i in range(8)}]}
    out = text_table(wide).splitlines()
    assert out[:3] == ["Wide", "----", "Unit: u. Period: p."]
    assert out[3].startswith("* 0: Column number 1: 1,000; Column number 2: 2,000;")
    assert all(len(line) <= 78 for line in out)
    assert text_table({**wide, "rows": []}).splitlines()[3] == "none"


def test_render_rejects_a_context_of_another_department():
    context, _ = rendered("sales")
    with pytest.raises(ValueError, match="not 'marketing'"):
        render_packet("marketing", context)
    with pytest.raises(ValueError, match="unknown department"):
        render_packet("hr", context)


def test_rendered_packet_is_frozen():
    _, packet = rendered("marketing")
    with pytest.raises(AttributeError):
        packet.subject = "x"  # type: ignore[misc]
    assert packet.subject == SUBJECTS["marketing"]


# --- the opening, the e-mail HTML, the images -------------------------------------------

def _order(text: str, *needles: str) -> list[int]:
    return [text.index(n) for n in needles]


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_packet_opens_with_the_decisions_then_what_changed_most(department):
    context, packet = rendered(department)
    changes, alerts = context["changes"], context["alerts"]
    assert changes["title"] == "What changed most since last month"
    assert 1 <= len(changes["rows"]) <= 3
    heads = ("Decisions for this meeting", alerts["title"], changes["title"], "Key figures")
    for doc in (packet.text, packet.page_html):
        positions = _order(doc, *heads)
        assert positions == sorted(positions), department
    moves = [abs(r["change"]) for r in changes["rows"]]
    assert moves == sorted(moves, reverse=True)
    for r in changes["rows"]:  # each figure in its own format, in text and HTML
        shown = formatted(r["value"], r["fmt"])
        assert shown in packet.text and shown in packet.page_html
        assert formatted(r["change"], "pct") in packet.text


def test_changes_rank_the_largest_moves_of_the_departments_figures():
    context, _ = rendered("sales")
    rows = {r["label"]: r for r in context["changes"]["rows"]}
    # Sep -> Oct: open order value 300 -> 1,000 (+233%), channel sell-out 4 -> 8 (+100%),
    # Gadgets (and South) revenue 400 -> 200 (-50%, a tie broken by name); open order lines
    # 1 -> 3 is below the 5-line base that makes a count worth reporting.
    assert list(rows) == ["Open order value", "Channel sell-out", "Revenue, Gadgets"]
    assert rows["Open order value"]["change"] == pytest.approx(1000 / 300 * 100 - 100)
    assert rows["Channel sell-out"]["change"] == pytest.approx(100.0)
    assert rows["Revenue, Gadgets"]["value"] == 200 and rows["Revenue, Gadgets"]["previous"] == 400
    assert rows["Revenue, Gadgets"]["fmt"] == "money" and rows["Revenue, Gadgets"]["unit"]


def test_email_html_has_its_css_inlined_and_keeps_only_media_queries():
    _, packet = rendered("sales_admin")
    head, body = packet.html.split("<body", 1)
    assert '<h2 style="' in body and '<td class="kpi-value" style="' in body
    assert "text-align: right" in body  # the .num rule, inlined
    assert "@media only screen and (max-width: 480px)" in head  # for phones
    assert ".kpi-value {" not in head and "<link" not in packet.html
    assert "<script" not in packet.html and "javascript:" not in packet.html.lower()


def test_charts_are_inline_by_content_id_in_the_email_and_files_in_the_page():
    context, packet = rendered("sales", charts=True)
    assert [c["key"] for c in context["charts"]] == ["budget_actual", "forecast_fan"]
    assert len(packet.images) == 2
    cids = set(re.findall(r'src="cid:([^"]+)"', packet.html))
    assert cids == {img.cid for img in packet.images}
    files = set(re.findall(r'<img[^>]* src="([^"]+)"', packet.page_html))
    assert files == {img.filename for img in packet.images}
    assert all(f.startswith("chart-") and f.endswith(".png") for f in files)
    for img in packet.images:
        assert img.data.startswith(b"\x89PNG") and img.title in packet.page_html
    assert not re.search(r'(src|href)="(https?:)?//', packet.html + packet.page_html)
    assert 'width="592"' in packet.html and "max-width: 592px" in packet.html


def test_no_charts_without_data():
    plan = Plan(period=PERIOD, sales_monthly=make_plan().sales_monthly.iloc[0:0],
                forecast=make_plan().forecast.iloc[0:0], budget=make_plan().budget.iloc[0:0],
                balance=make_plan().balance.iloc[0:0])
    context, packet = rendered("sales", data={}, plan=plan, charts=True)
    assert context["charts"] == [] and packet.images == () and "<img" not in packet.html


# --- Chinese ------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_NAMES = {"sales": "销售部", "marketing": "市场部", "sales_admin": "销管部",
            "supply": "生产/仓储/物流", "procurement": "采购部", "management": "管理层"}


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_chinese_packets_use_the_source_documents_department_names(department):
    context, packet = rendered(department, locale="zh")
    name = ZH_NAMES[department]
    assert packet.subject == f"[S&OP {PERIOD}] {name} briefing" == subject_line(
        PERIOD, department, "zh")
    assert packet.locale == "zh" and '<html lang="zh-CN">' in packet.page_html
    assert f"<h1>{name}简报</h1>" in packet.page_html and "2026年10月" in packet.page_html
    assert "较上月变化最大的三项" in packet.text and "关键指标" in packet.text
    assert "Key figures" not in packet.text and "What changed most" not in packet.html
    for t in context["tables"].values():  # every table title is translated
        assert t["title"] not in packet.text or CJK.search(t["title"]), t["title"]
    assert len(CJK.findall(packet.text)) > 100


def test_chinese_numbers_dates_and_missing_figures():
    zh = Locale("zh")
    assert formatted(1234567.4, "money", zh) == "1,234,567"
    assert formatted(None, "money", zh) == "无数据" and formatted(-1.25, "pp", zh) == "-1.2 个百分点"
    assert formatted("2026-11-02", "date", zh) == "2026/11/02"
    assert zh.month("2026-10") == "2026年10月" and Locale("en").month("2026-10") == "October 2026"
    _, packet = rendered("marketing", locale="zh")
    assert "2026/10/01" in packet.text  # the October deal's start, as a Chinese date
    assert "无数据" in packet.text and "n/a" not in packet.text


def test_chinese_text_tables_stay_aligned():
    _, packet = rendered("sales_admin", locale="zh")
    lines = packet.text.splitlines()
    head = lines.index("未交订单")
    header, rule, first = lines[head + 3], lines[head + 4], lines[head + 5]
    from reports.formats import width
    assert set(rule) == {"-", " "} and width(first) == width(rule)
    assert header.startswith("下单后天数")
