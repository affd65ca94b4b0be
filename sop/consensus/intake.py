"""A department's adjustments taken in: read from a returned forecast-review workbook (or
handed over as records, e.g. from a SQL dataset) and checked row by row.

Either every adjustment comes back (model.ADJUSTMENT_COLUMNS), or one ReviewError lists
every problem, each naming where it is (the workbook's sheet and cell, or the dataset's row
and column), the value, and why; nothing is taken then. Rows with neither a number nor a
change are ignored.

The workbook's layout is declared here once; reports.review_workbook writes it. A very
hidden sheet (META_SHEET) carries what the import checks: the MARKER, the period, the
department, the name of the review sheet, and the reason labels the workbook offers (in
each language) beside their codes.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sop.consensus.model import ADJUSTMENT_COLUMNS, GROUP_KEYS, REASONS, ReviewError, level_of
from sop.consensus.scope import ReviewScope

MARKER = "S&OP pipeline forecast review, layout 1"
META_SHEET = "sop_review"  # very hidden; column A the keys below, column B their values
META_KEYS = ("kind", "period", "department", "sheet")
SPELLING_COLUMNS = ("D", "E")  # on META_SHEET from row 1: a reason label, its code
HEADER_ROW = 5  # on the review sheet: titles and instructions above, data below
FIRST_ROW = HEADER_ROW + 1
FIELDS = ("category", "region", "customer", "product", "month", "statistical",
          "statistical_revenue", "last_year", "budget", "budget_revenue", "qty", "change_pct",
          "reason", "comment")
KEY_FIELDS = ("category", "region", "customer", "product", "month")
INPUT_FIELDS = ("qty", "change_pct", "reason", "comment")
COLUMN = {f: get_column_letter(i + 1) for i, f in enumerate(FIELDS)}  # qty K, change_pct L

NOT_A_REVIEW = ("the file is not a forecast-review workbook of this S&OP pipeline: send back "
                "the workbook attached to the packet, filled in")
LEVELS_IN_WORDS = ("the total, a category, a region, a category in a region, a customer, "
                   "a product, or a product in a region")
_KEY_COLUMN = {"category": "category", "region": "region", "customer": "customer_id",
               "product": "sku"}
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月|[-/.]\s*\d{1,2}\s*日?)?$")


def workbook_adjustments(data: bytes, scope: ReviewScope, department: str) -> pd.DataFrame:
    """The adjustments of a returned forecast-review workbook (ADJUSTMENT_COLUMNS; source_ref
    'Forecast review!K12', the sheet and cell of the number or change), or a ReviewError
    listing every problem: not a review workbook of this pipeline, another period or
    department, and each row's (see checked_adjustments)."""
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:  # a zip, xml or type error: whatever it is, it cannot be read
        raise ReviewError("the file cannot be read as an Excel workbook (.xlsx): "
                          f"{type(e).__name__}") from None
    meta = _meta(wb)
    if meta.get("kind") != MARKER or meta.get("sheet") not in wb.sheetnames:
        raise ReviewError(NOT_A_REVIEW)
    wrong = []
    if meta.get("period") != scope.period:
        wrong.append(f"this workbook is the review of period {meta.get('period')}, not "
                     f"{scope.period}: send back the one attached to the {scope.period} packet")
    if meta.get("department") != department:
        wrong.append(f"this workbook is the {meta.get('department')} department's review, not "
                     f"the {department} department's: send back the one attached to the "
                     f"{department} packet")
    if wrong:
        raise ReviewError(wrong)
    ws = wb[meta["sheet"]]
    records = [_record(ws, row) for row in range(FIRST_ROW, ws.max_row + 1)]

    def where(i: int, field: str) -> str:
        return f"sheet '{ws.title}', cell {COLUMN[field]}{FIRST_ROW + i}"

    return checked_adjustments(records, scope, where, reasons=_spellings(wb[META_SHEET]))


