"""The forecast-review workbook attached to the sales and marketing packets (issue 18).

A head reads the statistical forecast by category x region and for each key account, month
by month, beside last year and the budget, and returns it with their numbers: "Your number"
(units for the whole group in the month) or "Change (%)", a reason from the list and a
comment. Empty rows at the bottom take any other level (a blank key means all). Only the
yellow cells can be changed: the sheets are protected without a password, the workbook's
structure too. The layout (columns, header row, the hidden sheet the import checks) is
sop.consensus.intake's, which reads the workbook back.
"""

from __future__ import annotations

import io
import math

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from reports.formats import width
from reports.i18n import DEPARTMENT_NAMES, LOCALES, Locale
from reports.workbook import BOLD, HEADER_FILL, NUMBER_FORMATS, as_text, typed
from sop.consensus.intake import (
    COLUMN,
    FIELDS,
    FIRST_ROW,
    HEADER_ROW,
    INPUT_FIELDS,
    KEY_FIELDS,
    MARKER,
    META_SHEET,
    SPELLING_COLUMNS,
)
from sop.consensus.model import DEPARTMENTS_THAT_SUBMIT, REASONS
from sop.consensus.scope import ReviewScope

EMPTY_ROWS = 40
HEADERS = {"category": "Category", "region": "Region", "customer": "Customer",
           "product": "Product", "month": "Month", "statistical": "Statistical forecast (units)",
           "statistical_revenue": "Statistical revenue", "last_year": "Last year (units)",
           "budget": "Budget (units)", "budget_revenue": "Budget revenue",
           "qty": "Your number (units)", "change_pct": "Change (%)", "reason": "Reason",
           "comment": "Comment"}
FORMATS = {"statistical": "qty", "statistical_revenue": "money", "last_year": "qty",
           "budget": "qty", "budget_revenue": "money"}
INPUT_FORMATS = {"qty": NUMBER_FORMATS["qty"], "change_pct": "+0.0;-0.0;0.0", "month": "@"}
REASON_MEANINGS = {
    "promotion": "A promotion, campaign or event moves demand in the month.",
    "customer_order": "A customer has ordered, committed or announced a quantity.",
    "new_customer": "A new customer, outlet or listing adds demand.",
    "lost_customer": "A customer stops buying, or a product is delisted.",
    "price_change": "A price change, ours or a competitor's, moves demand.",
    "market_trend": "The market or the season moves unlike the history.",
    "product_change": "A product is launched, replaced or phased out.",
    "supply_constraint": "No more than this number can be supplied.",
    "other": "Anything else; the comment says why.",
}
INSTRUCTIONS = (
    "Fill “Your number” (units for the whole group in the month) or “Change (%)” against the "
    "statistical forecast, pick a reason and add a comment (needed for “Other”); rows left "
    "blank change nothing.",
    "To adjust another level (the total, a category, a region, a customer, a product, or a "
    "product in a region), fill an empty row at the bottom and leave a key blank for “all”; "
    "only the yellow cells can be changed.")
