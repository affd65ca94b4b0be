"""Item reminders through a real SMTP server (aiosmtpd on loopback) and a real SQLite
warehouse: each (item, kind) once, across re-runs; a refused one is sent on the next run."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sop.config import DEPARTMENTS, SmtpConfig
from sop.items.model import draft_item
from sop.items.reminders import deliver_reminders
from sop.items.store import add_item, change_item, sent_reminders
from sop.mail import Mailer, MailError
from sop.warehouse import warehouse_engine
from tests.integration.test_delivery_smtp import Recorder, mailer, start

pytestmark = pytest.mark.integration

HEADS = {d: [f"{d}.head@example.com"] for d in DEPARTMENTS}
SALES, SUPPLY = "sales.head@example.com", "supply.head@example.com"
START = date(2026, 11, 1)


@pytest.fixture
def engine(tmp_path):
    eng = warehouse_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    yield eng
    eng.dispose()


def item(engine, due: date, owner: str, sign: bool = True, done: bool = False) -> str:
    draft = draft_item(period="2026-10", requesting="sales", responsible="supply",
                       requirement=f"Item owed by {owner}", due=due, standard="as agreed",
                       owner=owner, actor=SALES, at=datetime(2026, 11, 1, 9), today=START)
    key = add_item(engine, draft).item_id
    for actor in ((SALES, SUPPLY) if sign else ()):
        change_item(engine, key, "sign", actor, HEADS, datetime(2026, 11, 1, 10))
    if done:
        change_item(engine, key, "done", owner, HEADS, datetime(2026, 11, 2, 10))
    return key


def smtp(port: int) -> Mailer:
    return mailer(SmtpConfig(host="127.0.0.1", port=port, sender="sop@example.com",
                             timeout_seconds=10))


@pytest.fixture
def book(engine):
    """On 2026-11-05: soon is due in 2 days, late was due yesterday; the others owe nothing."""
    return {
        "soon": item(engine, date(2026, 11, 7), "ann@example.com"),
        "late": item(engine, date(2026, 11, 4), "bob@example.com"),
        "draft": item(engine, date(2026, 11, 6), "cat@example.com", sign=False),
        "far": item(engine, date(2026, 11, 20), "dan@example.com"),
        "done": item(engine, date(2026, 11, 6), "eve@example.com", done=True),
    }


def test_each_reminder_is_sent_once_to_owner_and_responsible_head(engine, book, tmp_path):
    handler = Recorder()
    controller, port = start(handler)
    try:
        today = date(2026, 11, 5)
        sent = deliver_reminders(engine, HEADS, smtp(port), tmp_path / "outbox", today)
        assert [(r["item_id"], r["kind"]) for r in sent] == [
            (book["late"], "overdue"), (book["soon"], "due_soon")]
        assert sorted(handler.keys()) == sorted([f"item/{book['late']}/overdue",
                                                 f"item/{book['soon']}/due_soon"])
        rcpts = {m["X-SOP-Key"]: rcpt for m, (_, rcpt) in zip(handler.messages,
                                                               handler.envelopes, strict=True)}
        assert rcpts[f"item/{book['soon']}/due_soon"] == ["ann@example.com", SUPPLY]
        late = next(m for m in handler.messages if m["X-SOP-Key"].endswith("/overdue"))
        assert late["To"] == "bob@example.com" and late["Cc"] == SUPPLY
        assert "overdue since 2026-11-04" in late["Subject"]
        assert "Item owed by bob@example.com" in late.get_content()

        assert deliver_reminders(engine, HEADS, smtp(port), tmp_path / "outbox", today) == []
        assert len(handler.messages) == 2  # a re-run the same day sends nothing

        later = date(2026, 11, 8)  # soon is now overdue: its second and last reminder
        sent = deliver_reminders(engine, HEADS, smtp(port), tmp_path / "outbox", later)
        assert [(r["item_id"], r["kind"]) for r in sent] == [(book["soon"], "overdue")]
        assert deliver_reminders(engine, HEADS, smtp(port), tmp_path / "outbox", later) == []
        assert len(handler.messages) == 3
        done = sent_reminders(engine)
        assert set(zip(done["item_id"], done["kind"], strict=True)) == {
            (book["late"], "overdue"), (book["soon"], "due_soon"), (book["soon"], "overdue")}
        assert set(done["channel"]) == {"smtp"}
    finally:
        controller.stop()


def test_a_refused_reminder_is_not_recorded_and_goes_out_on_the_next_run(engine, book,
                                                                        tmp_path):
    handler = Recorder(refuse=1)  # the first DATA gets 451: transient
    controller, port = start(handler)
    try:
        today = date(2026, 11, 5)
        with pytest.raises(MailError) as err:
            deliver_reminders(engine, HEADS, smtp(port), tmp_path / "outbox", today)
        assert err.value.transient and "1 of 2 item reminders failed" in str(err.value)
        assert len(handler.messages) == 1 and len(sent_reminders(engine)) == 1
        sent = deliver_reminders(engine, HEADS, smtp(port), tmp_path / "outbox", today)
        assert len(sent) == 1 and len(handler.messages) == 2
        assert len(set(handler.keys())) == 2
    finally:
        controller.stop()


def test_without_smtp_reminders_are_eml_files_once(engine, book, tmp_path):
    outbox = tmp_path / "out" / "outbox" / "items"
    sent = deliver_reminders(engine, HEADS, mailer(None), outbox, date(2026, 11, 5))
    files = sorted(p.name for p in outbox.glob("*.eml"))
    assert files == sorted([f"{book['late']}-overdue.eml", f"{book['soon']}-due_soon.eml"])
    assert {r["location"] for r in sent} == {str(outbox / f) for f in files}
    assert deliver_reminders(engine, HEADS, mailer(None), outbox, date(2026, 11, 5)) == []
    text = (outbox / f"{book['soon']}-due_soon.eml").read_text()
    assert "due in 2 days (2026-11-07)" in text and "From: sop@localhost" in text
