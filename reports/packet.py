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
from reports.review_workbook import review_workbook
from reports.workbook import packet_workbook
from sop.consensus.model import DEPARTMENTS_THAT_SUBMIT
from sop.consensus.scope import review_rows, review_scope
from sop.contracts import dataset
from sop.packets.archive import archive_packet
from sop.packets.briefing import packet_context
from sop.packets.delivery import label
from sop.plan import Plan
from sop.planning.store import review_cells_of

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


def review_attachment(department: str, plan: Plan, data: Mapping[str, pd.DataFrame],
                      months: int, key_accounts: tuple[str, ...] = (),
                      company: str = "Demo Manufacturing", locale: str = "en") -> Attachment:
    """The forecast-review workbook the sales and marketing heads fill and return
    (`sop consensus import`): the statistical forecast of the `months` after the period by
    category x region and for each key account, beside last year and the budget."""
    cells = review_cells_of(plan.customer_forecast, plan.period, months)
    scope = review_scope(cells, dataset(data, "customers"), dataset(data, "products"),
                         plan.period, months, key_accounts)
    rows = review_rows(cells, plan.sales_monthly, plan.budget, scope)
    return Attachment(attachment_name(plan.period, "forecast-review", "xlsx"), XLSX,
                      review_workbook(rows, scope, department, locale, company))


def render_department_packet(department: str, plan: Plan, data: Mapping[str, pd.DataFrame],
                             items: pd.DataFrame | None, output_dir: str | Path,
                             company: str = "Demo Manufacturing", locale: str = "en",
                             revision: int = 0, review_months: int = 6,
                             key_accounts: tuple[str, ...] = ()
                             ) -> tuple[dict, RenderedPacket, dict[str, Path]]:
    """One department's packet for the plan's period, end to end: its context (what the
    department sees, sop.packets.briefing, with the gate's notes once), the rendered packet
    and its archived files (under the period, or `<period>-r<revision>` for an approved
    revision). The sales and marketing packets also carry the forecast-review workbook of
    the `review_months` after the period (`review_attachment`). Returns (context, packet,
    paths by kind)."""
    context = packet_context(department, plan.period, data, plan, plan.quality_notes,
                             items=items, revision=revision)
    packet = build_packet(department, context, company=company, locale=locale)
    if department in DEPARTMENTS_THAT_SUBMIT and not revision and len(plan.customer_forecast):
        packet = replace(packet, attachments=(*packet.attachments, review_attachment(
            department, plan, data, review_months, key_accounts, company, locale)))
    return context, packet, archive_packet(packet, output_dir, label(plan.period, revision),
                                           department)


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
