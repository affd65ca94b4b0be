"""How figures and tables read in a packet: number formats, captions and the plain-text
layout of tables, in the packet's locale (reports.i18n.Locale)."""

from __future__ import annotations

import math
import textwrap
import unicodedata
from typing import Any

from reports.i18n import Locale

TEXT_WIDTH = 78
MAX_TABLE_WIDTH = 100  # wider tables are written as one wrapped line per row
EN = Locale("en")
DECIMALS = {"qty": 0, "money": 0, "count": 0, "price": 2, "ratio": 2, "pct": 1, "share": 1,
            "pp": 1, "days": 1, "weeks": 1}
TEXT_FORMATS = frozenset({"text", "date"})


def formatted(value: Any, fmt: str = "text", locale: Locale = EN) -> str:
    """A value as shown in a packet: thousands separators, signed changes, "n/a" if missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return locale.na
    if value == "":
        return ""  # a deliberately blank cell (e.g. the label columns of a Total row)
    decimals = DECIMALS.get(fmt)
    if decimals is None or isinstance(value, str):
        text = str(value).strip()
        if not text or text.lower() in {"nan", "nat", "none"}:
            return locale.na
        return locale.date(text) if fmt == "date" else text
    try:
        n = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(n):
        return locale.na
    if fmt == "pct":
        return f"{n:+,.{decimals}f}%"
    if fmt == "share":
        return f"{n:,.{decimals}f}%"
    if fmt == "pp":
        return f"{n:+,.{decimals}f}{locale.pp}"
    return f"{n:,.{decimals}f}"


def cell_format(column: dict, row: dict) -> str:
    """A column's format; "auto" takes the row's own `fmt` (a table of mixed figures)."""
    fmt = column["fmt"]
    return str(row.get("fmt") or "text") if fmt == "auto" else fmt


def is_negative(value: Any) -> bool:
    """True for a change that reads negative once shown with one decimal (-0.04 reads +0.0)."""
    return isinstance(value, int | float) and math.isfinite(value) and round(value, 1) < 0


def width(text: str) -> int:
    """Columns `text` takes in a monospaced font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


def _rjust(text: str, n: int) -> str:
    return " " * max(0, n - width(text)) + text


def caption(t: dict, locale: Locale = EN) -> str:
    if locale.zh:
        return f"单位：{t['unit']}。期间：{t['period']}。"
    return f"Unit: {t['unit']}. Period: {t['period']}."


def _tokens(text: str) -> list[str]:
    """Words, single CJK characters and single spaces: the places a line may break."""
    out: list[str] = []
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in "WF"
        if ch.isspace() or wide or not out or out[-1].isspace() or width(out[-1][-1]) == 2:
            out.append(" " if ch.isspace() else ch)
        else:
            out[-1] += ch
    return out


def _wrap(text: str, locale: Locale, **kwargs: Any) -> list[str]:
    if not locale.zh:
        return textwrap.wrap(text, TEXT_WIDTH, break_on_hyphens=False, **kwargs)
    # Chinese has no spaces: break between CJK characters, or at spaces between words
    lines, line = [], kwargs.get("initial_indent", "")
    indent = kwargs.get("subsequent_indent", "")
    for tok in _tokens(text):
        if width(line + tok) > TEXT_WIDTH and line.strip():
            lines.append(line.rstrip())
            line = indent
            if tok == " ":
                continue
        line += tok
    return [*lines, line.rstrip()] if line.strip() else lines


def text_table(t: dict, locale: Locale = EN) -> str:
    """A packet table as plain text: title, unit and period, then aligned columns (or, when
    too wide, one wrapped line per row), then the note."""
    lines = [t["title"], "-" * width(t["title"])]
    lines += _wrap(caption(t, locale), locale)
    cols = t["columns"]
    if not t["rows"]:
        lines.append(t["empty"])
    else:
        header = [c["label"] for c in cols]
        body = [[" ".join(formatted(r.get(c["key"]), cell_format(c, r), locale).split())
                 for c in cols] for r in t["rows"]]
        widths = [max(width(h), *(width(row[i]) for row in body)) for i, h in enumerate(header)]
        if sum(widths) + 2 * (len(widths) - 1) <= MAX_TABLE_WIDTH:
            def line(cells: list[str]) -> str:
                return "  ".join(_ljust(c, w) if cols[i]["fmt"] in TEXT_FORMATS else _rjust(c, w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
            lines.append(line(header).rstrip())
            lines.append("  ".join("-" * w for w in widths))
            lines += [line(row).rstrip() for row in body]
        else:
            sep = "；" if locale.zh else "; "
            colon = "：" if locale.zh else ": "
            for row in body:
                rest = row[1] if len(row) == 2 else sep.join(
                    f"{h}{colon}{v}" for h, v in zip(header[1:], row[1:], strict=True))
                lines += _wrap(f"* {row[0]}{colon}{rest}", locale, subsequent_indent="    ")
    if t.get("note"):
        lines += _wrap(("注：" if locale.zh else "Note: ") + t["note"], locale)
    return "\n".join(lines)


def text_kpis(kpis: list[dict], locale: Locale = EN) -> str:
    if not kpis:
        return ""
    w = max(width(k["label"]) for k in kpis)
    out = []
    for k in kpis:
        value = formatted(k["value"], k["fmt"], locale)
        unit = f" {k['unit']}" if k.get("unit") and value != locale.na else ""
        out.append(f"  {_ljust(k['label'], w)}  {value}{unit}")
    return "\n".join(out)


def text_wrap(text: str, indent: str = "", locale: Locale = EN) -> str:
    return "\n".join(_wrap(str(text), locale, initial_indent=indent,
                           subsequent_indent=" " * len(indent)))
