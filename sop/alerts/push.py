"""Pushing alerts once: what to push, the webhook and e-mail bodies, and the HTTP post.

A push is keyed by (alert key, occurrence, event, channel), where the occurrence is the
alert's first_seen period and the event is `raised`, `escalated:<severity>` or `resolved`.
A new alert is raised once; a severity rise is pushed once per level; a resolution is
announced once; an unchanged open alert is never pushed again. Channels: `email` (one
digest per head per run), `webhook` (one POST per push), `prefect` (an event, emitted
through the callback the task layer passes in). `push_alerts` is the whole loop.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

import pandas as pd
from sqlalchemy.engine import Engine

from sop.alerts.lifecycle import SEVERITY_RANK
from sop.alerts.store import done_pushes, record_pushes
from sop.config import DEPARTMENT_TITLES, Config
from sop.mail import Mailer, MailError
from sop.outputs import Outputs

PUSH_COLUMNS = ("push_key", "alert_key", "occurrence", "event", "channel", "severity")


class PushError(RuntimeError):
    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Push:
    push_key: str
    alert_key: str
    occurrence: str
    event: str
    channel: str
    severity: str
    alert: dict

    def as_row(self) -> dict:
        return {k: getattr(self, k) for k in PUSH_COLUMNS}


def _event_for(alert: dict, done: pd.DataFrame) -> str | None:
    mine = done[(done["alert_key"] == alert["alert_key"])
                & (done["occurrence"] == alert["first_seen"])]
    if alert["state"] != "resolved" and alert["severity"] == "minor":
        return None  # below materiality: counted in the packets, never pushed on its own
    if alert["state"] == "resolved":
        if mine.empty or (mine["event"] == "resolved").any():
            return None  # never raised (nothing to announce) or already announced
        return "resolved"
    if mine.empty:
        return "raised"
    top = max(SEVERITY_RANK.get(s, 0) for s in mine["severity"])
    if SEVERITY_RANK.get(alert["severity"], 0) > top:
        return f"escalated:{alert['severity']}"
    return None


def pending_pushes(alerts: pd.DataFrame, done: pd.DataFrame, channels: tuple[str, ...],
                   heads: dict[str, list[str]] | None = None) -> list[Push]:
    """The pushes owed on each channel for the current alert states.

    `done` holds earlier pushes (PUSH_COLUMNS). The event is decided per alert across all
    channels, then owed on each channel that has not had it yet (so a channel that failed
    catches up on the next run). With `heads` (department -> addresses), each head of an
    owning department is a channel of its own, `email:<address>`.
    """
    done = done if len(done) else pd.DataFrame(columns=list(PUSH_COLUMNS))
    out = []
    for alert in alerts.to_dict("records"):
        mine = done[(done["alert_key"] == alert["alert_key"])
                    & (done["occurrence"] == alert["first_seen"])]
        events = set(mine["event"])
        event = _event_for(alert, done)
        targets = [event] if event else []
        # events already pushed on some channel but not yet on another
        targets += sorted(e for e in events if e not in targets)
        mail = tuple(f"email:{a}" for a in recipients_for(alert["owners"], heads)) if heads else ()
        for ev in targets:
            for channel in channels + mail:
                key = f"{alert['alert_key']}|{alert['first_seen']}|{ev}|{channel}"
                if key in set(mine["push_key"]):
                    continue
                out.append(Push(key, alert["alert_key"], alert["first_seen"], ev, channel,
                                alert["severity"], alert))
    return out


def _figures(alert: dict) -> dict:
    f = alert.get("figures")
    return (json.loads(f) if isinstance(f, str) and f else f) or {}


def _departments(keys: str) -> str:
    return ", ".join(DEPARTMENT_TITLES.get(k.strip(), k.strip()) for k in str(keys).split(",")
                     if k.strip())


def push_text(push: Push) -> str:
    """One line for chat tools (Slack and Teams both read a top-level `text`): what, the money
    at stake, the action and its owner, the group it belongs to. No internal keys."""
    a, f = push.alert, _figures(push.alert)
    verb = {"raised": "New", "resolved": "Resolved"}.get(push.event.split(":")[0], "Escalated")
    basis = f" ({f['value_basis']})" if f.get("value_basis") else ""
    stake = f"; at stake {float(f['value']):,.0f}{basis}" if f.get("value") else ""
    action = (f"; action: {f['action']} ({_departments(f.get('action_owner', ''))})"
              if f.get("action") and push.event != "resolved" else "")
    group = (f"; part of {f['group_name']} ({float(f.get('group_value') or 0):,.0f} in all)"
             if f.get("group") and f.get("group") != a["alert_key"] else "")
    return (f"[S&OP] {verb} {a['severity']} alert: {a['message']}{stake}{action}{group} "
            f"(owners: {_departments(a['owners'])}; since {a['first_seen']})")


def alert_payload(push: Push) -> dict:
    """The alert as pushes carry it (webhook body, Prefect event payload): its fields, its
    figures, and the group, value and action lifted to the top."""
    a, f = push.alert, _figures(push.alert)
    return {k: a.get(k) for k in ("alert_key", "rule", "entity", "severity", "state",
                                  "message", "cause", "owners", "first_seen", "last_seen")} | {
        "name": f.get("name"), "value": f.get("value"), "units": f.get("units"),
        "value_basis": f.get("value_basis"), "action": f.get("action"),
        "action_owner": f.get("action_owner"),
        "group": {"key": f.get("group", a.get("alert_key")), "name": f.get("group_name"),
                  "value": f.get("group_value"), "severity": f.get("group_severity")},
        "figures": f}


def webhook_payload(push: Push) -> dict:
    return {"text": push_text(push), "event": push.event, "alert": alert_payload(push)}


def shown_url(url: str) -> str:
    """`url` as messages show it: scheme and host only. A chat webhook's path and query are
    its credential (Slack, Teams), so they never reach a log, a run state or a mail."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    hidden = "/..." if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def post_webhook(url: str, payload: dict, timeout: float = 10.0) -> None:
    """POST JSON; 5xx and connection problems are transient, other non-2xx permanent. The
    errors name the endpoint without its path (`shown_url`)."""
    body = json.dumps(payload, default=str).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Idempotency-Key": payload.get("push_key", "")})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured URL
            resp.read()
    except urllib.error.HTTPError as e:
        raise PushError(f"webhook {shown_url(url)} answered {e.code} {e.reason}",
                        e.code >= 500) from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise PushError(f"webhook {shown_url(url)} unreachable: {reason}", True) from None