def checked_adjustments(records: list[dict], scope: ReviewScope,
                        where: Callable[[int, str], str],
                        reasons: Mapping[str, str] | None = None) -> pd.DataFrame:
    """ADJUSTMENT_COLUMNS of `records` (raw keys category, region, customer, product, month,
    qty, change_pct, reason, comment; optionally source_ref, else where(i, 'qty' or
    'change_pct')), names mapped to codes; or one ReviewError listing every problem, each
    starting with where(i, field). `reasons` adds spellings (label -> code) to the codes and
    English labels of model.REASONS. Records with neither qty nor change_pct are ignored."""
    spell = _reason_spellings(reasons)
    names = {f: _lookup(pool) for f, pool in (
        ("category", {c: c for c in scope.categories}), ("region", {r: r for r in scope.regions}),
        ("customer", scope.customers), ("product", scope.products))}
    problems: list[str] = []
    out: list[dict] = []
    seen: dict[tuple, int] = {}
    for i, r in enumerate(records):
        if _blank(r.get("qty")) and _blank(r.get("change_pct")):
            continue
        row = _checked_row(i, r, scope, names, spell, where, problems)
        if row is None:
            continue
        key = (row["ds"], *(row[k] for k in GROUP_KEYS))
        if key in seen:
            shown = ", ".join(v for v in (*_names_of(records[i]), _ym(row["ds"])) if v)
            problems.append(f"{where(seen[key], 'month')} and {where(i, 'month')}: the same "
                            f"group and month twice ({shown}); keep one")
        else:
            seen[key] = i
        out.append(row)
    if problems:
        raise ReviewError(problems)
    frame = pd.DataFrame({c: pd.Series([r[c] for r in out], dtype=object)
                          for c in ADJUSTMENT_COLUMNS})  # object columns keep None as None
    return frame.assign(ds=pd.to_datetime(frame["ds"]))


def _checked_row(i: int, r: dict, scope: ReviewScope, names: dict, spell: dict[str, str],
                 where: Callable[[int, str], str], problems: list[str]) -> dict | None:
    """The adjustment of record i with its keys resolved, or None where a key or the month
    is wrong (so no duplicate is claimed for it); every problem appended."""
    before = len(problems)
    keys = {}
    for field, column in _KEY_COLUMN.items():
        text = _text(r.get(field))
        keys[column] = None if text is None else names[field](text)
        if text is not None and keys[column] is None:
            problems.append(f"{where(i, field)}: {text!r} is not a {field} of this review")
    given = [f for f in _KEY_COLUMN if _text(r.get(f)) is not None]
    if level_of({_KEY_COLUMN[f]: "x" for f in given}) is None:
        problems.append(f"{where(i, given[0])}: a {' and a '.join(given)} together name no "
                        f"level of the forecast; adjust {LEVELS_IN_WORDS} (a blank key means "
                        "all)")
    ds = _month(r.get("month"), scope, where(i, "month"), problems)
    keys_ok = len(problems) == before
    qty = _number(r.get("qty"), where(i, "qty"), problems)
    change = _number(r.get("change_pct"), where(i, "change_pct"), problems, percent=True)
    if qty is not None and qty < 0:
        problems.append(f"{where(i, 'qty')}: {qty:,.10g} is negative; the number is the units for "
                        "the whole group in the month")
    if change is not None and change < -100:
        problems.append(f"{where(i, 'change_pct')}: {change:,.10g} % is below -100 %")
    if not _blank(r.get("qty")) and not _blank(r.get("change_pct")):
        problems.append(f"{where(i, 'change_pct')}: both a number ({where(i, 'qty')}) and a "
                        "change are filled; fill one of them")
    reason, label = None, _text(r.get("reason"))
    if label is None:
        problems.append(f"{where(i, 'reason')}: a number or a change needs a reason; pick one "
                        "from the list")
    else:
        reason = spell.get(_norm(label))
        if reason is None:
            problems.append(f"{where(i, 'reason')}: {label!r} is not one of the reasons; pick "
                            "one from the list")
    comment = _text(r.get("comment"))
    if reason == "other" and comment is None:
        problems.append(f"{where(i, 'comment')}: the reason is 'other': say why in the comment")
    if not keys_ok:
        return None
    ref = r.get("source_ref") or where(i, "change_pct" if _blank(r.get("qty")) else "qty")
    return {"source_ref": ref, "ds": ds, **keys, "qty": qty, "change_pct": change,
            "reason": reason, "comment": comment}


