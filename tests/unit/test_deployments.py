"""deployments/prefect.yaml: every entrypoint resolves to a flow and every parameter matches
its signature (the Dagster-style 'definitions load' test)."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
SPEC = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
NAMES = [d["name"] for d in SPEC["deployments"]]


def load_flow(entrypoint: str):
    path, func = entrypoint.split(":")
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, func)


def test_the_five_deployments_exist():
    assert sorted(NAMES) == ["annual-budget", "ingest-validate", "monthly-cycle",
                             "replan-supply", "watch-divergence"]


@pytest.mark.parametrize("deployment", SPEC["deployments"], ids=NAMES)
def test_entrypoint_is_a_flow_and_parameters_match(deployment):
    from prefect import Flow

    flow = load_flow(deployment["entrypoint"])
    assert isinstance(flow, Flow), deployment["entrypoint"]
    sig = inspect.signature(flow.fn)
    params = deployment["parameters"]
    assert set(params) <= set(sig.parameters), set(params) - set(sig.parameters)
    required = {n for n, p in sig.parameters.items() if p.default is inspect.Parameter.empty}
    assert required <= set(params), required - set(params)
    resolved = {k: ("sop.yaml" if isinstance(v, str) and "{{" in v else v)
                for k, v in params.items()}
    flow.validate_parameters(resolved)  # types match the signature
    assert deployment["concurrency_limit"] == 1
    assert deployment["work_pool"]["name"] == "sop-process"
    assert deployment.get("schedules") or deployment.get("triggers"), \
        "every deployment runs on a schedule or an event"
    for schedule in deployment.get("schedules", []):
        assert schedule["timezone"] == "{{ $SOP_TIMEZONE }}"


def test_approval_triggers_the_replan_with_the_events_period_and_revision():
    """The trigger validates as Prefect reads it, expects the event `sop consensus approve`
    emits, and maps its payload onto the flow's parameters."""
    from prefect.events.schemas.deployment_triggers import DeploymentTriggerTypes
    from pydantic import TypeAdapter

    from cli.consensus import APPROVED_EVENT

    spec = next(d for d in SPEC["deployments"] if d["name"] == "replan-supply")
    (trigger,) = [TypeAdapter(DeploymentTriggerTypes).validate_python(t)
                  for t in spec["triggers"]]
    assert trigger.expect == {APPROVED_EVENT}
    assert trigger.parameters == {"period": "{{ event.payload.period }}",
                                  "revision": "{{ event.payload.revision }}"}
    flow = load_flow(spec["entrypoint"])
    assert set(trigger.parameters) | set(spec["parameters"]) <= set(
        inspect.signature(flow.fn).parameters)


def test_automations_file_validates_against_prefect_with_the_block_resolved(tmp_path):
    from uuid import uuid4

    from prefect.events.schemas.automations import AutomationCore

    from cli.ops import AUTOMATIONS_FILE, BLOCK_NAME, automation_specs

    block_id = str(uuid4())
    specs = automation_specs(AUTOMATIONS_FILE, {BLOCK_NAME: block_id})
    autos = [AutomationCore.model_validate(s) for s in specs]
    assert [a.name for a in autos] == ["sop-run-failed"]
    trigger = autos[0].trigger
    assert set(trigger.expect) == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    assert [str(a.block_document_id) for a in autos[0].actions] == [block_id]
    # every deployment carries the tag the trigger matches on
    tags = {tuple(d["tags"]) for d in SPEC["deployments"]}
    assert all("sop" in t for t in tags)

    bad = tmp_path / "a.yaml"
    bad.write_text(AUTOMATIONS_FILE.read_text().replace("block: sop-operators", "block: nope"))
    with pytest.raises(ValueError, match="'nope'"):
        automation_specs(bad, {BLOCK_NAME: block_id})
