"""Render a department's briefing packet: the HTML e-mail, its plain-text twin, the archived
page and the chart images.

The context comes from `sop.packets.briefing.packet_context`; templates live next to this module
(reports/templates: base.html/base.txt, _macros.html, one .html and one .txt per
department), the CSS in reports/static. HTML is autoescaped. The e-mail HTML has its CSS
inlined by css_inline (media queries stay in a <style> for phones) and shows the charts by
Content-ID (`cid:`); the archived page (`page_html`) keeps the stylesheet and shows them from
the PNG files beside it. PDF and workbook attachments are added by reports.packet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.charts import chart_png, chart_size
from reports.formats import (
    caption,
    cell_format,
    formatted,
    is_negative,
    text_kpis,
    text_table,
    text_wrap,
    width,
)
from reports.i18n import Locale, localized
from sop.packets.briefing import DEPARTMENT_TITLES

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
CONTENT_WIDTH = 592  # the 640 px sheet less its 24 px side padding

__all__ = ["Attachment", "InlineImage", "RenderedPacket", "formatted", "render_packet",
           "subject_line", "text_table"]


@dataclass(frozen=True)
class InlineImage:
    """A chart: shown by `cid` in the e-mail and by `filename` in the archived page."""

    cid: str
    filename: str
    data: bytes
    title: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes


@dataclass(frozen=True)
class RenderedPacket:
    subject: str
    html: str  # the e-mail HTML (CSS inlined, images by cid)
    text: str
    images: tuple[InlineImage, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    page_html: str = ""  # the archived page (stylesheet, images by file name)
    locale: str = "en"


def subject_line(period: str, department: str, locale: str = "en", revision: int = 0) -> str:
    """`[S&OP YYYY-MM] <Department> briefing`, with the Chinese department name in zh; an
    approved revision says so."""
    loc = Locale(locale)
    text = f"[S&OP {period}] {loc.department(department)} briefing"
    if revision:
        text += f", {loc.t('approved plan, revision {n}').replace('{n}', str(revision))}"
    return text


@lru_cache(maxsize=2)
def stylesheet(name: str = "packet") -> str:
    """reports/static/<name>.css: "packet" (every medium, inlined in the e-mail), "cells" (the
    data cells, every medium, kept in a <style> of the e-mail), "screen" (not in the PDF) or
    "print" (the PDF's additions)."""
    return (STATIC / f"{name}.css").read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _environment(code: str) -> Environment:
    loc = Locale(code)
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True,
                                     default=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(
        fmt=lambda v, f="text": formatted(v, f, loc), negative=is_negative,
        caption=lambda t: caption(t, loc), text_table=lambda t: text_table(t, loc),
        text_kpis=lambda k: text_kpis(k, loc),
        text_wrap=lambda s, indent="": text_wrap(s, indent, loc), width=width)
    env.globals.update(_=loc.t, cell_format=cell_format, lang=loc.html_lang)
    return env


def _images(department: str, context: dict, loc: Locale) -> tuple[InlineImage, ...]:
    return tuple(
        InlineImage(cid=f"chart-{c['key']}.{context['period']}.{department}@sop.local",
                    filename=f"chart-{c['key'].replace('_', '-')}.png",
                    data=chart_png(c, loc), title=c["title"])
        for c in context["charts"])


def render_packet(department: str, context: dict, company: str = "Demo Manufacturing",
                  locale: str = "en", charts: bool = True, attached: bool = False
                  ) -> RenderedPacket:
    """The packet of `department` (subject, e-mail HTML, plain text, chart images, archived
    page) from its `packet_context`, in `locale` (en | zh). `charts=False` leaves the
    charts out (faster, for tests of the rest); `attached` says that the PDF and the workbook
    go with it (reports.packet.build_packet)."""
    if department not in DEPARTMENT_TITLES:
        raise ValueError(f"unknown department {department!r}; known: "
                         f"{', '.join(DEPARTMENT_TITLES)}")
    if context.get("department") != department:
        raise ValueError(f"context is for {context.get('department')!r}, not {department!r}")
    loc = Locale(locale)
    ctx = localized(context, loc)
    if not charts:
        ctx["charts"] = []
    images = _images(department, ctx, loc)
    by_key = {c["key"]: (c, img) for c, img in zip(ctx["charts"], images, strict=True)}
    subject = subject_line(ctx["period"], department, locale, ctx.get("revision") or 0)
    env = _environment(loc.code)
    heading = f"{ctx['title']}简报" if loc.zh else f"{ctx['title']} briefing"
    values = {**ctx, "subject": subject, "company": company, "charts": by_key, "heading": heading,
              "chart_size": (CONTENT_WIDTH, round(CONTENT_WIDTH * chart_size()[1]
                                                  / chart_size()[0])),
              "attached": attached}
    template = env.get_template(f"{department}.html")
    values.update(css=stylesheet("packet"), cells_css=stylesheet("cells"),
                  screen_css=stylesheet("screen"))
    page = template.render(values, src=lambda img: img.filename, mail=False)
    mail = template.render(values, src=lambda img: f"cid:{img.cid}", mail=True)
    mail = css_inline.inline(mail, keep_at_rules=True, load_remote_stylesheets=False)
    text = env.get_template(f"{department}.txt").render(values)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return RenderedPacket(subject=subject, html=mail, text=text.strip() + "\n", images=images,
                          page_html=page, locale=loc.code)
