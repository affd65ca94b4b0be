"""The whole packet of a department: the rendered e-mail (reports.render) with the PDF of
the same packet and the Excel workbook of its tables attached, and a short markdown summary
of it (for the Prefect artifact)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from reports.formats import formatted
from reports.i18n import Locale, localized
from reports.pdf import packet_pdf
from reports.render import Attachment, RenderedPacket, render_packet
from reports.workbook import packet_workbook
from sop.packets.archive import archive_packet
from sop.packets.briefing import packet_context
from sop.plan import Plan

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment_name(period: str, department: str, ext: str) -> str:
    return f"sop-{period}-{department.replace('_', '-')}.{ext}"


def build_packet(department: str, context: dict, company: str = "Demo Manufacturing",
                 locale: str = "en") -> RenderedPacket:
    """The packet of `department` from its `packet_context`: e-mail HTML and text, charts,
    the archived page, and the PDF and .xlsx attachments, in `locale` (en | zh)."""
    packet = render_packet(department, context, company=company, locale=locale, attached=True)
    loc = Locale(locale)
    period = context["period"]
    pdf = packet_pdf(packet.page_html, packet.images)
    xlsx = packet_workbook(localized(context, loc), loc)
    return replace(packet, attachments=(
        Attachment(attachment_name(period, department, "pdf"), PDF, pdf),
        Attachment(attachment_name(period, department, "xlsx"), XLSX, xlsx)))


def render_department_packet(department: str, plan: Plan, data: Mapping[str, pd.DataFrame],
                             items: pd.DataFrame | None, output_dir: str | Path,
                             company: str = "Demo Manufacturing", locale: str = "en"
                             ) -> tuple[dict, RenderedPacket, dict[str, Path]]:
    """One department's packet for the plan's period, end to end: its context (what the
    department sees, sop.packets.briefing, with the gate's notes once), the rendered packet
    and its archived files. Returns (context, packet, paths by kind)."""
    context = packet_context(department, plan.period, data, plan, plan.quality_notes,
                             items=items)
    packet = build_packet(department, context, company=company, locale=locale)
    return context, packet, archive_packet(packet, output_dir, plan.period, department)


def _size(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def packet_markdown(context: dict, packet: RenderedPacket,
                    files: Mapping[str, str | Path] | None = None) -> str:
    """A short markdown summary: subject, what changed most, alert count, key figures and
    where the archived files are."""
    loc = Locale(packet.locale)
    ctx = localized(context, loc)
    lines = [f"# {packet.subject}", ""]
    changes = ctx["changes"]
    lines += [f"**{changes['title']}** ({changes['period']})", ""]
    for r in changes["rows"]:
        value = formatted(r["value"], r["fmt"], loc)
        before = formatted(r["previous"], r["fmt"], loc)
        lines.append(f"- {r['label']}: {value} ({formatted(r['change'], 'pct', loc)}; "
                     f"{before}) {r['unit']}".rstrip())
    if not changes["rows"]:
        lines.append(f"- {changes['empty']}")
    n_alerts = len(ctx["alerts_all"]["rows"])
    lines += ["", f"**{ctx['alerts']['title']}**: {n_alerts}", ""]
    for r in ctx["alerts"]["rows"][:3]:  # the decisions at the top, by money at stake
        lines.append(f"- {r['name']}: {formatted(r['value'], 'money', loc)}; {r['action']}")
    lines += ["",
              f"| {loc.t('Key figure')} | {loc.t('Value')} |", "|---|---:|"]
    for k in ctx["kpis"]:
        value = formatted(k["value"], k["fmt"], loc)
        unit = f" {k['unit']}" if k.get("unit") and k["value"] is not None else ""
        lines.append(f"| {k['label']} | {value}{unit} |")
    if files:
        lines += ["", "**Files**", ""]
        lines += [f"- {kind}: `{path}`" for kind, path in files.items()]
    sizes = ", ".join(f"{a.filename} {_size(len(a.data))}" for a in packet.attachments)
    if sizes:
        lines += ["", f"Attachments: {sizes}; {len(packet.images)} inline chart(s)."]
    return "\n".join(lines) + "\n"
