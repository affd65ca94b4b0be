"""Packet e-mails: the message (sent through sop.mail), and the outbox
that delivers each packet exactly once per (period, department, recipient).

The outbox is the warehouse table `sop_deliveries`; an approved revision's packets (the
demand review's re-plan) go through `sop_revision_deliveries`, once per (period, revision,
department, recipient), archived under `<period>-r<revision>`. `deliver_packets` first records every
owed delivery as `pending`, then sends them one by one and marks each `sent` right after its
success (or `failed`, with the error). A re-run sends only what is still owed. A crash between
a successful send and its `sent` mark can repeat that one e-mail on the next run; its
Message-ID is deterministic, so receiving systems can tell the copies apart. A deliberate
resend gets a new Message-ID (see `message_id`). Concurrent runs for the same period are not
coordinated here (the flow runs once per period).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.mail import Mailer, MailError
from sop.mail import write_eml as write_copy
from sop.outputs import Outputs, mail_file_name
from sop.warehouse import deliveries, now_utc, revision_deliveries, upsert_rows


class Packet(Protocol):
    """What is sent: reports.render.RenderedPacket or anything shaped like it. Optional
    `images` (each with cid, filename, data: PNG shown inline by Content-ID) and
    `attachments` (each with filename, content_type, data) are attached when present."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class DeliveryResult:
    period: str
    department: str
    recipient: str
    status: str  # sent, already_sent, failed
    channel: str  # smtp, file
    message_id: str
    attempts: int
    location: str | None = None
    error: str | None = None
    transient: bool = False  # for failed: may a later attempt work?
    archive: str | None = None  # the archived copy of the message (.eml)

    @property
    def key(self) -> str:
        return delivery_key(self.period, self.department, self.recipient)


def delivery_key(period: str, department: str, recipient: str) -> str:
    return f"{period}/{department}/{recipient}"


def label(period: str, revision: int = 0) -> str:
    """The period as deliveries and folders name it: '2026-10', or '2026-10-r1' for an
    approved revision."""
    return f"{period}-r{revision}" if revision else period


def message_id(period: str, department: str, recipient: str, resend: str | None = None) -> str:
    """A Message-ID that depends on (period, department, recipient) only, so that a retry
    of the same delivery keeps it; a deliberate resend (`resend` = its token) gets a new one,
    so that mail clients do not drop the resent message as a duplicate."""
    key = delivery_key(period, department, recipient.lower())
    digest = hashlib.sha256((key if resend is None else f"{key}\n{resend}").encode())
    kind = "sop" if resend is None else "sop-resend"
    return f"<{kind}-{period}-{department}-{digest.hexdigest()[:16]}@sop.local>"


def packet_message(mailer: Mailer, rendered: Packet, recipient: str, period: str,
                   department: str, *, mid: str | None = None) -> EmailMessage:
    """The e-mail for one recipient: multipart/alternative (plain text, then HTML); the HTML
    inside multipart/related with the packet's images, referenced by Content-ID; all inside
    multipart/mixed with the attachments (PDF, workbook) when the packet has them."""
    msg = mailer.message(rendered.subject, [recipient],
                         key=delivery_key(period, department, recipient),
                         mid=mid or message_id(period, department, recipient))
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    digest = hashlib.sha256(f"{msg['Message-ID']}\n{rendered.text}\n{rendered.html}".encode())
    images = tuple(getattr(rendered, "images", ()) or ())
    if images:
        html = msg.get_payload()[1]
        for img in images:
            html.add_related(img.data, maintype="image", subtype="png", cid=f"<{img.cid}>",
                             filename=img.filename, disposition="inline")
            digest.update(img.data)
        html.set_param("type", "text/html")
    for att in getattr(rendered, "attachments", ()) or ():
        maintype, subtype = att.content_type.split("/", 1)
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
        digest.update(att.data)
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"==sop-{digest.hexdigest()[:24]}-{i}==")  # same packet, same bytes
    return msg


def _pending(packets: Mapping[str, Packet], recipients: Mapping[str, Iterable[str]]
             ) -> list[tuple[str, str]]:
    keys = []
    for department in packets:
        seen: set[str] = set()
        for r in recipients.get(department) or ():
            r = str(r).strip()
            if r and r.lower() not in seen:
                seen.add(r.lower())
                keys.append((department, r))
        if not seen:
            raise ValueError(f"no recipients for department {department!r}")
    return keys


def _box(revision: int) -> tuple[sa.Table, dict[str, int]]:
    """The outbox table and its extra key: the period's deliveries, or a revision's."""
    return (revision_deliveries, {"revision": revision}) if revision else (deliveries, {})


def _where(table: sa.Table, period: str, extra: Mapping[str, object], **keys: str):
    return sa.and_(table.c.period == period, *(table.c[k] == v for k, v in
                                               {**extra, **keys}.items()))


