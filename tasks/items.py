"""Reminders for coordination items, sent once each (sop.items.reminders)."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task

from sop.config import Config
from sop.items.reminders import deliver_reminders
from sop.mail import mailer_for
from sop.outputs import Outputs
from tasks.common import engine_for, retry_transient, run_scoped


@task(name="send-item-reminders", retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_transient, cache_policy=run_scoped())
def send_item_reminders(config: Config, today: date) -> list[dict]:
    """E-mail each owed reminder (due within 3 days, overdue) to the owner and the responsible
    heads, through SMTP when configured, else as .eml under <output_dir>/outbox/items/. Each
    is recorded right after it is sent, so a retry (on transient SMTP errors only) or a
    re-run sends only what is still owed."""
    sent = deliver_reminders(engine_for(config.warehouse.url), config.heads_by_department(),
                             mailer_for(config), Outputs.at(config.output_dir).items_outbox,
                             today)
    get_run_logger().info("item reminders on %s: %s", today.isoformat(),
                          ", ".join(f"{r['item_id']} {r['kind']}" for r in sent) or "none owed")
    return sent
