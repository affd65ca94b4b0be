"""Packet tasks: render one packet per department (e-mail, PDF, workbook; archived, with a
markdown artifact each), then deliver through the outbox (sop.packets.delivery)."""

from __future__ import annotations

import time

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from reports.packet import packet_markdown, render_department_packet
from reports.render import RenderedPacket
from sop.config import DEPARTMENTS, Config
from sop.items.store import stored_items
from sop.mail import MailError, mailer_for
from sop.outputs import Outputs
from sop.packets.delivery import DeliveryResult, deliver_packets, label
from sop.plan import Plan
from tasks.common import engine_for, retry_transient, run_scoped


def artifact_key(department: str) -> str:
    return f"packet-{department.replace('_', '-')}"


@task(name="render-packets", cache_policy=run_scoped("data", "plan"))
def render_packets(config: Config, data: dict[str, pd.DataFrame], plan: Plan,
                   departments: tuple[str, ...] = DEPARTMENTS, revision: int = 0
                   ) -> dict[str, RenderedPacket]:
    """Each department's packet (an approved revision's: `revision` > 0), archived, with a
    markdown artifact."""
    logger = get_run_logger()
    packets: dict[str, RenderedPacket] = {}
    items = stored_items(engine_for(config.warehouse.url))
    out = Outputs.at(config.output_dir)
    for dept in departments:
        started = time.perf_counter()
        context, packet, paths = render_department_packet(
            dept, plan, data, items, config.output_dir, company=config.company,
            locale=config.departments[dept].locale, revision=revision,
            review_months=config.planning.review_months,
            key_accounts=tuple(config.planning.key_accounts))
        packets[dept] = packet
        folder = out.packet_dir(label(plan.period, revision), dept)
        files = {"folder": folder, "page": paths["html"], "pdf": paths["pdf"],
                 "workbook": paths["xlsx"],
                 "e-mails": folder / "<recipient>.eml (written as each is sent)"}
        create_markdown_artifact(key=artifact_key(dept),
                                 markdown=packet_markdown(context, packet, files),
                                 description=packet.subject)
        logger.info("%s packet (%s): %.1f s, archived in %s", dept, packet.locale,
                    time.perf_counter() - started, folder)
    return packets


@task(name="send-packets", retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("packets"))
def send_packets(config: Config, period: str, packets: dict[str, RenderedPacket],
                 resend: list[str], revision: int = 0) -> list:
    """Send each (department, recipient) once (per approved revision, for `revision` > 0);
    a retry sends only what is still owed. A resend goes out once per flow run, with a new
    Message-ID."""
    recipients = {d: config.heads(d) for d in packets}
    token = str(flow_run.id) if flow_run.id else None
    try:
        results = deliver_packets(engine_for(config.warehouse.url), period, packets, recipients,
                                  mailer_for(config), config.output_dir, resend=set(resend),
                                  resend_token=token, revision=revision)
    except MailError as e:
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
