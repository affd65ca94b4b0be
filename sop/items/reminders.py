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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from sop.items.model import Heads, Item, listed_items
from sop.items.store import record_reminder, sent_reminders, stored_items
from sop.mail import Mailer, MailError
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


def reminder_message(mailer: Mailer, reminder: Reminder, today: date) -> EmailMessage:
    """The plain-text reminder: To the owner, Cc the responsible heads."""
    item, when = reminder.item, _when(reminder.item, today)
    short = item.requirement if len(item.requirement) <= 60 else item.requirement[:57] + "..."
    msg = mailer.message(
        f"[S&OP] Coordination item {item.item_id} {when.split(' (')[0]}: {short}",
        reminder.recipients[:1], cc=reminder.recipients[1:], key=reminder.key,
        mid=reminder_message_id(item.item_id, reminder.kind))
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


def deliver_reminders(engine: Engine, heads: Heads, mailer: Mailer, outbox: str | Path,
                      today: date) -> list[dict]:
    """Send every owed reminder through `mailer` (without SMTP: `<outbox>/<id>-<kind>.eml`)
    and record each right after it went out. Returns one dict per reminder sent; raises
    MailError after trying all when any failed (transient when all failures were)."""
    owed = owed_reminders(stored_items(engine), sent_reminders(engine), heads, today)
    sent, errors = [], []
    for reminder in owed:
        item = reminder.item
        msg = reminder_message(mailer, reminder, today)
        try:
            location = mailer.send(msg, Path(outbox) / f"{item.item_id}-{reminder.kind}.eml")
        except MailError as e:
            errors.append(e)
            continue
        row = {"item_id": item.item_id, "kind": reminder.kind,
               "recipients": ", ".join(reminder.recipients), "channel": mailer.channel,
               "message_id": msg["Message-ID"], "location": location, "sent_at": now_utc()}
        record_reminder(engine, row)
        sent.append(row)
    if errors:
        raise MailError(f"{len(errors)} of {len(owed)} item reminders failed: "
                        + "; ".join(str(e) for e in errors),
                        transient=all(e.transient for e in errors))
    return sent
