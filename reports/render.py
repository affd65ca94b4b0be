"""Render a department's briefing packet as an HTML e-mail and its plain-text twin.

The context comes from `sop.briefing.packet_context`; templates live next to this module
(reports/templates: base.html/base.txt, _macros.html, one .html and one .txt per department).
HTML is autoescaped; plain text is laid out as readable lines and simple text tables.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sop.briefing import DEPARTMENT_TITLES

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEXT_WIDTH = 78
MAX_TABLE_WIDTH = 100  # wider tables are written as one wrapped line per row

_DECIMALS = {"qty": 0, "money": 0, "count": 0, "price": 2, "ratio": 2, "pct": 1, "share": 1,
             "pp": 1, "days": 1, "weeks": 1}


@dataclass(frozen=True)
class RenderedPacket:
    subject: str
    html: str
    text: str


def subject_line(period: str, department: str) -> str:
    return f"[S&OP {period}] {DEPARTMENT_TITLES[department]} briefing"


def formatted(value: Any, fmt: str = "text") -> str:
    """A value as shown in a packet: thousands separators, signed changes, "n/a" if missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if value == "":
        return ""  # a deliberately blank cell (e.g. the label columns of a Total row)
    decimals = _DECIMALS.get(fmt)
    if decimals is None or isinstance(value, str):
        text = str(value).strip()
        return text if text and text.lower() not in {"nan", "nat", "none"} else "n/a"
    try:
        n = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(n):
        return "n/a"
    if fmt == "pct":
        return f"{n:+,.{decimals}f}%"
    if fmt == "share":
        return f"{n:,.{decimals}f}%"
    if fmt == "pp":
        return f"{n:+,.{decimals}f} pp"
    return f"{n:,.{decimals}f}"


def is_negative(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value < 0


def _cell(value: Any, fmt: str) -> str:
    return " ".join(formatted(value, fmt).split())


def _caption(t: dict) -> str:
    return f"Unit: {t['unit']}. Period: {t['period']}."


def text_table(t: dict) -> str:
    """A packet table as plain text: title, unit and period, then aligned columns (or, when
    too wide, one wrapped line per row), then the note."""
    lines = [t["title"], "-" * len(t["title"])]
    lines += textwrap.wrap(_caption(t), TEXT_WIDTH)
    cols = t["columns"]
    if not t["rows"]:
        lines.append(t["empty"])
    else:
        header = [c["label"] for c in cols]
        body = [[_cell(r.get(c["key"]), c["fmt"]) for c in cols] for r in t["rows"]]
        widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]
        if sum(widths) + 2 * (len(widths) - 1) <= MAX_TABLE_WIDTH:
            def line(cells: list[str]) -> str:
                return "  ".join(c.ljust(w) if cols[i]["fmt"] in ("text", "date") else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
            lines.append(line(header).rstrip())
            lines.append("  ".join("-" * w for w in widths))
            lines += [line(row).rstrip() for row in body]
        else:
            for row in body:
                rest = row[1] if len(row) == 2 else "; ".join(
                    f"{h}: {v}" for h, v in zip(header[1:], row[1:], strict=True))
                lines += textwrap.wrap(f"* {row[0]}: {rest}", TEXT_WIDTH,
                                       subsequent_indent="    ", break_on_hyphens=False)
    if t.get("note"):
        lines += textwrap.wrap(f"Note: {t['note']}", TEXT_WIDTH, break_on_hyphens=False)
    return "\n".join(lines)


def text_kpis(kpis: list[dict]) -> str:
    if not kpis:
        return ""
    width = max(len(k["label"]) for k in kpis)
    out = []
    for k in kpis:
        value = formatted(k["value"], k["fmt"])
        unit = f" {k['unit']}" if k.get("unit") and value != "n/a" else ""
        out.append(f"  {k['label'].ljust(width)}  {value}{unit}")
    return "\n".join(out)


def text_wrap(text: str, indent: str = "") -> str:
    return "\n".join(textwrap.wrap(str(text), TEXT_WIDTH, initial_indent=indent,
                                   subsequent_indent=" " * len(indent), break_on_hyphens=False))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True,
                                     default=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(fmt=formatted, negative=is_negative, caption=_caption,
                       text_table=text_table, text_kpis=text_kpis, text_wrap=text_wrap)
    return env


def render_packet(department: str, context: dict, company: str = "Demo Manufacturing"
                  ) -> RenderedPacket:
    """The packet of `department` (subject, HTML, plain text) from its `packet_context`."""
    if department not in DEPARTMENT_TITLES:
        raise ValueError(f"unknown department {department!r}; known: "
                         f"{', '.join(DEPARTMENT_TITLES)}")
    if context.get("department") != department:
        raise ValueError(f"context is for {context.get('department')!r}, not {department!r}")
    subject = subject_line(context["period"], department)
    env = _environment()
    values = {**context, "subject": subject, "company": company}
    html = env.get_template(f"{department}.html").render(values)
    text = env.get_template(f"{department}.txt").render(values)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return RenderedPacket(subject=subject, html=html, text=text.strip() + "\n")
