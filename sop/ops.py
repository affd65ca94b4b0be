"""Telling operators that a run failed: the message, built from plain values."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def failure_message(flow: str, run_name: str, run_id: str, state: str, reason: str,
                    ui_url: str, sender: str, recipients: list[str]) -> EmailMessage:
    """An e-mail naming the flow, the run, its final state and the reason, with the link to
    the run's page in the Prefect UI (where Retry is)."""
    msg = EmailMessage()
    msg["Subject"] = f"[S&OP] {flow} run {run_name} {state.lower()}"
    msg["From"], msg["To"] = sender, ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="sop.local")
    link = f"{ui_url.rstrip('/')}/runs/flow-run/{run_id}"
    msg.set_content(
        f"The {flow} run {run_name} ended {state}.\n\nReason:\n{reason}\n\n"
        f"Open the run: {link}\nFix the cause, then press Retry on that page: finished "
        "steps come back Cached and nothing already sent is sent again.\n")
    return msg
