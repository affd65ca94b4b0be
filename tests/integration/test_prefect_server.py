"""The operator's path on a real Prefect server (on the machine's PostgreSQL), as `make server`
sets it up: work pool, `prefect deploy` of deployments/prefect.yaml, the automations of
deployments/automations.yaml, a process worker with persisted results.

The monthly cycle runs from its deployment while the mail server refuses every message
(554, permanent): the run fails in delivery (the alert digests go first), the automation calls the operators' webhook, and
the run's page in the real UI (headless Chromium) shows the failure, the reason in its log,
and its Retry action (screenshot `failed-run.png` in the test's tmp dir).
Then the mail server accepts, and the run is retried through the call the UI's Retry makes
(state Scheduled/AwaitingRetry, forced): extract, validate and plan come back Cached (their
persisted results are references to the run's snapshot, which the retry reads although the
source has lost its order lines meanwhile), each packet is mailed once, the run completes; a
second forced retry sends nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml

from sop.config import DEPARTMENTS
from tests.conftest import PG_ADMIN_URL, _scratch_database, free_port
from tests.flows.conftest import TODAY
from tests.integration.chromium import start_chromium
from tests.integration.test_delivery_smtp import Recorder, start
from tests.webhook import WebhookReceiver

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
END = "2026-10"
REFUSED = "554 5.3.2 Mail system not accepting messages"
CACHED_ON_RETRY = ("extract-datasets", "gate-datasets", "stage-datasets", "build-plan")


@dataclass
class Server:
    api: str
    ui: str
    env: dict[str, str]
    database_url: str
    smtp: Recorder
    webhook: WebhookReceiver
    logs: Path
    erp_url: str = ""
    results: Path = Path()
    snapshots: Path = Path()


def _wait_healthy(api: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Prefect server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"Prefect server not healthy after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _prefect(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    from sop.demo import generate_erp

    home = tmp_path_factory.mktemp("prefect-server")
    erp = f"sqlite:///{home / 'erp.sqlite'}"
    generate_erp(erp, scale="small", seed=7, end=END)
    databases = _scratch_database(PG_ADMIN_URL, '"')
    pg_url = next(databases)
    port = free_port()
    api, ui = f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{port}"
    smtp = Recorder(refuse=10**6, reply=REFUSED)
    controller, smtp_port = start(smtp)
    webhook = WebhookReceiver("/operators")
    cfg = home / "sop.yaml"
    cfg.write_text(yaml.safe_dump({
        "sources": {"erp": {"url": erp}},
        "warehouse": {"url": f"sqlite:///{home / 'warehouse.sqlite'}"},
        "output_dir": str(home / "out"),
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                 "sender": "sop@example.com", "timeout_seconds": 10},
        "departments": {d: {"heads": [f"{d}.head@example.com"]} for d in DEPARTMENTS},
        "alerts": {"prefect_events": False},
        "operators": {"webhook_url": webhook.url, "ui_url": ui},
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(home / "home"), "PREFECT_API_URL": api,
        "PREFECT_SERVER_DATABASE_CONNECTION_URL":
            sa.engine.make_url(pg_url).set(drivername="postgresql+asyncpg")
            .render_as_string(hide_password=False),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "SOP_CONFIG": str(cfg), "SOP_PROJECT_DIR": str(ROOT), "SOP_TIMEZONE": "UTC",
    })
    logs = home / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []
    try:
        with open(logs / "server.log", "w") as out:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                 "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait_healthy(api, procs[0], logs / "server.log")
        _prefect(env, "work-pool", "create", "sop-process", "--type", "process")
        _prefect(env, "--no-prompt", "deploy", "--prefect-file", "deployments/prefect.yaml",
                 "--all")
        applied = subprocess.run([sys.executable, "-m", "cli.main", "ops", "automations",
                                  "--config", str(cfg)], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert applied.returncode == 0, applied.stderr
        with open(logs / "worker.log", "w") as out:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", "sop-process"],
                cwd=ROOT, env={**env, "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true"},
                stdout=out, stderr=subprocess.STDOUT))
        yield Server(api, ui, env, pg_url, smtp, webhook, logs, erp, home / "results",
                     home / "out" / "snapshots")
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        controller.stop()
        webhook.close()
        databases.close()


def _client(server: Server):
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(api=server.api)


def _wait_final(server: Server, run_id, timeout: float = 600):
    with _client(server) as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if run.state and run.state.is_final():
                return run
            time.sleep(2)
    worker = (server.logs / "worker.log").read_text()[-4000:]
    pytest.fail(f"flow run {run_id} not finished after {timeout:.0f} s; worker log:\n{worker}")


def _retry_as_the_ui_does(server: Server, run_id) -> None:
    from prefect.states import Scheduled

    with _client(server) as client:
        result = client.set_flow_run_state(
            run_id, Scheduled(name="AwaitingRetry", message="Retry from the UI"), force=True)
    assert result.status.value == "ACCEPT", result


def _task_states(server: Server, run_id) -> list[tuple[str, str]]:
    """(task name, state name) of every task run of the flow run, oldest first."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with _client(server) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[run_id])))
    runs.sort(key=lambda r: r.expected_start_time or r.created)
    return [(r.name.rsplit("-", 1)[0], r.state.name if r.state else "") for r in runs]