def alert_digest(mailer: Mailer, pushes: list[Push], recipient: str,
                 period: str) -> EmailMessage:
    """One e-mail listing the alert pushes owed to one department head; its Message-ID
    follows from the pushes it carries, so the same digest sent twice is one message."""
    n = len(pushes)
    key = "alerts/" + hashlib.sha256("|".join(sorted(p.push_key for p in pushes)).encode()
                                     ).hexdigest()[:16] + f"/{recipient.lower()}"
    msg = mailer.message(f"[S&OP {period}] {n} alert{'s' if n != 1 else ''} for you",
                         [recipient], key=key)
    lines = [f"S&OP alerts ({period}), largest money at stake first, by root cause", ""]
    groups: dict[str, list[Push]] = {}
    for p in pushes:
        groups.setdefault(_figures(p.alert).get("group", p.alert_key), []).append(p)

    def worth(p: Push) -> float:
        return float(_figures(p.alert).get("value") or 0.0)

    def group_worth(ps: list[Push]) -> float:
        return max(float(_figures(p.alert).get("group_value") or worth(p)) for p in ps)

    for _, ps in sorted(groups.items(), key=lambda kv: (-group_worth(kv[1]), kv[0])):
        f = _figures(ps[0].alert)
        if len(ps) > 1 or f.get("group", ps[0].alert_key) != ps[0].alert_key:
            lines.append(f"{f.get('group_name', '')}: {group_worth(ps):,.0f} at stake")
        for p in sorted(ps, key=lambda p: (-SEVERITY_RANK.get(p.severity, 0), -worth(p))):
            lines.append(f"- {push_text(p)}")
    lines += ["", "You receive each alert once when it is raised, again only if its severity "
              "rises, and once when it is resolved."]
    msg.set_content("\n".join(lines))
    return msg


def recipients_for(owners: str, heads: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for dept in (o.strip() for o in str(owners).split(",")):
        for addr in heads.get(dept, []):
            if addr not in out:
                out.append(addr)
    return out


def push_alerts(engine: Engine, config: Config, alerts: pd.DataFrame, period: str,
                mailer: Mailer, emit: Callable[[Push], None] | None = None) -> dict[str, int]:
    """Push what is owed on every channel, recording each push right after it succeeded, so
    a re-run or retry pushes nothing twice and a channel that failed catches up next time:
    Prefect events through `emit` (the task layer's; None: no event channel), the webhook,
    one e-mail digest per owning head. Returns pushes per channel; raises PushError at the
    end when any failed (transient when all failures were)."""
    settings = config.alerts
    channels = tuple(c for c, on in (("webhook", bool(settings.webhook_url)),
                                     ("prefect", settings.prefect_events and emit is not None))
                     if on)
    heads = config.heads_by_department() if settings.email else None
    owed = pending_pushes(alerts, done_pushes(engine), channels, heads)
    errors: list[Exception] = []
    counts: dict[str, int] = {}
    for push in (p for p in owed if p.channel == "prefect"):
        emit(push)
        record_pushes(engine, [push.as_row()])
        counts["prefect"] = counts.get("prefect", 0) + 1
    hooks = [p for p in owed if p.channel == "webhook"]
    for i, push in enumerate(hooks):
        try:
            post_webhook(settings.webhook_url, webhook_payload(push) | {
                "push_key": push.push_key}, settings.webhook_timeout_seconds)
        except PushError as e:
            if not e.transient:  # this payload refused: the others may still go
                errors.append(e)
                continue
            errors.append(PushError(f"{e} ({len(hooks) - i} webhook push(es) owed)", True))
            break  # the endpoint is down: the rest stays owed for the next run
        record_pushes(engine, [push.as_row()])
        counts["webhook"] = counts.get("webhook", 0) + 1
    by_recipient: dict[str, list[Push]] = {}
    for push in (p for p in owed if p.channel.startswith("email:")):
        by_recipient.setdefault(push.channel.removeprefix("email:"), []).append(push)
    outbox = Outputs.at(config.output_dir).alerts_outbox(period)
    for recipient, pushes in by_recipient.items():
        msg = alert_digest(mailer, pushes, recipient, period)
        tag = msg["X-SOP-Key"].split("/")[1][:12]
        try:
            mailer.send(msg, outbox / f"{recipient}-{tag}.eml")
        except MailError as e:
            errors.append(e)
            continue
        record_pushes(engine, [p.as_row() for p in pushes])
        counts["email"] = counts.get("email", 0) + len(pushes)
    if errors:
        transient = all(getattr(e, "transient", False) for e in errors)
        raise PushError(f"{len(errors)} alert push(es) failed: "
                        + "; ".join(str(e) for e in errors), transient)
    return counts
