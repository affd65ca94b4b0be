"""Flow state hooks: e-mail the operators when a run fails or crashes."""

from __future__ import annotations

import logging
import os

from prefect import get_run_logger
from prefect.exceptions import MissingContextError

from sop.config import ConfigError, load_config
from sop.ops import failure_message
from sop.packets.archive import outbox_dir
from sop.packets.delivery import DeliveryError, send_smtp, write_eml


def notify_operators(flow, flow_run, state) -> None:
    """on_failure / on_crashed hook. Never raises: a broken notification must not hide the
    run's own failure (it is logged instead)."""
    try:
        logger = get_run_logger()
    except MissingContextError:
        logger = logging.getLogger("sop.hooks")
    path = (flow_run.parameters or {}).get("config_path")
    try:
        config = load_config(path, os.environ)
    except (ConfigError, TypeError) as e:
        logger.warning("operators not notified: config %s unusable (%s)", path, e)
        return
    recipients = [str(a) for a in config.operators.emails]
    if not recipients:
        return
    sender = str(config.smtp.sender) if config.smtp else "sop@localhost"
    msg = failure_message(flow.name, flow_run.name, str(flow_run.id), state.name,
                          state.message or "(no message)", config.operators.ui_url, sender,
                          recipients)
    try:
        if config.smtp:
            send_smtp(msg, config.smtp)
        else:
            write_eml(msg, outbox_dir(config.output_dir) / "operators" / f"{flow_run.id}.eml")
        logger.info("operators notified: %s", ", ".join(recipients))
    except (DeliveryError, OSError) as e:
        logger.warning("operators not notified: %s", e)
