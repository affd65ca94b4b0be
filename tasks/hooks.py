"""Flow state hooks: e-mail the operators when a run fails or crashes (sop.runs)."""

from __future__ import annotations

import logging
import os

from prefect import get_run_logger
from prefect.exceptions import MissingContextError

from sop.config import ConfigError, load_config
from sop.mail import MailError, mailer_for
from sop.runs import notify_operators as notify


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
    try:
        sent = notify(config, mailer_for(config), flow.name, flow_run.name, str(flow_run.id),
                      state.name, state.message or "(no message)")
    except MailError as e:
        logger.warning("operators not notified: %s", e)
        return
    if sent:
        logger.info("operators notified: %s", ", ".join(sent))
