"""`sop ops automations`: apply deployments/automations.yaml to the Prefect server in use.

The operators' notification block (`sop-operators`, a custom webhook posting JSON to
`operators.webhook_url`) is created or updated from the config, then each automation of the
file is created or, when one of the same name exists, updated in place: applying twice
leaves one of each.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml

from sop.config import load_config

AUTOMATIONS_FILE = Path(__file__).resolve().parent.parent / "deployments" / "automations.yaml"
BLOCK_NAME = "sop-operators"


def add_ops_parser(sub) -> None:
    ops = sub.add_parser("ops", help="operations: Prefect automations for the deployments")
    ops_sub = ops.add_subparsers(dest="ops_command", required=True)
    auto = ops_sub.add_parser("automations", help="create or update the operators' "
                              "notification block and the automations of deployments/")
    auto.add_argument("--config", required=True, help="YAML config file (operators.webhook_url)")
    auto.add_argument("--file", default=str(AUTOMATIONS_FILE), help="automations YAML file")
    auto.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                      help="show tracebacks on failure")


def automation_specs(path: str | Path, block_ids: dict[str, str]) -> list[dict[str, Any]]:
    """The automations of `path`, with each action's `block: NAME` replaced by the block
    document id; raises ValueError naming the automation and the unknown block."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    specs = raw.get("automations")
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"{path}: expected a non-empty list under 'automations'")
    out = []
    for spec in specs:
        actions = []
        for action in spec.get("actions", []):
            action = dict(action)
            if "block" in action:
                name = action.pop("block")
                if name not in block_ids:
                    raise ValueError(f"{path}: automation {spec.get('name')!r} uses block "
                                     f"{name!r}, which is not configured")
                action["block_document_id"] = block_ids[name]
            actions.append(action)
        out.append({**spec, "actions": actions})
    return out


def cmd_ops(args: argparse.Namespace) -> int:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    from sop.alerts.push import shown_url

    config = load_config(args.config, os.environ)
    url = config.operators.webhook_url
    if not url:
        print(f"no operators.webhook_url in {args.config}: automations not applied "
              "(failed runs still e-mail operators.emails through the flows' hook)")
        return 0
    block = CustomWebhookNotificationBlock(
        name="S&OP operators", url=url, allow_private_urls=True,
        json_data={"subject": "{{subject}}", "text": "{{body}}"})
    block_id = str(block.save(BLOCK_NAME, overwrite=True))
    specs = automation_specs(args.file, {BLOCK_NAME: block_id})
    with get_client(sync_client=True) as client:
        for spec in specs:
            automation = AutomationCore.model_validate(spec)
            existing = client.read_automations_by_name(automation.name)
            if existing:
                client.update_automation(existing[0].id, automation)
                for extra in existing[1:]:
                    client.delete_automation(extra.id)
                verb = "updated"
            else:
                client.create_automation(automation)
                verb = "created"
            print(f"automation {automation.name!r} {verb}: notifies {shown_url(url)}")
    return 0