TITLE = "Forecast review for {department}, {month}"
INPUT_FILL = PatternFill("solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
INPUT_HEADER_FILL = PatternFill("solid", start_color="FFFFE699", end_color="FFFFE699")
UNLOCKED = Protection(locked=False)
LISTS = ("month", "category", "region", "customer", "product")  # META_SHEET columns G to K


def review_workbook(rows: pd.DataFrame, scope: ReviewScope, department: str,
                    locale: str = "en", company: str = "Demo Manufacturing") -> bytes:
    """The .xlsx bytes of `department`'s forecast review of `scope.period`: `rows`
    (sop.consensus.scope.REVIEW_ROW_COLUMNS) prefilled, EMPTY_ROWS empty rows below."""
    if department not in DEPARTMENTS_THAT_SUBMIT:
        raise ValueError(f"only {', '.join(DEPARTMENTS_THAT_SUBMIT)} review the forecast, "
                         f"not {department!r}")
    loc = Locale(locale)
    wb = Workbook()
    ws = wb.active
    ws.title = loc.t("Forecast review")
    reasons = wb.create_sheet(loc.t("Reasons"))
    meta = wb.create_sheet(META_SHEET)
    lists = _meta_sheet(meta, scope, department, ws.title)
    title = loc.t(TITLE).format(department=DEPARTMENT_NAMES[loc.code][department],
                                month=loc.month(scope.period))
    for r, (text, font) in enumerate([(company, Font(bold=True, size=14)),
                                      (title, Font(bold=True, size=12)),
                                      *((loc.t(t), None) for t in INSTRUCTIONS)], start=1):
        ws.cell(row=r, column=1, value=text)
        as_text(ws.cell(row=r, column=1))
        if font:
            ws.cell(row=r, column=1).font = font
    shown = _data_rows(ws, rows, scope, loc)
    last = FIRST_ROW + len(shown) + EMPTY_ROWS - 1
    for row in range(FIRST_ROW + len(shown), last + 1):
        for f in KEY_FIELDS:
            _input(ws[f"{COLUMN[f]}{row}"], f)
    for row in range(FIRST_ROW, last + 1):
        for f in INPUT_FIELDS:
            _input(ws[f"{COLUMN[f]}{row}"], f)
    n_reasons = _reasons_sheet(reasons, loc)
    _validations(ws, loc, lists, f"{quote_sheetname(reasons.title)}!$A$2:$A${n_reasons + 1}",
                 FIRST_ROW + len(shown), last)
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{COLUMN[FIELDS[-1]]}{last}"
    for j, f in enumerate(FIELDS):
        longest = max([width(loc.t(HEADERS[f])) * 0.7, *(width(s[j]) for s in shown)])
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(longest + 2, 10), 40)
    ws.column_dimensions[COLUMN["comment"]].width = 40
    ws.row_dimensions[HEADER_ROW].height = 32
    for sheet in (ws, reasons, meta):
        _protect(sheet)
    meta.sheet_state = "veryHidden"
    wb.security = WorkbookProtection(lockStructure=True)  # no renaming, unhiding or deleting
    wb.properties.title, wb.properties.creator = title, "S&OP pipeline"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def reason_spellings() -> dict[str, str]:
    """Each reason's label in every language -> its code: what the hidden sheet gives the
    import besides the codes (pass it as `reasons` for another source's Chinese labels)."""
    return {Locale(code).t(label): c for code in LOCALES for c, label in REASONS.items()}


def _data_rows(ws: Worksheet, rows: pd.DataFrame, scope: ReviewScope, loc: Locale
               ) -> list[list[str]]:
    """Header and prefilled rows written; the text of each row as shown (for widths)."""
    for j, f in enumerate(FIELDS, start=1):
        c = ws.cell(row=HEADER_ROW, column=j, value=loc.t(HEADERS[f]))
        c.font, c.fill = BOLD, INPUT_HEADER_FILL if f in INPUT_FIELDS else HEADER_FILL
        c.alignment = Alignment(vertical="bottom", wrap_text=True)
        as_text(c)
    shown = []
    for i, r in enumerate(rows.to_dict("records")):
        row = FIRST_ROW + i
        customer = _value(r.get("customer"))
        if customer is None and _value(r.get("customer_id")) is not None:
            customer = scope.customer_name(str(r["customer_id"]))
        texts = {"category": _value(r.get("category")), "region": _value(r.get("region")),
                 "customer": customer, "month": pd.Timestamp(r["ds"]).strftime("%Y-%m")}
        for f, text in texts.items():
            c = ws[f"{COLUMN[f]}{row}"]
            c.value = None if text is None else str(text)
            as_text(c)
        ws[f"{COLUMN['month']}{row}"].number_format = "@"
        for f, fmt in FORMATS.items():
            value, number_format = typed(_value(r.get(f)), fmt)
            ws[f"{COLUMN[f]}{row}"].value = value
            if number_format:
                ws[f"{COLUMN[f]}{row}"].number_format = number_format
        shown.append([str(texts.get(f) or "") if f not in FORMATS else
                      f"{_value(r.get(f)) or 0:,.0f}" for f in FIELDS])
    return shown


