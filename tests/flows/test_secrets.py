"""No secret reaches storage: a whole cycle with distinctive secrets (SMTP password, webhook
token, warehouse password, all from the environment) and results persisted as for the UI's
Retry; then every place the run wrote to is searched for them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from flows.monthly import monthly_cycle
from tests.flows.conftest import END, TODAY, write_config
from tests.integration.test_delivery_smtp import Recorder, start
from tests.webhook import WebhookReceiver

SMTP_PW, HOOK_TOKEN, WH_PW = "smtp-Pw-7f2c91", "hook-Tok-9d41e7", "wh-Pw-55aa30"


def _contents(path) -> bytes:
    """A file's bytes; for a Prefect result record, also its decoded (pickled) result."""
    raw = path.read_bytes()
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw
    if isinstance(record, dict) and isinstance(record.get("result"), str):
        return raw + base64.b64decode(record["result"])
    return raw


def _found_in_prefect(since, secrets: tuple[str, ...]) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTimestamp
    from prefect.events.filters import EventFilter, EventOccurredFilter

    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(timestamp=LogFilterTimestamp(after_=since)),
                                limit=200)
        texts = [log.message for log in logs]
        artifacts = client.read_artifacts(limit=200)
        texts += [f"{a.key} {a.description} {a.data}" for a in artifacts]
        page = client.read_events(filter=EventFilter(occurred=EventOccurredFilter(since=since)),
                                  limit=50)
        events = list(page.events)
        while page.next_page and len(events) < 2000:
            page = client.read_events_page(page.next_page)
            events += page.events
        texts += [e.model_dump_json() for e in events]
    assert logs and artifacts and events  # the run did write to each
    return [s for s in secrets for t in texts if s in t]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_cycle_leaves_no_secret_in_results_warehouse_mail_logs_or_artifacts(
        tmp_path, demo_erp, pg_url, monkeypatch):
    from aiosmtpd.smtp import AuthResult
    from prefect.settings import (
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.password == SMTP_PW.encode(), handled=False)

    smtp = Recorder()
    controller, port = start(smtp, authenticator=authenticator, auth_require_tls=False,
                             auth_required=True)
    hook = WebhookReceiver(path=f"/hook/{HOOK_TOKEN}")
    warehouse = sa.engine.make_url(pg_url).set(password=WH_PW)  # trust: accepted, unused
    monkeypatch.setenv("SOP_T_SMTP_PW", SMTP_PW)
    monkeypatch.setenv("SOP_T_HOOK", hook.url)
    monkeypatch.setenv("SOP_T_WH", warehouse.render_as_string(hide_password=False))
    cfg = write_config(tmp_path, demo_erp, smtp={
        "host": "127.0.0.1", "port": port, "sender": "sop@example.com", "username": "sop",
        "password": "${SOP_T_SMTP_PW}"}, alerts={"webhook_url": "${SOP_T_HOOK}"})
    cfg.write_text(cfg.read_text().replace(f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
                                           "${SOP_T_WH}"))
    storage = tmp_path / "results"
    since = datetime.now(UTC)
    try:
        with temporary_settings({PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
                                 PREFECT_LOCAL_STORAGE_PATH: storage}):
            result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    finally:
        controller.stop()
        hook.close()
    assert result["deliveries"] == ["sent"] * 6 and hook.posts and len(smtp.messages) > 6
    secrets = (SMTP_PW, HOOK_TOKEN, WH_PW)

    stored = [p for p in storage.rglob("*") if p.is_file()]
    assert len(stored) > 10  # results were persisted: resolve-config's among them
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "sop.yaml"]
    leaks = [(str(p), s) for p in files for s in secrets if s.encode() in _contents(p)]
    assert leaks == []

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t.startswith("sop_")]
        dump = " ".join(str(conn.execute(sa.text(f"SELECT * FROM {t}")).all()) for t in tables)
    engine.dispose()
    assert len(tables) >= 14 and [s for s in secrets if s in dump] == []
    assert [str(m) for m in smtp.messages if any(s in str(m) for s in secrets)] == []
    assert _found_in_prefect(since, secrets) == []