def _mark(engine: Engine, period: str, department: str, recipient: str, revision: int = 0,
          **values: object) -> int:
    table, extra = _box(revision)
    cond = _where(table, period, extra, department=department, recipient=recipient)
    with engine.begin() as conn:
        conn.execute(table.update().where(cond).values(attempts=table.c.attempts + 1, **values))
        return conn.execute(sa.select(table.c.attempts).where(cond)).scalar_one()


def _owed(old: sa.Row | None, period: str, department: str, recipient: str,
          resend_token: str | None) -> str | None:
    """The Message-ID to send with, or None when nothing is owed: a sent delivery is owed
    again only on a resend not yet delivered (its token gives it a new Message-ID); a pending
    or failed one is retried with the Message-ID it already has."""
    if old is not None and old.status == "sent":
        if resend_token is None:
            return None
        mid = message_id(period, department, recipient, resend=resend_token)
        return None if old.message_id == mid else mid
    if old is not None and old.message_id:
        return old.message_id
    return message_id(period, department, recipient)


def deliver_packets(engine: Engine, period: str, packets: Mapping[str, Packet],
                    recipients: Mapping[str, Iterable[str]], mailer: Mailer,
                    output_dir: str | Path, resend: Iterable[str] = frozenset(), *,
                    resend_token: str | None = None, revision: int = 0) -> list[DeliveryResult]:
    """Deliver each department's packet to each of its recipients, exactly once per
    (period, department, recipient), through `mailer`: over SMTP, or without one as
    `outbox/<period>/<department>/<recipient>.eml` under `output_dir`. Each message sent is
    also kept beside its packet, `packets/<period>/<department>/<recipient>.eml`.

    Deliveries already `sent` are skipped unless their department is in `resend`: those are
    sent again, once per `resend_token` (give the run's id, so that a retry of the same run
    does not send twice; None: a fresh token, i.e. send again now), with a new Message-ID.
    `revision` > 0: an approved revision's packets, with an outbox, Message-IDs and folders
    of their own (`label`). Raises MailError (with `results`) after trying all when any failed; returns one
    result per key otherwise."""
    channel, out = mailer.channel, Outputs.at(output_dir)
    table, extra = _box(revision)
    where = label(period, revision)  # the folders and Message-IDs of this delivery
    again = set(resend)
    token = resend_token or datetime.now(UTC).isoformat()
    keys = _pending(packets, recipients)
    results: dict[tuple[str, str], DeliveryResult] = {}
    todo: list[tuple[str, str, str]] = []
    with engine.begin() as conn:
        rows = conn.execute(sa.select(table).where(_where(table, period, extra))).all()
        existing = {(r.department, r.recipient): r for r in rows}
        for department, recipient in keys:
            old = existing.get((department, recipient))
            mid = _owed(old, where, department, recipient,
                        token if department in again else None)
            if mid is None:
                results[(department, recipient)] = DeliveryResult(
                    period, department, recipient, "already_sent", old.channel, old.message_id,
                    old.attempts, old.location)
                continue
            upsert_rows(conn, table, [{
                **extra, "period": period, "department": department, "recipient": recipient,
                "subject": packets[department].subject[:200], "status": "pending",
                "attempts": old.attempts if old is not None else 0, "message_id": mid,
                "channel": channel}])
            todo.append((department, recipient, mid))
    for department, recipient, mid in todo:
        msg = packet_message(mailer, packets[department], recipient, where, department,
                             mid=mid)
        name = mail_file_name(recipient)
        try:
            location = mailer.send(msg, out.packet_outbox(where, department) / name)
        except MailError as e:
            text = str(e)
            attempts = _mark(engine, period, department, recipient, revision, status="failed",
                             last_error=text[:2000])
            results[(department, recipient)] = DeliveryResult(
                period, department, recipient, "failed", channel, mid, attempts, error=text,
                transient=e.transient)
            continue
        try:  # the copy kept beside the packet; the message has gone out either way
            archived = str(write_copy(msg, out.packet_dir(where, department) / name))
        except MailError:
            archived = None
        attempts = _mark(engine, period, department, recipient, revision, status="sent",
                         sent_at=now_utc(), last_error=None, location=location)
        results[(department, recipient)] = DeliveryResult(
            period, department, recipient, "sent", channel, mid, attempts, location,
            archive=archived)
    ordered = [results[k] for k in keys]
    failed = [r for r in ordered if r.status == "failed"]
    if failed:
        detail = "; ".join(f"{r.key}: {r.error}" for r in failed)
        raise MailError(
            f"{len(failed)} of {len(ordered)} packet deliveries for {period} failed: {detail}",
            transient=all(r.transient for r in failed), results=ordered)
    return ordered