def _reasons_sheet(ws: Worksheet, loc: Locale) -> int:
    ws.append([loc.t("Reason"), loc.t("Meaning")])
    for c in ws[1]:
        c.font, c.fill = BOLD, HEADER_FILL
    for code, label in REASONS.items():
        ws.append([loc.t(label), loc.t(REASON_MEANINGS[code])])
    for row in ws.iter_rows():
        for c in row:
            as_text(c)
    ws.column_dimensions["A"].width = max(width(loc.t(v)) for v in REASONS.values()) + 4
    ws.column_dimensions["B"].width = 70
    return len(REASONS)


def _meta_sheet(ws: Worksheet, scope: ReviewScope, department: str, sheet: str
                ) -> dict[str, str]:
    """What the import checks (sop.consensus.intake), the reason labels in every language
    beside their codes, and the lists the dropdowns offer; returns each list's range."""
    for r, (key, value) in enumerate([("kind", MARKER), ("period", scope.period),
                                      ("department", department), ("sheet", sheet)], start=1):
        ws[f"A{r}"], ws[f"B{r}"] = key, value
    for r, (label, c) in enumerate(reason_spellings().items(), start=1):
        ws[f"{SPELLING_COLUMNS[0]}{r}"], ws[f"{SPELLING_COLUMNS[1]}{r}"] = label, c
    codes = sorted(set(scope.customers.values()))
    named = {s: c for s, c in scope.products.items() if s != c}
    values = {"month": [d.strftime("%Y-%m") for d in scope.months],
              "category": list(scope.categories), "region": list(scope.regions),
              "customer": sorted({scope.customer_name(c) for c in codes}),
              "product": sorted({next((s for s, c in named.items() if c == sku), sku)
                                 for sku in set(scope.products.values())})}
    ranges = {}
    for j, key in enumerate(LISTS, start=7):
        col = get_column_letter(j)
        for r, v in enumerate(values[key], start=1):
            ws[f"{col}{r}"] = str(v)
            as_text(ws[f"{col}{r}"])
        if values[key]:
            ranges[key] = f"{quote_sheetname(META_SHEET)}!${col}$1:${col}${len(values[key])}"
    return ranges


def _validations(ws: Worksheet, loc: Locale, lists: dict[str, str], reasons: str,
                 empty_from: int, last: int) -> None:
    def add(fields: tuple[str, ...], first: int, message: str | None, strict: bool = True,
            **kw) -> None:
        dv = DataValidation(allow_blank=True, showErrorMessage=strict, **kw)
        if message:
            dv.error, dv.errorTitle = loc.t(message), loc.t(HEADERS[fields[0]])
        ws.add_data_validation(dv)
        for f in fields:
            dv.add(f"{COLUMN[f]}{first}:{COLUMN[f]}{last}")

    add(("reason",), FIRST_ROW, "Pick a reason from the list.", type="list", formula1=reasons)
    add(("qty",), FIRST_ROW, "Enter units, 0 or more.", type="decimal",
        operator="greaterThanOrEqual", formula1="0")
    add(("change_pct",), FIRST_ROW, "Enter a change in percent, -100 or more.",
        type="decimal", operator="greaterThanOrEqual", formula1="-100")
    if "month" in lists:
        add(("month",), empty_from, "Pick a month from the list.", type="list",
            formula1=lists["month"])
    for f in ("category", "region", "customer", "product"):
        if f in lists:  # names are checked on import; customers and products may be codes
            add((f,), empty_from, "Pick a name from the list.",
                strict=f in ("category", "region"), type="list", formula1=lists[f])


def _input(cell, field: str) -> None:
    cell.protection, cell.fill = UNLOCKED, INPUT_FILL
    if field in INPUT_FORMATS:
        cell.number_format = INPUT_FORMATS[field]


def _protect(ws: Worksheet) -> None:
    """Protected without a password: figures can't be changed by accident; filtering,
    resizing and formatting (Excel formats a typed 10% as a percent) stay allowed."""
    ws.protection.sheet = True
    ws.protection.autoFilter = ws.protection.formatCells = False
    ws.protection.formatColumns = ws.protection.formatRows = False


def _value(v: object) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    return v
