"""`sop items` end to end (exit codes, one-paragraph errors, --json parsed), and the
`send_item_reminders` task inside a flow on the Prefect test API with a real SMTP server."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta

import pytest
from prefect import flow

from cli.main import main
from sop.config import DEPARTMENTS, load_config
from sop.items.model import draft_item
from sop.items.store import add_item, change_item, stored_history
from sop.warehouse import alerts, upsert_rows, warehouse_engine
from tasks.items import send_item_reminders
from tests.flows.conftest import TODAY, write_config
from tests.integration.test_delivery_smtp import Recorder, start

SALES, SUPPLY, OWNER = "sales.head@example.com", "supply.head@example.com", "planner@example.com"
HEADS = {d: [f"{d}.head@example.com"] for d in DEPARTMENTS}
DAY = date.fromisoformat(TODAY)  # the day the CLI runs as (--today)
DUE = (DAY + timedelta(days=40)).isoformat()


@pytest.fixture
def cfg(tmp_path) -> str:
    return str(write_config(tmp_path, f"sqlite:///{tmp_path / 'unused-erp.sqlite'}"))


def sop(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--today", TODAY])
    out = capsys.readouterr()
    return code, out.out, out.err


def add(cfg: str, capsys, *extra: str) -> dict:
    code, out, err = sop(capsys, "items", "add", "--config", cfg, "--as", SALES, "--from",
                         "sales", "--period", "2026-10", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


BASIC = ("--to", "supply", "--requirement", "Raise Widgets safety stock to 6 weeks", "--due",
         DUE, "--standard", "weeks of supply >= 6", "--owner", OWNER)


def test_an_item_goes_through_its_whole_life_on_the_command_line(cfg, capsys):
    new = add(cfg, capsys, *BASIC)
    key = new["item_id"]
    assert key == "CI-2026-10-001" and new["status"] == "draft" and new["due"] == DUE
    for action, actor, status in (("sign", SUPPLY, "draft"), ("sign", SALES, "signed"),
                                  ("done", OWNER, "done"), ("verify", SALES, "verified")):
        code, out, err = sop(capsys, "items", action, key.lower(), "--config", cfg, "--as",
                             actor, "--note", f"{action} note", "--json")
        assert code == 0, err
        assert json.loads(out)["status"] == status
    code, out, _ = sop(capsys, "items", "show", key, "--config", cfg, "--json")
    shown = json.loads(out)
    assert shown["outcome"] == "done note" and shown["verified_at"]
    assert [h["action"] for h in shown["history"]] == ["add", "sign", "sign", "done", "verify"]
    assert [h["actor"] for h in shown["history"]] == [SALES, SUPPLY, SALES, OWNER, SALES]
    code, out, _ = sop(capsys, "items", "list", "--config", cfg)
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:3] == ["ID", "STATUS", "DUE"]
    assert row.split()[:7] == [key, "verified", DUE, "sales", "supply", OWNER, "both"]


REFUSALS = [
    (("done", "{key}", "--as", OWNER), "cannot mark {key} (draft, due {due}) done: it is draft; "
                                       "both heads must sign first"),
    (("sign", "{key}", "--as", OWNER), "is not a head of sales or supply"),
    (("verify", "{key}", "--as", SALES), "only a done item is verified"),
    (("cancel", "{key}", "--as", SUPPLY), "only a head of the requesting department cancels"),
    (("sign", "CI-2026-10-077", "--as", SALES), "unknown item CI-2026-10-077"),
    (("sign", "item-1", "--as", SALES), "'item-1' is not an item id"),
    (("list", "--department", "finance"), "unknown department 'finance'"),
    (("list", "--status", "open"), "unknown status 'open'"),
    (("list", "--period", "2026-13"), "YYYY-MM"),
    (("add", "--as", SALES, "--from", "sales", "--to", "hr", "--requirement", "r", "--due", DUE,
      "--standard", "s", "--owner", OWNER), "unknown responsible department 'hr'"),
    (("add", "--as", SALES, "--from", "sales", "--to", "supply", "--requirement", "r", "--due",
      "30/11/2026", "--standard", "s", "--owner", OWNER), "--due '30/11/2026' is not a date"),
    (("add", "--as", SALES, "--from", "sales", "--to", "supply", "--requirement", "r", "--due",
      "2020-01-01", "--standard", "s", "--owner", OWNER), "due date 2020-01-01 is in the past"),
    (("add", "--as", SALES, "--from", "sales", "--to", "supply", "--due", DUE),
     "add needs --requirement, --standard, --owner"),
]


@pytest.mark.parametrize(("argv", "message"), REFUSALS,
                         ids=[f"{a[0]}-{i}" for i, (a, _) in enumerate(REFUSALS)])
def test_refusals_are_one_paragraph_and_exit_1(cfg, capsys, argv, message):
    key = add(cfg, capsys, *BASIC)["item_id"]
    action, *rest = (a.format(key=key) for a in argv)
    code, out, err = sop(capsys, "items", action, "--config", cfg, *rest)
    assert code == 1 and out == ""
    assert err.startswith(f"sop items {action}: ") and err.count("\n") == 1
    assert message.format(key=key, due=DUE) in err and "Traceback" not in err


def test_list_filters_by_department_status_and_period(cfg, capsys, tmp_path):
    engine = warehouse_engine(load_config(cfg, os.environ).warehouse.url)
    past = DAY - timedelta(days=60)
    late = add_item(engine, draft_item(
        period="2026-09", requesting="supply", responsible="procurement", requirement="late",
        due=DAY - timedelta(days=2), standard="s", owner=OWNER, actor=SUPPLY,
        at=datetime(past.year, past.month, past.day), today=past)).item_id
    for actor in (SUPPLY, "procurement.head@example.com"):
        change_item(engine, late, "sign", actor, HEADS, datetime(DAY.year, DAY.month, DAY.day))
    engine.dispose()
    mine = add(cfg, capsys, *BASIC)["item_id"]

    def listed(*filters: str) -> list[tuple[str, str]]:
        code, out, err = sop(capsys, "items", "list", "--config", cfg, "--json", *filters)
        assert code == 0, err
        return [(r["item_id"], r["status"]) for r in json.loads(out)]

    assert listed() == [(late, "overdue"), (mine, "draft")]
    assert listed("--status", "overdue") == [(late, "overdue")]
    assert listed("--department", "supply") == [(late, "overdue"), (mine, "draft")]
    assert listed("--department", "procurement") == [(late, "overdue")]
    assert listed("--department", "marketing") == []
    assert listed("--period", "2026-10") == [(mine, "draft")]
    code, out, _ = sop(capsys, "items", "list", "--config", cfg, "--status", "cancelled")
    assert (code, out) == (0, "no coordination items match\n")


def _alert(cfg: str, key: str, **over) -> None:
    engine = warehouse_engine(load_config(cfg, os.environ).warehouse.url)
    with engine.begin() as conn:
        upsert_rows(conn, alerts, [{
            "alert_key": key, "rule": "stockout", "entity": "W-1@DC-N", "severity": "high",
            "state": "open", "message": "W-1 at DC-N runs out in December", "cause": "demand",
            "owners": "sales,supply", "first_seen": "2026-10", "last_seen": "2026-10",
            "figures": json.dumps({"closing": -120.0, "weeks_of_supply": 0.4}),
            "updated_at": datetime.now(), **over}])
    engine.dispose()


def test_an_open_high_alert_becomes_a_prefilled_draft_once(cfg, capsys):
    _alert(cfg, "stockout:W-1@DC-N")
    _alert(cfg, "stockout:W-2@DC-N", severity="medium")
    new = add(cfg, capsys, "--from-alert", "stockout:W-1@DC-N", "--due", DUE)
    assert new["requirement"] == "W-1 at DC-N runs out in December"
    assert (new["responsible"], new["owner"], new["alert_key"]) == (
        "supply", SUPPLY, "stockout:W-1@DC-N")
    assert "closing=-120.0, weeks_of_supply=0.4" in new["standard"]
    code, out, _ = sop(capsys, "items", "show", new["item_id"], "--config", cfg, "--json")
    assert "from alert stockout:W-1@DC-N (high, cause demand)" in json.loads(out)[
        "history"][0]["note"]
    for key, message in (("stockout:W-1@DC-N", f"already has item {new['item_id']} (draft)"),
                         ("stockout:W-2@DC-N", "is medium severity"),
                         ("nope", "unknown alert 'nope'")):
        code, _, err = sop(capsys, "items", "add", "--config", cfg, "--as", SALES, "--from",
                           "sales", "--from-alert", key, "--due", DUE)
        assert code == 1 and message in err


@flow(name="test-item-reminders")
def remind(config_path: str, today: date) -> list[dict]:
    return send_item_reminders(load_config(config_path, os.environ), today)


def test_the_reminder_task_retries_a_transient_refusal_and_never_sends_twice(tmp_path):
    handler = Recorder(refuse=1)
    controller, port = start(handler)
    try:
        cfg = write_config(tmp_path, f"sqlite:///{tmp_path / 'erp.sqlite'}", smtp={
            "host": "127.0.0.1", "port": port, "sender": "sop@example.com"})
        engine = warehouse_engine(load_config(cfg, os.environ).warehouse.url)
        start_day = date(2026, 11, 1)
        key = add_item(engine, draft_item(
            period="2026-10", requesting="sales", responsible="supply", requirement="r",
            due=date(2026, 11, 6), standard="s", owner=OWNER, actor=SALES,
            at=datetime(2026, 11, 1), today=start_day)).item_id
        for actor in (SALES, SUPPLY):
            change_item(engine, key, "sign", actor, HEADS, datetime(2026, 11, 1))
        engine.dispose()
        fast = send_item_reminders.with_options(retry_delay_seconds=0)
        sent = flow(name="test-item-reminders-fast")(
            lambda: fast(load_config(cfg, os.environ), date(2026, 11, 4)))()
        assert [(r["item_id"], r["kind"]) for r in sent] == [(key, "due_soon")]
        assert handler.keys() == [f"item/{key}/due_soon"]  # refused once, then sent once
        assert remind(str(cfg), date(2026, 11, 4)) == []
        assert [r["kind"] for r in remind(str(cfg), date(2026, 11, 7))] == ["overdue"]
        assert remind(str(cfg), date(2026, 11, 9)) == []
        assert handler.keys() == [f"item/{key}/due_soon", f"item/{key}/overdue"]
        engine = warehouse_engine(load_config(cfg, os.environ).warehouse.url)
        assert list(stored_history(engine)["action"]) == ["add", "sign", "sign"]
        engine.dispose()
    finally:
        controller.stop()
