"""Reminders for coordination items: which are owed, the e-mail, and sending each once.

A signed item that is not done gets two reminders at most, each exactly once, keyed
(item id, kind) in `sop_item_reminders`: `due_soon` when its due date is at most
REMIND_DAYS days away, `overdue` once its due date has passed (an item already overdue
when first seen gets only the overdue one). They go to the item's owner, copied to the
heads of the responsible department. Drafts, done, verified and cancelled items get none.
Each reminder is recorded right after it was sent, so a re-run or a retry sends only
what is still owed.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from sop.config import SmtpConfig
from sop.items.model import Heads, Item, listed_items
from sop.items.store import record_reminder, sent_reminders, stored_items
from sop.packets.delivery import DeliveryError, send_smtp, write_eml
from sop.warehouse import now_utc

REMIND_DAYS = 3
KINDS = ("due_soon", "overdue")


@dataclass(frozen=True)
class Reminder:
    item: Item
    kind: str  # due_soon, overdue
    recipients: tuple[str, ...]  # the owner first, then the responsible heads

    @property
    def key(self) -> str:
        return f"item/{self.item.item_id}/{self.kind}"


def reminder_kind(item: Item, today: date) -> str | None:
    """`overdue`, `due_soon` or None for an item on `today`."""
    if item.status != "signed":
        return None
    if item.due < today:
        return "overdue"
    return "due_soon" if (item.due - today).days <= REMIND_DAYS else None


def reminder_recipients(item: Item, heads: Heads) -> tuple[str, ...]:
    out: list[str] = []
    for addr in (item.owner, *heads.get(item.responsible, ())):
        addr = str(addr).strip().lower()
        if addr and addr not in out:
            out.append(addr)
    return tuple(out)


def owed_reminders(items: pd.DataFrame | Iterable[Item], sent: pd.DataFrame, heads: Heads,
                   today: date) -> list[Reminder]:
    """Reminders due on `today` and not yet sent, overdue ones first."""
    done = set(zip(sent["item_id"], sent["kind"], strict=True)) if len(sent) else set()
    owed = []
    for item in listed_items(items, today):
        kind = reminder_kind(item, today)
        if kind and (item.item_id, kind) not in done:
            owed.append(Reminder(item, kind, reminder_recipients(item, heads)))
    return owed


def reminder_message_id(item_id: str, kind: str) -> str:
    return f"<sop-item-{item_id}-{kind}@sop.local>"


def _when(item: Item, today: date) -> str:
    days = (item.due - today).days
    if days < 0:
        return f"overdue since {item.due.isoformat()} ({-days} day{'s' if days != -1 else ''})"
    if days == 0:
        return "due today"
    return f"due in {days} day{'s' if days != 1 else ''} ({item.due.isoformat()})"


def reminder_message(reminder: Reminder, sender: str, today: date, *,
                     date_header: datetime | None = None) -> EmailMessage:
    """The plain-text reminder: To the owner, Cc the responsible heads."""
    item, when = reminder.item, _when(reminder.item, today)
    short = item.requirement if len(item.requirement) <= 60 else item.requirement[:57] + "..."
    msg = EmailMessage()
    msg["Subject"] = f"[S&OP] Coordination item {item.item_id} {when.split(' (')[0]}: {short}"
    msg["From"] = sender
    msg["To"] = reminder.recipients[0]
    if len(reminder.recipients) > 1:
        msg["Cc"] = ", ".join(reminder.recipients[1:])
    msg["Date"] = format_datetime(date_header or datetime.now(UTC))
    msg["Message-ID"] = reminder_message_id(item.item_id, reminder.kind)
    msg["X-SOP-Key"] = reminder.key
    msg["Auto-Submitted"] = "auto-generated"
    lines = [
        f"Coordination item {item.item_id} is {when}.", "",
        f"Requirement:         {item.requirement}",
        f"Evaluation standard: {item.standard}",
        f"Due date:            {item.due.isoformat()}",
        f"Owner:               {item.owner}",
        f"Asked by:            {item.requesting} (signed by {item.requesting_signed_by})",
        f"Owed by:             {item.responsible} (signed by {item.responsible_signed_by})",
        f"Raised in period:    {item.period}",
    ]
    if item.alert_key:
        lines.append(f"From alert:          {item.alert_key}")
    lines += ["", "When it is done, report it (the note is the outcome the requesting head "
              "verifies against the standard):",
              f"  sop items done {item.item_id} --config <config> --as <your e-mail> "
              "--note \"<outcome>\"", "",
              "You get one reminder when the due date is near and one when it has passed."]
    msg.set_content("\n".join(lines))
    return msg


def deliver_reminders(engine: Engine, heads: Heads, smtp: SmtpConfig | None,
                      outbox: str | Path, today: date, *, sender_fallback: str = "sop@localhost",
                      tls_context: ssl.SSLContext | None = None) -> list[dict]:
    """Send every owed reminder (SMTP when `smtp` is given, else `<outbox>/<id>-<kind>.eml`)
    and record each right after it went out. Returns one dict per reminder sent; raises
    DeliveryError after trying all when any failed (transient when all failures were)."""
    sender = str(smtp.sender) if smtp is not None else sender_fallback
    owed = owed_reminders(stored_items(engine), sent_reminders(engine), heads, today)
    sent, errors = [], []
    for reminder in owed:
        item, location = reminder.item, None
        msg = reminder_message(reminder, sender, today)
        try:
            if smtp is not None:
                send_smtp(msg, smtp, tls_context=tls_context)
            else:
                location = str(write_eml(msg, Path(outbox) / f"{item.item_id}-{reminder.kind}.eml"))
        except DeliveryError as e:
            errors.append(e)
            continue
        except OSError as e:
            errors.append(DeliveryError(f"{reminder.key}: cannot write .eml: {e}",
                                        transient=False))
            continue
        row = {"item_id": item.item_id, "kind": reminder.kind,
               "recipients": ", ".join(reminder.recipients),
               "channel": "smtp" if smtp is not None else "file",
               "message_id": msg["Message-ID"], "location": location, "sent_at": now_utc()}
        record_reminder(engine, row)
        sent.append(row)
    if errors:
        raise DeliveryError(f"{len(errors)} of {len(owed)} item reminders failed: "
                            + "; ".join(str(e) for e in errors),
                            transient=all(e.transient for e in errors))
    return sent
