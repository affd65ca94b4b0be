"""Pushing alerts: e-mail digests to the owning heads, a webhook, and Prefect events;
each push recorded right after it succeeds, so a re-run or retry pushes nothing twice."""

from __future__ import annotations

import hashlib

import pandas as pd
from prefect import get_run_logger, task
from prefect.events import emit_event

from sop.alerts.push import (
    Push,
    PushError,
    alert_digest,
    pending_pushes,
    post_webhook,
    webhook_payload,
)
from sop.config import Config
from sop.packets.archive import outbox_dir
from sop.packets.delivery import DeliveryError, send_smtp, write_eml
from sop.planning.store import done_pushes, record_pushes
from tasks.common import engine_for, retry_transient, run_scoped


def _emit(push: Push) -> None:
    a = push.alert
    emit_event(event=f"sop.alert.{push.event.split(':')[0]}",
               resource={"prefect.resource.id": f"sop.alert.{a['alert_key']}",
                         "prefect.resource.name": a["alert_key"]},
               payload={k: a.get(k) for k in ("alert_key", "rule", "entity", "severity", "state",
                                              "message", "cause", "owners", "figures",
                                              "first_seen", "last_seen")})


def _send_digest(config: Config, recipient: str, pushes: list[Push], period: str) -> None:
    sender = str(config.smtp.sender) if config.smtp else "sop@localhost"
    msg = alert_digest(pushes, sender, recipient, period)
    if config.smtp:
        send_smtp(msg, config.smtp)
    else:
        tag = hashlib.sha256("|".join(sorted(p.push_key for p in pushes)).encode()).hexdigest()[:12]
        write_eml(msg, outbox_dir(config.output_dir) / "alerts" / period / f"{recipient}-{tag}.eml")


@task(name="push-alerts", retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_transient, cache_policy=run_scoped("alerts"))
def push_alerts(config: Config, alerts: pd.DataFrame, period: str) -> dict[str, int]:
    """Push what is owed on every channel; raise at the end if a channel failed."""
    engine = engine_for(config.warehouse.url)
    channels = tuple(c for c, on in (("webhook", bool(config.alerts.webhook_url)),
                                     ("prefect", config.alerts.prefect_events)) if on)
    heads = ({d: [str(a) for a in cfg.heads] for d, cfg in config.departments.items()}
             if config.alerts.email else None)
    owed = pending_pushes(alerts, done_pushes(engine), channels, heads)
    errors: list[Exception] = []
    counts: dict[str, int] = {}
    for push in (p for p in owed if p.channel == "prefect"):
        _emit(push)
        record_pushes(engine, [push.as_row()])
        counts["prefect"] = counts.get("prefect", 0) + 1
    for push in (p for p in owed if p.channel == "webhook"):
        try:
            post_webhook(config.alerts.webhook_url, webhook_payload(push) | {
                "push_key": push.push_key}, config.alerts.webhook_timeout_seconds)
        except PushError as e:
            errors.append(e)
            continue
        record_pushes(engine, [push.as_row()])
        counts["webhook"] = counts.get("webhook", 0) + 1
    by_recipient: dict[str, list[Push]] = {}
    for push in (p for p in owed if p.channel.startswith("email:")):
        by_recipient.setdefault(push.channel.removeprefix("email:"), []).append(push)
    for recipient, pushes in by_recipient.items():
        try:
            _send_digest(config, recipient, pushes, period)
        except DeliveryError as e:
            errors.append(e)
            continue
        record_pushes(engine, [p.as_row() for p in pushes])
        counts["email"] = counts.get("email", 0) + len(pushes)
    get_run_logger().info("alert pushes for %s: %s", period, counts or "nothing new")
    if errors:
        transient = all(getattr(e, "transient", False) for e in errors)
        raise PushError(f"{len(errors)} alert push(es) failed: "
                        + "; ".join(str(e) for e in errors), transient)
    return counts
