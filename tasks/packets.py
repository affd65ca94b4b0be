"""Packet tasks: render one packet per department (e-mail, PDF, workbook; archived, with a
markdown artifact each), then deliver through the outbox."""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from reports.packet import build_packet, packet_markdown
from reports.render import RenderedPacket
from sop.config import DEPARTMENTS, Config
from sop.items.store import stored_items
from sop.packets.archive import archive_packet, outbox_dir, packet_dir, packets_root
from sop.packets.briefing import packet_context
from sop.packets.delivery import DeliveryError, DeliveryResult, deliver_packets, packet_message
from sop.plan import Plan
from tasks.common import engine_for, retry_transient, run_scoped


def artifact_key(department: str) -> str:
    return f"packet-{department.replace('_', '-')}"


@task(name="render-packets", cache_policy=run_scoped("data", "plan"))
def render_packets(config: Config, data: dict[str, pd.DataFrame], plan: Plan
                   ) -> dict[str, RenderedPacket]:
    logger = get_run_logger()
    packets: dict[str, RenderedPacket] = {}
    items = stored_items(engine_for(config.warehouse.url))
    for dept in DEPARTMENTS:
        started = time.perf_counter()
        context = packet_context(dept, plan.period, data, plan, plan.notes, items=items)
        packet = build_packet(dept, context, company=config.company,
                              locale=config.departments[dept].locale)
        paths = archive_packet(packet, config.output_dir, plan.period, dept)
        packets[dept] = packet
        folder = packet_dir(config.output_dir, plan.period, dept)
        files = {"folder": folder, "page": paths["html"], "pdf": paths["pdf"],
                 "workbook": paths["xlsx"],
                 "e-mails": folder / "<recipient>.eml (written as each is sent)"}
        create_markdown_artifact(key=artifact_key(dept),
                                 markdown=packet_markdown(context, packet, files),
                                 description=packet.subject)
        size = len(packet_message(packet, "sop@localhost", "head@localhost", plan.period,
                                  dept).as_bytes())
        logger.info("%s packet (%s): %.1f s, message %.0f KB, archived in %s", dept,
                    packet.locale, time.perf_counter() - started, size / 1024, folder)
    return packets


@task(name="send-packets", retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("packets"))
def send_packets(config: Config, period: str, packets: dict[str, RenderedPacket],
                 resend: list[str]) -> list:
    """Send each (department, recipient) once; a retry sends only what is still owed. A
    resend goes out once per flow run, with a new Message-ID."""
    recipients = {d: [str(a) for a in config.departments[d].heads] for d in packets}
    token = str(flow_run.id) if flow_run.id else None
    try:
        results = deliver_packets(
            engine_for(config.warehouse.url), period, packets, recipients, config.smtp,
            outbox_dir(config.output_dir), resend=set(resend),
            archive_dir=packets_root(config.output_dir), resend_token=token)
    except DeliveryError as e:
        _deliveries_artifact(period, e.results)
        raise
    _deliveries_artifact(period, results)
    return results


def _deliveries_artifact(period: str, results: list[DeliveryResult]) -> None:
    create_table_artifact(key="deliveries", description=f"Packet deliveries for {period}",
                          table=[{"department": r.department, "recipient": r.recipient,
                                  "status": r.status, "channel": r.channel,
                                  "attempts": r.attempts, "message_id": r.message_id,
                                  "archive": r.archive or "", "outbox": r.location or "",
                                  "error": r.error or ""} for r in results])
