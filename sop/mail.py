"""The one mailer: every message the pipeline sends (packets, alert digests, coordination-item
reminders, operator notices) gets its envelope here and leaves here, over SMTP when one is
configured, else written as an .eml file.

One sender and Reply-To for all of them (`smtp.sender`, `smtp.reply_to`; `sop@localhost`
when no SMTP is configured), one error type (`MailError`, transient or not), and a
Message-ID that depends only on the message's business key, so that a retry of the same
message keeps it and receiving systems can drop a copy. What a message says is built by its
domain (sop.packets.delivery, sop.alerts.lifecycle.push, sop.items.model.reminders, sop.runs).
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sop.config import Config, SmtpConfig

FALLBACK_SENDER = "sop@localhost"


class MailError(RuntimeError):
    """A message could not be sent. `transient` is True when trying again later may work
    (connection refused, timeout, 4xx reply), False for permanent failures (5xx reply, TLS or
    login refused, a file that cannot be written). `results` holds every message's outcome
    when raised after a batch (e.g. by `deliver_packets`)."""

    def __init__(self, message: str, *, transient: bool, results: Iterable = ()) -> None:
        super().__init__(message)
        self.transient = transient
        self.results = list(results)


def message_id(key: str, kind: str = "sop") -> str:
    """A Message-ID that depends on the business `key` only."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<{kind}-{digest}@sop.local>"


def _system_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Mailer:
    """Sends over `smtp`, or writes .eml files when it is None."""

    smtp: SmtpConfig | None
    sender: str = FALLBACK_SENDER
    reply_to: str | None = None
    tls_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)
    clock: Callable[[], datetime] = field(default=_system_now, compare=False, repr=False)

    @property
    def channel(self) -> str:
        return "smtp" if self.smtp is not None else "file"

    def message(self, subject: str, to: Sequence[str], *, key: str, mid: str | None = None,
                cc: Sequence[str] = ()) -> EmailMessage:
        """An empty message with the envelope every message shares: Subject, From, Reply-To,
        To, Cc, Date, Message-ID (from `key` unless `mid` is given), X-SOP-Key."""
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        if self.reply_to:
            msg["Reply-To"] = self.reply_to
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Date"] = format_datetime(self.clock())
        msg["Message-ID"] = mid or message_id(key)
        msg["X-SOP-Key"] = key
        msg["Auto-Submitted"] = "auto-generated"
        return msg

    def send(self, msg: EmailMessage, eml_path: str | Path) -> str | None:
        """Send `msg` over SMTP, or write it to `eml_path` when no SMTP is configured.
        Returns the file written (None when sent over SMTP); raises MailError."""
        if self.smtp is not None:
            send_smtp(msg, self.smtp, tls_context=self.tls_context)
            return None
        return str(write_eml(msg, eml_path))


def mailer_for(config: Config, *, tls_context: ssl.SSLContext | None = None,
               clock: Callable[[], datetime] | None = None) -> Mailer:
    """The mailer the config describes."""
    smtp = config.smtp
    extra = {"clock": clock} if clock is not None else {}
    return Mailer(smtp, str(smtp.sender) if smtp else FALLBACK_SENDER,
                  str(smtp.reply_to) if smtp and smtp.reply_to else None, tls_context, **extra)


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def send_smtp(message: EmailMessage, smtp: SmtpConfig, *,
              tls_context: ssl.SSLContext | None = None) -> None:
    """Send `message` through the configured server (security none / starttls / ssl, login
    when a username is set). `tls_context` defaults to the system's verifying context.
    Raises MailError naming host:port and the recipient."""
    where, rcpt = f"{smtp.host}:{smtp.port}", message["To"]

    def error(text: str, transient: bool) -> MailError:
        kind = "transient" if transient else "permanent"
        return MailError(f"SMTP {where}, recipient {rcpt}: {text} ({kind})", transient=transient)

    context = tls_context or ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, context=context,
                                                    timeout=smtp.timeout_seconds)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        with client:
            client.ehlo()
            if smtp.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as e:
        codes = [code for code, _ in e.recipients.values()]
        detail = "; ".join(f"{r}: {c} {_decode(m)}" for r, (c, m) in e.recipients.items())
        raise error(f"recipient refused ({detail})",
                    all(400 <= c < 500 for c in codes)) from e
    except smtplib.SMTPResponseException as e:
        raise error(f"server replied {e.smtp_code} {_decode(e.smtp_error)}",
                    not 500 <= e.smtp_code < 600) from e
    except smtplib.SMTPServerDisconnected as e:
        raise error(f"server disconnected: {e}", True) from e
    except smtplib.SMTPException as e:  # e.g. STARTTLS or AUTH not offered
        raise error(str(e), False) from e
    except ssl.SSLError as e:  # certificate or protocol mismatch: a configuration problem
        raise error(f"TLS failed: {e}", False) from e
    except OSError as e:  # refused, unreachable, timed out, name not resolved
        raise error(f"cannot connect: {e}", True) from e
    if refused:
        raise error(f"recipient refused: {refused}", False)


def write_eml(message: EmailMessage, path: str | Path) -> Path:
    """Write `message` to `path` (atomically; parent folders created) and return the path.
    Raises MailError (permanent) when the file cannot be written."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, target)
    except OSError as e:
        raise MailError(f"cannot write {target}: {e}", transient=False) from e
    return target
