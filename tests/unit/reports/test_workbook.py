"""The packet workbook: one sheet per table, typed cells, frozen header, valid names."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from reports.i18n import Locale, localized
from reports.workbook import packet_workbook, sheet_name, typed
from sop.config import DEPARTMENTS
from tests.unit.packets.test_briefing import ctx

NUMERIC = {"qty", "money", "count", "price", "ratio", "pct", "share", "pp", "days", "weeks"}


def book(department: str, locale: str = "en") -> tuple[dict, openpyxl.Workbook]:
    context = localized(ctx(department), Locale(locale))
    return context, openpyxl.load_workbook(io.BytesIO(packet_workbook(context, locale)))


def tables_of(context: dict) -> list[dict]:
    return [context["changes"], context["alerts_all"], *context["tables"].values()]


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_one_sheet_per_table_with_a_frozen_header_and_typed_cells(department):
    context, wb = book(department)
    names = wb.sheetnames
    assert names[0] == "Contents" and len(names) == 1 + len(tables_of(context)) + 1  # + KPIs
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    contents = wb["Contents"]
    assert [c.value for c in contents[1]] == ["Sheet", "Title", "Unit", "Period", "Rows", "Note"]
    listed = {row[0].value: row for row in contents.iter_rows(min_row=2)}
    assert list(listed) == names[1:]
    by_title = {row[1].value: wb[name] for name, row in listed.items()}
    for t in tables_of(context):
        ws = by_title[t["title"]]
        assert ws.freeze_panes == "A2"
        assert [c.value for c in ws[1]] == [c["label"] for c in t["columns"]]
        assert ws.max_row == 1 + len(t["rows"])
        for i, col in enumerate(t["columns"], start=1):
            values = [ws.cell(row=r, column=i).value for r in range(2, ws.max_row + 1)]
            fmt = col["fmt"]
            if fmt in NUMERIC:
                assert all(v is None or isinstance(v, int | float) for v in values), (
                    t["title"], col["label"], values)
            elif fmt == "date":
                assert all(v is None or isinstance(v, dt.datetime) for v in values)
        assert listed[ws.title][2].value == t["unit"] and listed[ws.title][3].value == t["period"]


def test_percentages_are_fractions_with_a_percent_format_and_totals_bold():
    context, wb = book("sales")
    ws = wb["By region"]
    header = [c.value for c in ws[1]]
    col = header.index("vs budget") + 1
    north = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "North")
    expected = next(r for r in context["tables"]["by_region"]["rows"] if r["region"] == "North")
    assert north[col - 1].value == pytest.approx(expected["month_vs_budget"] / 100)
    assert "%" in north[col - 1].number_format
    assert north[1].value == 1200 and north[1].number_format == "#,##0"
    total = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "Total")
    assert total[0].font.bold and ws.column_dimensions["A"].width >= 8
    changes = wb["Changes"]  # mixed figures: each value in its own format
    assert all(isinstance(r[1].value, int | float) for r in changes.iter_rows(min_row=2))


def test_key_figures_sheet_keeps_numbers_and_text():
    _, wb = book("sales_admin")
    ws = wb["Key figures"]
    rows = {r[0].value: r[1].value for r in ws.iter_rows(min_row=2)}
    assert rows["Open order lines"] == 3 and rows["Backlog value"] == 1000
    assert rows["Oldest open order"] == "O2 (2026-09-01)"


def test_chinese_workbook():
    _, wb = book("sales_admin", "zh")
    assert wb.sheetnames[0] == "目录" and "未交订单" in wb.sheetnames
    assert [c.value for c in wb["未交订单"][1]][:2] == ["下单后天数", "行数"]


def test_sheet_names_are_short_unique_and_valid():
    taken: set[str] = set()
    assert sheet_name("Order backlog", "backlog", taken) == "Order backlog"
    assert sheet_name("Order backlog", "backlog", taken) == "Order backlog (2)"
    assert sheet_name("Revenue against target by category", "by_category", taken) == "By category"
    assert sheet_name("Next period (2026-11): open orders", "next", taken) == "Next"
    assert sheet_name("a/b [c]", "x", taken) == "a b  c"
    assert all(len(n) <= 31 for n in taken)


def test_typed_cells():
    assert typed(None, "money") == (None, None) and typed("", "text") == (None, None)
    assert typed(4.2, "pct") == (pytest.approx(0.042), "+0.0%;-0.0%;0.0%")
    assert typed(3.0, "count") == (3, "#,##0") and isinstance(typed(3.0, "count")[0], int)
    assert typed("2026-10-31", "date") == (dt.date(2026, 10, 31), "yyyy-mm-dd")
    assert typed("Total", "text") == ("Total", None)
    assert typed(-1.5, "pp", " pp")[1] == '+0.0" pp";-0.0" pp"'


HOSTILE = ('=HYPERLINK("http://x.example","y")', "=1+1", "+1+2", "-3+4", "@SUM(A1)",
           "\t=1", "\r=2")


def _hostile_data() -> dict:
    """The fixture ERP with master-data names an outsider could set to formulas."""
    from tests.unit.packets.test_briefing import staged

    data = staged(customer_name=HOSTILE[1])
    names = {"products": HOSTILE[0], "materials": HOSTILE[4], "suppliers": HOSTILE[2],
             "warehouses": HOSTILE[3]}
    for name, text in names.items():
        data[name] = data[name].assign(name=[text] + list(data[name]["name"].iloc[1:]))
    data["promotions"] = data["promotions"].assign(name=HOSTILE[5])
    data["returns"] = data["returns"].assign(reason=HOSTILE[6])
    return data


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_names_that_look_like_formulas_stay_text_in_every_workbook(department):
    import zipfile

    context = localized(ctx(department, data=_hostile_data()), Locale("en"))
    raw = packet_workbook(context, "en")
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets), "a cell was written as a formula"
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    seen, texts = [], set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@",
                                                                           "\t", "\r")):
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    seen.append(cell.value)
    cells = {str(v) for tb in tables_of(context) for r in tb["rows"] for v in r.values()}
    shown = set(HOSTILE) & cells
    assert shown - {"\r=2"} <= set(seen)  # every hostile name a table shows: quoted text
    assert ("\r=2" not in shown) or ("\n=2" in texts)  # XML reads a lone CR back as LF
    REACHED[department] = len(shown)


REACHED: dict[str, int] = {}


def test_the_hostile_names_reached_most_workbooks():
    for department in DEPARTMENTS:  # also when run alone
        if department not in REACHED:
            test_names_that_look_like_formulas_stay_text_in_every_workbook(department)
    assert sum(n > 0 for n in REACHED.values()) >= 4, REACHED
