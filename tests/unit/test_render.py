"""Rendering packets: subjects, every department, escaping, no NaN, a readable text part."""

from __future__ import annotations

import re

import pytest

from reports import RenderedPacket, render_packet
from reports.render import formatted, text_table
from sop.briefing import packet_context
from sop.config import DEPARTMENTS
from sop.plan import Plan
from tests.unit.test_briefing import DQ_NOTES, PERIOD, make_plan, staged  # hand-built fixtures

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


def rendered(department: str, data: dict | None = None, plan: Plan | None = None,
             company: str = "Demo Manufacturing") -> tuple[dict, RenderedPacket]:
    context = packet_context(department, PERIOD, staged(EVIL) if data is None else data,
                             make_plan() if plan is None else plan, DQ_NOTES)
    return context, render_packet(department, context, company=company)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_every_department_renders_with_its_subject_and_all_its_tables(department):
    context, packet = rendered(department)
    assert packet.subject == SUBJECTS[department]
    assert packet.html.lstrip().startswith("<!DOCTYPE html>")
    assert "max-width: 640px" in packet.html and "<script" not in packet.html
    assert f"<title>{SUBJECTS[department].replace('&', '&amp;')}</title>" in packet.html
    for t in [*context["tables"].values(), context["alerts"]]:
        title = t["title"].replace("&", "&amp;")
        assert f"<h3>{title}</h3>" in packet.html, t["title"]
        assert t["title"] in packet.text, t["title"]
        assert f"Unit: {t['unit']}" in " ".join(packet.text.split())
    assert DQ_NOTES[0] in packet.html and DQ_NOTES[0] in packet.text


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
    assert f'<p class="empty">{some_empty["empty"]}</p>'.replace("'", "&#39;") in packet.html


def test_customer_names_are_escaped_in_html_and_plain_in_text():
    _, packet = rendered("sales")
    assert "<script>" not in packet.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Foods &amp; Co" in packet.html
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
