"""The packet's tables as an Excel workbook (openpyxl), for those who want to dig.

One sheet per table (the changes since last month, all open alerts, the key figures, then
the department's tables), after a contents sheet that gives each sheet's title, unit, period
and note. Cells are typed: numbers are numbers (percentages as fractions with a % format,
so 4.2% is 0.042), dates are dates, missing figures are empty. The header row is frozen and
filterable; sheet names are unique and at most 31 characters.
"""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.formats import cell_format, formatted, width
from reports.i18n import Locale

MAX_NAME = 31
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
HEADER_FILL = PatternFill("solid", start_color="FFE4E7EB", end_color="FFE4E7EB")
BOLD = Font(bold=True)
NUMBER_FORMATS = {"money": "#,##0", "qty": "#,##0", "count": "#,##0", "price": "#,##0.00",
                  "ratio": "0.00", "pct": "+0.0%;-0.0%;0.0%", "share": "0.0%",
                  "days": "0.0", "weeks": "0.0", "date": "yyyy-mm-dd"}


def sheet_name(title: str, fallback: str, taken: set[str]) -> str:
    """A unique sheet name of at most 31 characters without []:*?/\\ : the title, or the
    table's key when the title is too long, numbered when already taken."""
    name = FORBIDDEN.sub(" ", title).strip().strip("'")
    if len(name) > MAX_NAME:
        name = FORBIDDEN.sub(" ", fallback.replace("_", " ")).strip().capitalize()[:MAX_NAME]
    base, n = name or "Sheet", 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:MAX_NAME - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def typed(value: object, fmt: str, pp: str = " pp") -> tuple[object, str | None]:
    """(cell value, number format) of a packet value shown with `fmt`."""
    if value is None or value == "":
        return None, None
    if fmt == "date" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value), NUMBER_FORMATS["date"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value), None
    if fmt in ("pct", "share"):
        return float(value) / 100.0, NUMBER_FORMATS[fmt]
    if fmt == "pp":
        return float(value), f'+0.0"{pp}";-0.0"{pp}"'
    if fmt == "count" and float(value).is_integer():
        return int(value), NUMBER_FORMATS["count"]
    return value, NUMBER_FORMATS.get(fmt)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what a spreadsheet may evaluate


def as_text(cell) -> None:
    """Keep a text cell text: openpyxl turns a string starting with '=' into a formula, and
    Excel evaluates '+', '-', '@' too. Stored as a string with Excel's quote prefix, the cell
    shows exactly the text, stays text when edited, and never links or computes."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True


def _write_rows(ws: Worksheet, header: list[str], rows: list[list[tuple[object, str | None]]],
                shown: list[list[str]], bold_rows: set[int] = frozenset()) -> None:
    ws.append(header)
    for c in ws[1]:
        c.font, c.fill = BOLD, HEADER_FILL
        c.alignment = Alignment(vertical="bottom", wrap_text=True)
        as_text(c)
    for i, row in enumerate(rows):
        ws.append([v for v, _ in row])
        for j, (_, number_format) in enumerate(row):
            cell = ws.cell(row=i + 2, column=j + 1)
            as_text(cell)
            if number_format:
                cell.number_format = number_format
            if i in bold_rows:
                cell.font = BOLD
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for j, h in enumerate(header):
        longest = max([width(h) * 0.8, *(width(r[j]) for r in shown)], default=8)
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(longest + 2, 8), 60)


def _table_sheet(ws: Worksheet, t: dict, loc: Locale) -> None:
    cols = t["columns"]
    rows, shown, totals = [], [], set()
    for i, r in enumerate(t["rows"]):
        fmts = [cell_format(c, r) for c in cols]
        rows.append([typed(r.get(c["key"]), f, loc.pp) for c, f in zip(cols, fmts,
                                                                       strict=True)])
        shown.append([formatted(r.get(c["key"]), f, loc) for c, f in zip(cols, fmts,
                                                                            strict=True)])
        if cols and r.get(cols[0]["key"]) in ("Total", loc.t("Total")):
            totals.add(i)
    _write_rows(ws, [c["label"] for c in cols], rows, shown, totals)


def _kpi_table(kpis: list[dict], loc: Locale) -> dict:
    return {"title": loc.t("Key figures"), "unit": loc.t("as stated for each figure"),
            "period": "", "note": None, "empty": "",
            "columns": [{"key": "label", "label": loc.t("Key figure"), "fmt": "text"},
                        {"key": "value", "label": loc.t("Value"), "fmt": "auto"},
                        {"key": "unit", "label": loc.t("Unit"), "fmt": "text"}],
            "rows": [{"label": k["label"], "value": k["value"], "fmt": k["fmt"],
                      "unit": k.get("unit") or ""} for k in kpis]}


def packet_workbook(context: dict, locale: Locale | str = "en") -> bytes:
    """The .xlsx bytes of a packet context (already localized: reports.i18n.localized)."""
    loc = locale if isinstance(locale, Locale) else Locale(locale)
    kpis = _kpi_table(context["kpis"], loc)
    kpis["period"] = context["period"]
    tables = [("alerts", context["alerts_all"]), *context.get("actions_all", {}).items(),
              ("changes", context["changes"]), ("key_figures", kpis),
              *context["tables"].items()]
    wb = Workbook()
    contents = wb.active
    contents.title = loc.t("Contents")
    taken = {contents.title.lower()}
    index = []
    for key, t in tables:
        name = sheet_name(t["title"], key, taken)
        _table_sheet(wb.create_sheet(name), t, loc)
        index.append([name, t["title"], t["unit"], t["period"], len(t["rows"]),
                      t.get("note") or ("" if t["rows"] else t["empty"])])
    header = [loc.t(h) for h in ("Sheet", "Title", "Unit", "Period", "Rows", "Note")]
    _write_rows(contents, header, [[(v, "#,##0" if isinstance(v, int) else None) for v in row]
                                   for row in index],
                [[str(v) for v in row] for row in index])
    for i, row in enumerate(index, start=2):
        contents.cell(row=i, column=1).hyperlink = f"#'{row[0]}'!A1"
    contents.column_dimensions["F"].width = 60
    wb.properties.title = f"S&OP {context['period']} {context['title']}"
    wb.properties.creator = "S&OP pipeline"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