def _record(ws, row: int) -> dict:
    """The raw values of one row of the review sheet; a percent-formatted change counts as
    the percent it shows (Excel stores 10 % as 0.1), a percent in the units cell as text."""
    cell = {f: ws[f"{COLUMN[f]}{row}"] for f in (*KEY_FIELDS, *INPUT_FIELDS)}
    out = {f: c.value for f, c in cell.items()}
    for f in ("qty", "change_pct"):
        v = out[f]
        if _real(v) and "%" in (cell[f].number_format or ""):
            out[f] = round(float(v) * 100, 9) if f == "change_pct" else f"{float(v) * 100:g}%"
    filled = "change_pct" if _blank(out["qty"]) else "qty"
    out["source_ref"] = f"{ws.title}!{COLUMN[filled]}{row}"
    return out


def _meta(wb) -> dict[str, str]:
    if META_SHEET not in wb.sheetnames:
        return {}
    ws = wb[META_SHEET]
    return {str(ws[f"A{r}"].value): str(ws[f"B{r}"].value) for r in range(1, len(META_KEYS) + 1)
            if ws[f"A{r}"].value is not None}


def _spellings(ws) -> dict[str, str]:
    a, b = SPELLING_COLUMNS
    out, r = {}, 1
    while ws[f"{a}{r}"].value is not None:
        out[str(ws[f"{a}{r}"].value)] = str(ws[f"{b}{r}"].value)
        r += 1
    return out


def _reason_spellings(extra: Mapping[str, str] | None) -> dict[str, str]:
    pairs = [*((c, c) for c in REASONS), *((label, c) for c, label in REASONS.items()),
             *(extra or {}).items()]
    return {_norm(s): c for s, c in pairs if c in REASONS}


def _lookup(pool: Mapping[str, str]) -> Callable[[str], str | None]:
    """Exact spelling first, then the same letters in any case and spacing."""
    loose = {}
    for spelling, code in pool.items():
        loose.setdefault(_norm(spelling), code)
    return lambda text: pool.get(text, loose.get(_norm(text)))


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _month(value: object, scope: ReviewScope, place: str, problems: list[str]
           ) -> pd.Timestamp | None:
    if _blank(value):
        problems.append(f"{place}: the month is missing")
        return None
    ds = None
    if isinstance(value, date):
        ds = pd.Timestamp(value.year, value.month, 1)
    elif isinstance(value, str) and (m := _MONTH.match(value.strip())) and \
            1 <= int(m.group(2)) <= 12:
        ds = pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
    if ds is None:
        problems.append(f"{place}: {value!r} is not a month (YYYY-MM)")
    elif ds not in scope.months:
        span = f"{_ym(scope.months[0])} to {_ym(scope.months[-1])}" if scope.months else "none"
        problems.append(f"{place}: {_ym(ds)} is not a month of this review ({span})")
        ds = None
    return ds


def _number(value: object, place: str, problems: list[str], percent: bool = False
            ) -> float | None:
    if _blank(value):
        return None
    n = float(value) if _real(value) else None
    if isinstance(value, str):
        s = value.strip().replace(",", "").replace(" ", "")
        s = s[:-1] if percent and s.endswith("%") else s
        try:
            n = float(s)
        except ValueError:
            n = None
    if n is None or not math.isfinite(n):
        problems.append(f"{place}: {value!r} is not a number")
        return None
    return n


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool)


def _blank(value: object) -> bool:
    return _text(value) is None


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _names_of(record: dict) -> list[str]:
    return [t for f in _KEY_COLUMN if (t := _text(record.get(f)))] or ["total"]


def _ym(ds: pd.Timestamp) -> str:
    return f"{ds.year:04d}-{ds.month:02d}"
