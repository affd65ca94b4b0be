"""Coordination items in a real warehouse: SQLite, PostgreSQL and MariaDB (fresh databases
from the machine's servers). Ids, transitions and their history in one transaction."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from sop.config import DEPARTMENTS
from sop.items.model import ItemError, draft_item, items_for_department
from sop.items.store import (
    add_item,
    change_item,
    normalized_id,
    record_reminder,
    sent_reminders,
    stored_alert,
    stored_history,
    stored_item,
    stored_items,
)
from sop.warehouse import alerts, upsert_rows, warehouse_engine

pytestmark = pytest.mark.integration

HEADS = {d: [f"{d}.head@example.com"] for d in DEPARTMENTS}
SALES, SUPPLY, OWNER = "sales.head@example.com", "supply.head@example.com", "planner@example.com"
TODAY = date(2026, 11, 3)


def at(day: int, hour: int = 9, micro: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, 0, 0, micro)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def engine(request, tmp_path):
    url = {"sqlite": lambda: f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
           "postgresql": lambda: request.getfixturevalue("pg_url"),
           "mariadb": lambda: request.getfixturevalue("mysql_url")}[request.param]()
    eng = warehouse_engine(url)
    yield eng
    eng.dispose()


def draft(period: str = "2026-10", **over):
    fields = dict(period=period, requesting="sales", responsible="supply",
                  requirement="Raise safety stock of Widgets to 6 weeks", due=date(2026, 11, 30),
                  standard="weeks of supply >= 6", owner=OWNER, actor=SALES,
                  at=at(3, micro=123456), today=TODAY)
    return draft_item(**{**fields, **over})


def test_ids_are_numbered_per_period(engine):
    ids = [add_item(engine, draft(p)).item_id for p in ("2026-10", "2026-10", "2026-11",
                                                         "2026-10")]
    assert ids == ["CI-2026-10-001", "CI-2026-10-002", "CI-2026-11-001", "CI-2026-10-003"]
    assert normalized_id(" ci-2026-10-002") == "CI-2026-10-002"
    assert stored_item(engine, "ci-2026-11-001").period == "2026-11"


def test_an_item_lives_its_whole_life_and_every_change_is_history(engine):
    item = add_item(engine, draft(), note="agreed at the October meeting")
    key = item.item_id
    steps = [("sign", SUPPLY, None, at(4)), ("sign", SALES, None, at(5)),
             ("done", OWNER, "6.4 weeks in the December balance", at(20)),
             ("verify", SALES, "accepted", at(21))]
    for action, actor, note, when in steps:
        item = change_item(engine, key, action, actor, HEADS, when, note)
    stored = stored_item(engine, key)
    assert stored == item
    assert (stored.status, stored.revision, stored.outcome) == (
        "verified", 4, "6.4 weeks in the December balance")
    assert stored.responsible_signed_at == at(4) and stored.done_at == at(20)
    assert stored.created_at == at(3)  # whole seconds on every backend
    history = stored_history(engine, key)
    assert list(history["action"]) == ["add", "sign", "sign", "done", "verify"]
    assert list(history["actor"]) == [SALES, SUPPLY, SALES, OWNER, SALES]
    assert list(history["from_status"].fillna("-")) == ["-", "draft", "draft", "signed", "done"]
    assert list(history["to_status"]) == ["draft", "draft", "signed", "done", "verified"]
    assert list(history["note"].fillna("")) == [
        "agreed at the October meeting", "signed for supply", "signed for sales",
        "6.4 weeks in the December balance", "accepted"]
    assert [t.to_pydatetime() for t in history["at"]] == [at(3), at(4), at(5), at(20), at(21)]


def test_a_refused_change_writes_nothing(engine):
    key = add_item(engine, draft()).item_id
    with pytest.raises(ItemError, match=rf"cannot mark {key} \(draft, due 2026-11-30\) done"):
        change_item(engine, key, "done", OWNER, HEADS, at(4))
    with pytest.raises(ItemError, match="is not a head of sales or supply"):
        change_item(engine, key, "sign", OWNER, HEADS, at(4))
    item = stored_item(engine, key)
    assert (item.status, item.revision, item.requesting_signed_by) == ("draft", 0, None)
    assert list(stored_history(engine)["action"]) == ["add"]


def test_unknown_items_are_named(engine):
    with pytest.raises(ItemError, match="unknown item CI-2026-10-042"):
        change_item(engine, "CI-2026-10-042", "sign", SALES, HEADS, at(4))
    with pytest.raises(ItemError, match="unknown item CI-2026-10-042"):
        stored_item(engine, "ci-2026-10-042")
    with pytest.raises(ItemError, match="not an item id"):
        stored_item(engine, "42")


def test_the_stored_frame_feeds_the_packets(engine):
    late = add_item(engine, draft(due=date(2026, 11, 10))).item_id
    soon = add_item(engine, draft(due=date(2026, 11, 25))).item_id
    asked = add_item(engine, draft(requesting="supply", responsible="sales",
                                   actor=SUPPLY)).item_id
    for key in (late, soon):
        change_item(engine, key, "sign", SALES, HEADS, at(4))
        change_item(engine, key, "sign", SUPPLY, HEADS, at(4))
    frame = stored_items(engine)
    assert list(frame["item_id"]) == [late, soon, asked]
    supply = items_for_department(frame, "supply", "2026-10", date(2026, 11, 12))
    assert [(r["item_id"], r["status"]) for r in supply["owed"]] == [
        (late, "overdue"), (soon, "signed")]
    assert [r["item_id"] for r in supply["asked"]] == [asked]
    assert supply["owed"][0]["requesting_signed_by"] == SALES


def test_concurrent_adds_get_distinct_ids(engine):
    errors: list[BaseException] = []

    def add() -> None:
        try:
            add_item(engine, draft())
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=add) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(stored_items(engine)["item_id"]) == [f"CI-2026-10-{n:03d}" for n in range(1, 11)]
    assert len(stored_history(engine)) == 10


def test_an_alert_becomes_at_most_one_live_item(engine):
    with engine.begin() as conn:
        upsert_rows(conn, alerts, [{
            "alert_key": "stockout:W-1@DC-N", "rule": "stockout", "entity": "W-1@DC-N",
            "severity": "high", "state": "open", "message": "W-1 runs out", "cause": "demand",
            "owners": "supply", "figures": '{"closing": -120.0}', "first_seen": "2026-10",
            "last_seen": "2026-10", "updated_at": at(1)}])
    alert = stored_alert(engine, "stockout:W-1@DC-N")
    assert alert["figures"] == {"closing": -120.0} and alert["owners"] == "supply"
    with pytest.raises(ItemError, match="unknown alert 'nope'"):
        stored_alert(engine, "nope")
    first = add_item(engine, draft(alert_key="stockout:W-1@DC-N")).item_id
    with pytest.raises(ItemError, match=f"already has item {first} \\(draft\\)"):
        add_item(engine, draft(alert_key="stockout:W-1@DC-N"))
    change_item(engine, first, "cancel", SALES, HEADS, at(4), "superseded")
    second = add_item(engine, draft(alert_key="stockout:W-1@DC-N"))
    assert second.item_id == "CI-2026-10-002" and second.alert_key == "stockout:W-1@DC-N"


def test_reminders_are_recorded_once_per_item_and_kind(engine):
    row = {"item_id": "CI-2026-10-001", "kind": "due_soon", "recipients": OWNER,
           "channel": "file", "message_id": "<m@x>", "location": "/tmp/x.eml", "sent_at": at(4)}
    record_reminder(engine, row)
    record_reminder(engine, {**row, "sent_at": at(5)})
    record_reminder(engine, {**row, "kind": "overdue"})
    sent = sent_reminders(engine)
    assert sorted(zip(sent["item_id"], sent["kind"], strict=True)) == [
        ("CI-2026-10-001", "due_soon"), ("CI-2026-10-001", "overdue")]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM sop_item_reminders")).scalar() == 2
