"""The monthly cycle mailing through a real SMTP server on loopback: once per recipient;
transient refusals are retried inside the task; a permanent refusal fails the run and the
next run sends what is still owed. Each message carries the whole packet (text, HTML with
inline charts, PDF, workbook); each packet is archived and published as an artifact.
Alert e-mails are switched off here: they go through the same server and are tested with
the alert push."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from flows.monthly import monthly_cycle
from sop.config import DEPARTMENTS
from tests.flows.conftest import END, TODAY, write_config
from tests.integration.test_delivery_smtp import Recorder, start

pytestmark = pytest.mark.integration


NO_ALERT_MAIL = {"email": False, "prefect_events": False}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def smtp_config(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "security": "none",
            "sender": "sop@example.com", "timeout_seconds": 10}


def attempts(folder) -> list[tuple[str, int]]:
    eng = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with eng.connect() as c:
        rows = c.execute(sa.text("SELECT status, attempts FROM sop_deliveries")).fetchall()
    eng.dispose()
    return [(r[0], r[1]) for r in rows]


def test_transient_refusals_are_retried_and_each_head_gets_one_mail(tmp_path, demo_erp):
    handler = Recorder(refuse=2)  # 451: transient
    controller, port = start(handler)
    try:
        departments = {d: {"heads": [f"{d}.head@example.com"]} for d in DEPARTMENTS}
        departments["sales_admin"]["locale"] = "zh"
        cfg = write_config(tmp_path, demo_erp, smtp=smtp_config(port), alerts=NO_ALERT_MAIL,
                           departments=departments)
        result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
        # the retry inside the task sends only the two refused ones
        assert sorted(result["deliveries"]) == ["already_sent"] * 4 + ["sent"] * 2
        keys = handler.keys()
        assert len(set(keys)) == len(keys) == len(DEPARTMENTS)
        subjects = {m["Subject"] for m in handler.messages}
        assert {f"[S&OP {END}] Sales briefing", f"[S&OP {END}] 销管部 briefing"} <= subjects
        assert sum(a for _, a in attempts(tmp_path)) == len(DEPARTMENTS) + 2
        for msg in handler.messages:
            check_message(msg)
        check_archive_and_artifacts(tmp_path / "out" / "packets" / END)
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
        assert len(handler.messages) == len(DEPARTMENTS)
    finally:
        controller.stop()


def check_message(msg) -> None:
    """The whole packet: text and HTML (inline charts by Content-ID), PDF and workbook."""
    assert msg.get_content_type() == "multipart/mixed" and len(msg.as_bytes()) < 5 * 2**20
    html = msg.get_body(("html",)).get_content()
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"}
    assert cids and set(re.findall(r'src="cid:([^"]+)"', html)) == cids
    assert msg.get_body(("plain",)).get_content().strip()
    kinds = {p.get_content_type(): p.get_content() for p in msg.iter_attachments()}
    assert set(kinds) == {"application/pdf", XLSX}
    assert kinds["application/pdf"].startswith(b"%PDF")
    openpyxl.load_workbook(io.BytesIO(kinds[XLSX]))


def check_archive_and_artifacts(folder) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    for dept in DEPARTMENTS:
        files = {p.name for p in (folder / dept).iterdir()}
        assert {"packet.html", "packet.pdf", "packet.xlsx", f"{dept}.head@example.com.eml"} <= files
        pngs = {f for f in files if f.endswith(".png")}
        page = (folder / dept / "packet.html").read_text()
        assert pngs and set(re.findall(r'<img[^>]* src="([^"]+)"', page)) == pngs
    keys = [f"packet-{d.replace('_', '-')}" for d in DEPARTMENTS]
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=keys)))
    latest = {a.key: a for a in sorted(found, key=lambda a: a.created)}
    assert set(latest) == set(keys)
    assert "packet.pdf" in latest["packet-sales-admin"].data
    assert "较上月变化最大的三项" in latest["packet-sales-admin"].data


def test_permanent_refusal_fails_the_run_and_the_next_run_sends_what_is_owed(tmp_path, demo_erp):
    handler = Recorder(refuse=10_000, reply="550 5.7.1 Relaying denied")
    controller, port = start(handler)
    try:
        cfg = write_config(tmp_path, demo_erp, smtp=smtp_config(port), alerts=NO_ALERT_MAIL)
        with pytest.raises(Exception, match="550"):
            monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
        assert handler.messages == []
        assert {s for s, _ in attempts(tmp_path)} == {"failed"}
        handler.refuse = 0
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
        keys = handler.keys()
        assert len(set(keys)) == len(keys) == len(DEPARTMENTS)
        assert {s for s, _ in attempts(tmp_path)} == {"sent"}
    finally:
        controller.stop()
