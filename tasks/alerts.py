"""Pushing alerts (sop.alerts.push): e-mail digests to the owning heads, a webhook, and
Prefect events, each recorded right after it succeeds, so a re-run or retry pushes nothing
twice. The Prefect event is this layer's part, handed to sop/ as a callback."""

from __future__ import annotations

import pandas as pd
from prefect import get_run_logger, task
from prefect.events import emit_event

from sop.alerts.push import Push, alert_payload, push_alerts
from sop.config import Config
from sop.mail import mailer_for
from tasks.common import engine_for, retry_transient, run_scoped


def emit_alert_event(push: Push) -> None:
    a = push.alert
    emit_event(event=f"sop.alert.{push.event.split(':')[0]}",
               resource={"prefect.resource.id": f"sop.alert.{a['alert_key']}",
                         "prefect.resource.name": alert_payload(push)["name"] or a["alert_key"]},
               payload=alert_payload(push))


@task(name="push-alerts", retries=1, retry_delay_seconds=[5],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("alerts"))
def push_owed_alerts(config: Config, alerts: pd.DataFrame, period: str) -> dict[str, int]:
    """Push what is owed on every channel; fail at the end if a channel failed (one quick
    retry for a transient failure: what is still owed goes out on the next run)."""
    counts = push_alerts(engine_for(config.warehouse.url), config, alerts, period,
                         mailer_for(config), emit=emit_alert_event)
    get_run_logger().info("alert pushes for %s: %s", period, counts or "nothing new")
    return counts
