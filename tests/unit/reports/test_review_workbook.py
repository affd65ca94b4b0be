"""The forecast-review workbook: its layout, what a head may change, the dropdowns, the
hidden sheet the import checks, no internal keys in sight, and every label in Chinese."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from reports.i18n import Locale
from reports.review_workbook import EMPTY_ROWS, reason_spellings, review_workbook
from sop.consensus.intake import MARKER, META_SHEET
from sop.consensus.model import REASONS
from tests.unit.consensus.test_intake import make_rows, make_scope

WORD = re.compile(r"[A-Za-z]{3,}")
HEADER = ["Category", "Region", "Customer", "Product", "Month",
          "Statistical forecast (units)", "Statistical revenue", "Last year (units)",
          "Budget (units)", "Budget revenue", "Your number (units)", "Change (%)", "Reason",
          "Comment"]
LAST = 5 + 10 + EMPTY_ROWS  # header row 5, 10 prefilled rows, then the empty ones


def book(locale: str = "en", department: str = "sales", **kw) -> openpyxl.Workbook:
    scope = make_scope()
    rows = kw.pop("rows", make_rows(scope))
    return openpyxl.load_workbook(io.BytesIO(review_workbook(rows, scope, department, locale,
                                                             **kw)))


def validations(ws) -> dict[str, object]:
    """Each data validation by the first cell of its range."""
    return {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}


def listed(wb: openpyxl.Workbook, formula: str) -> list[str]:
    sheet, cells = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def test_layout_titles_header_and_rows():
    wb = book()
    assert wb.sheetnames == ["Forecast review", "Reasons", META_SHEET]
    ws = wb["Forecast review"]
    assert [ws[f"A{r}"].value for r in (1, 2)] == ["Demo Manufacturing",
                                                   "Forecast review for Sales, October 2026"]
    assert "Your number" in ws["A3"].value and "empty row" in ws["A4"].value
    assert [c.value for c in ws[5]] == HEADER
    assert ws.freeze_panes == "A6" and ws.auto_filter.ref == f"A5:N{LAST}"
    assert ws.max_row == LAST
    first = [c.value for c in ws[6]]
    assert first == ["Gadgets", "North", None, None, "2026-11", 100, 1000, 90, 110, 1100,
                     None, None, None, None]
    account = [c.value for c in ws[15]]
    assert account[:10] == [None, None, "Acme Ltd", None, "2026-12", 50, 500, None, None, None]
    assert ws["E6"].data_type == "s" and ws["E6"].number_format == "@"
    assert ws["F6"].number_format == "#,##0" and ws["G6"].number_format == "#,##0"
    assert ws["L6"].number_format == "+0.0;-0.0;0.0" and ws["K6"].number_format == "#,##0"
    assert all(ws.cell(row=r, column=c).value is None for r in range(16, LAST + 1)
               for c in range(1, 15))
    reasons = wb["Reasons"]
    assert [c.value for c in reasons[1]] == ["Reason", "Meaning"]
    assert [c.value for c in reasons["A"][1:]] == list(REASONS.values())


def test_only_the_input_cells_can_be_changed():
    wb = book()
    ws = wb["Forecast review"]
    assert ws.protection.sheet and not ws.protection.password
    assert not ws.protection.autoFilter  # filtering stays allowed
    assert wb["Reasons"].protection.sheet and wb.security.lockStructure
    assert not wb.security.workbookPassword
    for row in (6, 15, 16, LAST):
        for col in "KLMN":
            cell = ws[f"{col}{row}"]
            assert not cell.protection.locked and cell.fill.start_color.rgb == "FFFFF2CC"
    for col in "ABCDEFGHIJ":
        assert ws[f"{col}6"].protection.locked and ws[f"{col}15"].protection.locked
    for col in "ABCDE":  # the empty rows' keys and month are the head's
        assert not ws[f"{col}16"].protection.locked and not ws[f"{col}{LAST}"].protection.locked
    for col in "FGHIJ":
        assert ws[f"{col}16"].protection.locked


def test_dropdowns_and_number_checks():
    wb = book()
    ws = wb["Forecast review"]
    dv = validations(ws)
    assert dv["M6"].type == "list" and str(dv["M6"].sqref) == f"M6:M{LAST}"
    assert listed(wb, dv["M6"].formula1) == list(REASONS.values())
    assert dv["E16"].type == "list" and str(dv["E16"].sqref) == f"E16:E{LAST}"
    assert listed(wb, dv["E16"].formula1) == ["2026-11", "2026-12"]
    assert listed(wb, dv["A16"].formula1) == ["Gadgets", "Widgets"] and dv["A16"].showErrorMessage
    assert listed(wb, dv["C16"].formula1) == ["Acme Ltd", "Beta Stores"]
    assert not dv["C16"].showErrorMessage  # an ERP code may be typed too
    assert listed(wb, dv["D16"].formula1) == ["Blue widget", "Red gadget"]
    assert (dv["K6"].type, dv["K6"].operator, dv["K6"].formula1) == (
        "decimal", "greaterThanOrEqual", "0")
    assert (dv["L6"].type, dv["L6"].operator, dv["L6"].formula1) == (
        "decimal", "greaterThanOrEqual", "-100")
    assert all(d.showErrorMessage for k, d in dv.items() if k[0] in "KLME")


def test_the_hidden_sheet_carries_what_the_import_checks():
    wb = book(department="marketing")
    meta = wb[META_SHEET]
    assert meta.sheet_state == "veryHidden" and meta.protection.sheet
    assert {meta[f"A{r}"].value: meta[f"B{r}"].value for r in range(1, 5)} == {
        "kind": MARKER, "period": "2026-10", "department": "marketing",
        "sheet": "Forecast review"}
    spellings = {meta[f"D{r}"].value: meta[f"E{r}"].value for r in range(1, 19)}
    assert spellings == reason_spellings() and len(spellings) == 2 * len(REASONS)
    assert spellings["其他（请在备注中说明原因）"] == "other" and meta["D19"].value is None


def visible_texts(wb: openpyxl.Workbook) -> list[str]:
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        out.append(ws.title)
        out += [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        out += [t for dv in ws.data_validations.dataValidation for t in (dv.error,
                                                                           dv.errorTitle) if t]
    return out


def test_no_internal_key_is_in_sight():
    cells = visible_texts(book())
    texts = " ".join(cells)
    for code in ("CU-001", "CU-002", "SKU-W1", "SKU-G1", "customer_order", "supply_constraint"):
        assert code not in texts, code
    assert not set(cells) & set(REASONS)  # reason codes (some are plain words) never a cell
    assert "Acme Ltd" in texts  # shown by name


def test_every_label_of_the_chinese_workbook_is_chinese():
    data_names = {"Demo Manufacturing", "Gadgets", "Widgets", "North", "South", "Acme Ltd"}
    zh = [t for t in visible_texts(book("zh")) if t not in data_names]
    assert {t: WORD.findall(t) for t in zh if WORD.findall(t)} == {}
    en = [t for t in visible_texts(book("en")) if t not in data_names]
    assert sum(bool(WORD.findall(t)) for t in en) > 30  # the check can fail
    wb = book("zh")
    assert wb.sheetnames[:2] == ["预测评审", "原因列表"]
    assert wb["预测评审"]["A2"].value == "销售部预测评审，2026年10月"
    assert [c.value for c in wb["原因列表"]["A"][1:]] == [Locale("zh").t(v)
                                                       for v in REASONS.values()]


def test_text_cells_are_quoted_against_formula_injection():
    scope = make_scope()
    rows = make_rows(scope)
    rows.loc[0, "category"], rows.loc[9, "customer"] = "=1+1", "@SUM(A1)"
    ws = book(rows=rows, company="+Evil Co").worksheets[0]
    for ref, text in (("A1", "+Evil Co"), ("A6", "=1+1"), ("C15", "@SUM(A1)")):
        assert ws[ref].value == text and ws[ref].data_type == "s" and ws[ref].quotePrefix
    assert not ws["B6"].quotePrefix


def test_only_sales_and_marketing_review_the_forecast():
    scope = make_scope()
    with pytest.raises(ValueError, match="not 'supply'"):
        review_workbook(make_rows(scope), scope, "supply")