def _persisted_references(storage: Path) -> list[tuple[str, int]]:
    """(type, bytes) of each persisted task result that holds the run's datasets."""
    import base64
    import json

    import cloudpickle

    from sop.ingest.snapshot import Frames
    from sop.quality.quarantine import QualityGate

    found = []
    for path in storage.rglob("*"):
        try:
            record = json.loads(path.read_text())
            value = cloudpickle.loads(base64.b64decode(record["result"]))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            continue  # not a result record
        if isinstance(value, QualityGate):
            assert isinstance(value.frames, Frames)
        if isinstance(value, Frames | QualityGate):
            found.append((type(value).__name__, path.stat().st_size))
    return found


def test_failed_run_is_retried_from_the_ui_and_mails_each_packet_once(server, tmp_path):
    with _client(server) as client:
        deployment = client.read_deployment_by_name("monthly-cycle/monthly-cycle")
        run = client.create_flow_run_from_deployment(deployment.id, parameters={"period": END, "today": TODAY})

    # 1. The mail server refuses: the run fails in delivery, with the reason as its message.
    failed = _wait_final(server, run.id)
    assert failed.state.name == "Failed", failed.state
    assert "554" in failed.state.message, failed.state.message
    assert server.smtp.messages == []

    # 2. The operators hear of it from the server's automation (not only the flow's hook).
    deadline = time.monotonic() + 90
    while not server.webhook.posts and time.monotonic() < deadline:
        time.sleep(1)
    assert server.webhook.posts, "the automation did not call the operators' webhook"
    note = server.webhook.posts[0]
    assert failed.name in note["text"] and "Failed" in note["subject"]
    assert f"/runs/flow-run/{run.id}" in note["text"]

    # 3. The run's page in the real UI shows the failure and the Retry action.
    chromium = start_chromium(tmp_path / "chromium-profile")
    try:
        shot = tmp_path / "failed-run.png"
        chromium.wait_for_text(f"{server.ui}/runs/flow-run/{run.id}",
                               (failed.name, "Failed", "Retry", "554"), shot)
        assert shot.stat().st_size > 10_000
    finally:
        chromium.close()

    # 4. Mail accepted again; retried as the UI does: finished work comes back Cached. The
    # source loses its order lines first: a retry plans on the run's snapshot, not on what
    # the sources hold by then (a fresh extract would stop at the quality gate).
    erp = sa.create_engine(server.erp_url)
    with erp.begin() as conn:
        conn.execute(sa.text("DELETE FROM sales_orders"))
    erp.dispose()
    server.smtp.refuse = 0
    _retry_as_the_ui_does(server, run.id)
    done = _wait_final(server, run.id)
    assert done.state.name == "Completed", done.state
    states = _task_states(server, run.id)
    cached = {name for name, state in states if state == "Cached"}
    assert set(CACHED_ON_RETRY) <= cached, states
    sent = [name for name, state in states if name == "send-packets" and state == "Completed"]
    assert len(sent) == 1, states
    # The persisted results the Retry read are references to the snapshot, not frames.
    references = _persisted_references(server.results)
    assert [kind for kind, _ in references].count("Frames") >= 2, references  # extract, stage
    assert "QualityGate" in {kind for kind, _ in references}, references
    assert all(size < 64_000 for _, size in references), references
    assert any(server.snapshots.rglob("sales_orders/*.parquet"))

    keys = [m["X-SOP-Key"] for m in server.smtp.messages]
    packets = [k for k in keys if k.startswith(f"{END}/")]  # period/department/recipient
    assert len(packets) == len(set(packets)) == len(DEPARTMENTS)
    digests = [m["To"] for m, k in zip(server.smtp.messages, keys, strict=True)
               if k.startswith("alerts/")]
    assert digests and len(digests) == len(set(digests))  # alert digests: once per head
    ids = [m["Message-ID"] for m in server.smtp.messages]
    assert len(ids) == len(set(ids))

    # 5. A forced retry of the completed run changes nothing and sends nothing.
    before = len(server.smtp.messages)
    _retry_as_the_ui_does(server, run.id)
    again = _wait_final(server, run.id)
    assert again.state.name == "Completed", again.state
    assert len(server.smtp.messages) == before

    # The server kept all of this in PostgreSQL.
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM flow_run")).scalar() >= 1
            assert conn.execute(sa.text("SELECT count(*) FROM task_run")).scalar() >= 1
    finally:
        engine.dispose()
