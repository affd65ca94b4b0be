"""Packet tasks: render one packet per department, then deliver through the outbox."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from reports.render import RenderedPacket, render_packet
from sop.archive import archive_packet, outbox_dir
from sop.briefing import packet_context
from sop.config import DEPARTMENTS, Config
from sop.delivery import deliver_packets
from sop.plan import Plan
from tasks.common import engine_for, retry_transient


@task(name="render-packets", cache_policy=NO_CACHE)
def render_packets(config: Config, data: dict[str, pd.DataFrame], plan: Plan
                   ) -> dict[str, RenderedPacket]:
    packets: dict[str, RenderedPacket] = {}
    for dept in DEPARTMENTS:
        context = packet_context(dept, plan.period, data, plan, plan.notes)
        packet = render_packet(dept, context, company=config.company)
        paths = archive_packet(packet.html, packet.text, config.output_dir, plan.period, dept)
        packets[dept] = packet
        create_markdown_artifact(
            key=f"packet-{dept.replace('_', '-')}",
            markdown=f"# {packet.subject}\n\nArchived at `{paths['html']}`\n\n```\n"
                     f"{packet.text[:3000]}\n```",
            description=packet.subject)
    get_run_logger().info("rendered %d packets for %s", len(packets), plan.period)
    return packets


@task(name="send-packets", retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def send_packets(config: Config, period: str, packets: dict[str, RenderedPacket],
                 resend: list[str]) -> list:
    """Send each (department, recipient) once; a retry sends only what is still owed."""
    recipients = {d: [str(a) for a in config.departments[d].heads] for d in packets}
    results = deliver_packets(
        engine_for(config.warehouse.url), period, packets, recipients, config.smtp,
        outbox_dir(config.output_dir), resend=set(resend))
    create_table_artifact(key="deliveries", description=f"Packet deliveries for {period}",
                          table=[r.as_row() if hasattr(r, "as_row") else dict(r.__dict__)
                                 for r in results])
    return results
