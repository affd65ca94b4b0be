"""A failed run e-mails the operators (the flows' on_failure hook), with the run's link."""

from __future__ import annotations

import email
from email import policy

import pytest

from flows.monthly import monthly_cycle
from tests.flows.conftest import END, TODAY, write_config


def test_failed_run_notifies_operators_by_eml(tmp_path):
    import sqlite3
    erp = tmp_path / "empty.sqlite"
    sqlite3.connect(erp).close()
    cfg = write_config(tmp_path, f"sqlite:///{erp}",
                       operators={"emails": ["ops@example.com"], "ui_url": "http://ui.test"})
    with pytest.raises(Exception, match="table 'products' not found"):
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    files = list((tmp_path / "out" / "outbox" / "operators").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    body = msg.get_content()
    assert msg["To"] == "ops@example.com" and "monthly-cycle" in msg["Subject"]
    assert "table 'products' not found" in body and "http://ui.test/runs/flow-run/" in body
