"""Coordination items: the pure rules (sop/items/model.py, sop/items/from_alert.py, sop/items/reminders.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest

from sop.config import DEPARTMENTS
from sop.items.from_alert import prefill_from_alert
from sop.items.model import (
    Item,
    ItemError,
    completion_by_department,
    draft_item,
    item_after,
    item_from_row,
    item_record,
    items_for_department,
    listed_items,
    status_on,
)
from sop.items.reminders import (
    Reminder,
    owed_reminders,
    reminder_kind,
    reminder_message,
    reminder_recipients,
)
from sop.mail import Mailer  # noqa: E402

HEADS = {d: [f"{d}.head@example.com"] for d in DEPARTMENTS}
HEADS["sales"] = ["sales.head@example.com", "Deputy.Sales@example.com"]
T0 = datetime(2026, 11, 3, 9, 0)
SALES, SUPPLY, OWNER = "sales.head@example.com", "supply.head@example.com", "planner@example.com"


def draft(**over) -> Item:
    fields = dict(period="2026-10", requesting="sales", responsible="supply",
                  requirement="Raise safety stock of Widgets to 6 weeks", due=date(2026, 11, 30),
                  standard="weeks of supply >= 6 in the December balance", owner=OWNER,
                  actor=SALES, at=T0, today=T0.date())
    fields.update(over)
    item_id = fields.pop("item_id", "CI-2026-10-001")
    return replace(draft_item(**fields), item_id=item_id)


def walk(item: Item, *steps: tuple[str, str]) -> Item:
    for action, actor in steps:
        item, _ = item_after(item, action, actor, HEADS, T0)
    return item


SIGNED = (("sign", SALES), ("sign", SUPPLY))


def test_an_item_walks_its_whole_life_and_every_step_is_a_change():
    item = draft()
    assert (item.status, item.owner, item.created_by) == ("draft", OWNER, SALES)
    changes = []
    for action, actor, note, status in (
            ("sign", SALES, None, "draft"), ("sign", SUPPLY, None, "signed"),
            ("done", OWNER, "stock raised to 6.4 weeks", "done"),
            ("verify", SALES, "checked in the balance", "verified")):
        before = item.status
        item, change = item_after(item, action, actor, HEADS, T0, note)
        assert item.status == status
        assert (change.item_id, change.action, change.actor) == (item.item_id, action, actor)
        assert (change.from_status, change.to_status) == (before, status)
        changes.append(change)
    assert item.requesting_signed_by == SALES and item.responsible_signed_by == SUPPLY
    assert item.outcome == "stock raised to 6.4 weeks"
    assert item.done_at == T0 and item.verified_at == T0
    assert changes[0].note == "signed for sales" and changes[3].note == "checked in the balance"


def test_signing_order_does_not_matter_and_heads_match_case_insensitively():
    item = walk(draft(), ("sign", SUPPLY.upper()), ("sign", "deputy.sales@example.com"))
    assert item.status == "signed"
    assert item.requesting_signed_by == "deputy.sales@example.com"


def test_a_head_of_both_departments_signs_both_sides_at_once():
    heads = {**HEADS, "supply": [SALES]}
    item, change = item_after(draft(), "sign", SALES, heads, T0)
    assert item.status == "signed" and change.note == "signed for sales and supply"


def test_overdue_is_derived_from_a_signed_item_past_its_due_date():
    item = walk(draft(), *SIGNED)
    assert status_on(item, date(2026, 11, 30)) == "signed"
    assert status_on(item, date(2026, 12, 1)) == "overdue"
    assert status_on(draft(), date(2026, 12, 1)) == "draft"  # nobody committed to a draft
    done = walk(item, ("done", SUPPLY))  # a responsible head may report it done, late too
    assert status_on(done, date(2026, 12, 9)) == "done"


def test_cancel_is_allowed_up_to_done_by_a_requesting_head():
    for steps in ((), SIGNED, (*SIGNED, ("done", OWNER))):
        item, change = item_after(walk(draft(), *steps), "cancel", SALES, HEADS, T0, "moot")
        assert item.status == "cancelled" and change.note == "moot"


ILLEGAL = [
    ((), "sign", "nobody@example.com", "draft", "is not a head of sales or supply"),
    ((("sign", SALES),), "sign", SALES, "draft", "sales signed already"),
    (SIGNED, "sign", SALES, "signed", "both heads signed already"),
    ((), "done", OWNER, "draft", "both heads must sign first (missing: sales, supply)"),
    ((("sign", SALES),), "done", OWNER, "draft", "missing: supply"),
    (SIGNED, "done", SALES, "signed", "neither the owner (planner@example.com) nor a head"),
    ((*SIGNED, ("done", OWNER)), "done", OWNER, "done", "reported done already"),
    ((), "verify", SALES, "draft", "only a done item is verified"),
    (SIGNED, "verify", SALES, "signed", "only a done item is verified"),
    ((*SIGNED, ("done", OWNER)), "verify", SUPPLY, "done",
     "only a head of the requesting department verifies"),
    ((*SIGNED, ("done", OWNER)), "verify", OWNER, "done", "is not a head of sales"),
    ((*SIGNED, ("done", OWNER), ("verify", SALES)), "verify", SALES, "verified",
     "verified already"),
    ((*SIGNED, ("done", OWNER), ("verify", SALES)), "cancel", SALES, "verified",
     "a verified item is closed"),
    ((*SIGNED, ("done", OWNER), ("verify", SALES)), "done", OWNER, "verified", "closed"),
    ((*SIGNED, ("done", OWNER), ("verify", SALES)), "sign", SALES, "verified",
     "only drafts are signed"),
    (SIGNED, "cancel", SUPPLY, "signed", "only a head of the requesting department cancels"),
    ((("cancel", SALES),), "cancel", SALES, "cancelled", "cancelled already"),
    ((("cancel", SALES),), "sign", SUPPLY, "cancelled", "only drafts are signed"),
    ((("cancel", SALES),), "done", OWNER, "cancelled", "it was cancelled"),
    ((("cancel", SALES),), "verify", SALES, "cancelled", "it was cancelled"),
    ((), "approve", SALES, "draft", "unknown action 'approve'"),
]


@pytest.mark.parametrize(("steps", "action", "actor", "status", "why"), ILLEGAL,
                         ids=[f"{a}-on-{s}-{i}" for i, (_, a, _, s, _) in enumerate(ILLEGAL)])
def test_every_illegal_transition_is_refused_naming_item_status_and_why(
        steps, action, actor, status, why):
    item = walk(draft(), *steps)
    assert item.status == status
    with pytest.raises(ItemError) as err:
        item_after(item, action, actor, HEADS, T0)
    text = str(err.value)
    assert why in text
    if action != "approve":
        assert f"CI-2026-10-001 ({status}, due 2026-11-30)" in text


def test_the_error_of_an_overdue_item_says_overdue():
    item = walk(draft(), *SIGNED)
    with pytest.raises(ItemError, match=r"CI-2026-10-001 \(overdue, due 2026-11-30\)"):
        item_after(item, "verify", SALES, HEADS, datetime(2026, 12, 2))


@pytest.mark.parametrize(("over", "why"), [
    ({"requesting": "finance"}, "unknown requesting department 'finance'"),
    ({"responsible": "it"}, "unknown responsible department 'it'"),
    ({"responsible": "sales"}, "both sales"),
    ({"requirement": "  "}, "the requirement is empty"),
    ({"standard": ""}, "the evaluation standard is empty"),
    ({"owner": "planner"}, "owner 'planner' is not an e-mail address"),
    ({"actor": "x y@z"}, "--as 'x y@z' is not an e-mail address"),
    ({"due": date(2026, 11, 2)}, "due date 2026-11-02 is in the past"),
    ({"period": "2026-13"}, "YYYY-MM"),
])
def test_a_bad_new_item_is_refused(over, why):
    with pytest.raises(ItemError, match=why.replace("(", r"\(").replace(")", r"\)")):
        draft(**over)


def test_rows_round_trip_and_records_are_json_ready():
    item = walk(draft(), *SIGNED)
    frame = pd.DataFrame([item.__dict__]).assign(due=pd.Timestamp(item.due),
                                                 done_at=pd.NaT, outcome=None)
    assert item_from_row(frame.iloc[0].to_dict()) == item
    rec = item_record(item, date(2026, 12, 2))
    assert rec["status"] == "overdue" and rec["stored_status"] == "signed"
    assert rec["due"] == "2026-11-30" and rec["days_left"] == -2
    assert rec["requesting_signed_at"] == "2026-11-03T09:00:00"


def _book() -> list[Item]:
    """Items between departments in several states, seen on 2026-11-05."""
    return [
        walk(draft(item_id="CI-2026-10-001", due=date(2026, 11, 20)), *SIGNED),  # signed
        walk(draft(item_id="CI-2026-10-002", due=date(2026, 11, 4)), *SIGNED),  # overdue
        draft(item_id="CI-2026-10-003", requesting="supply", responsible="sales",
              owner="rep@example.com", due=date(2026, 11, 10)),  # draft, sales owes
        walk(draft(item_id="CI-2026-10-004", requesting="marketing",
                   due=date(2026, 11, 6)), ("cancel", "marketing.head@example.com")),
        walk(draft(item_id="CI-2026-09-001", period="2026-09", responsible="procurement",
                   due=date(2026, 11, 12)),
             ("sign", SALES), ("sign", "procurement.head@example.com"),
             ("done", OWNER), ("verify", SALES)),  # closed
    ]


def test_listed_items_filter_and_put_overdue_first():
    today = date(2026, 11, 5)
    ids = [i.item_id for i in listed_items(_book(), today)]
    assert ids[:3] == ["CI-2026-10-002", "CI-2026-10-003", "CI-2026-10-001"]
    assert ids[-2:] == ["CI-2026-09-001", "CI-2026-10-004"]  # verified, then cancelled
    assert [i.item_id for i in listed_items(_book(), today, status="overdue")] == [
        "CI-2026-10-002"]
    assert {i.item_id for i in listed_items(_book(), today, department="procurement")} == {
        "CI-2026-09-001"}
    assert {i.item_id for i in listed_items(_book(), today, period="2026-09")} == {
        "CI-2026-09-001"}


def test_each_department_packet_lists_what_it_owes_and_asked_for_overdue_first():
    today = date(2026, 11, 5)
    sales = items_for_department(_book(), "sales", "2026-10", today)
    assert [r["item_id"] for r in sales["asked"]] == ["CI-2026-10-002", "CI-2026-10-001"]
    assert sales["asked"][0]["status"] == "overdue"
    assert [r["item_id"] for r in sales["owed"]] == ["CI-2026-10-003"]
    supply = items_for_department(_book(), "supply", "2026-10", today)
    assert [r["item_id"] for r in supply["owed"]] == ["CI-2026-10-002", "CI-2026-10-001"]
    assert [r["item_id"] for r in supply["asked"]] == ["CI-2026-10-003"]
    marketing = items_for_department(_book(), "marketing", "2026-10", today)
    assert marketing["owed"] == [] and marketing["asked"] == []  # its only item is cancelled
    assert "open" not in sales and "completion" not in sales


def test_the_management_packet_shows_all_open_items_and_last_months_completion():
    today = date(2026, 11, 5)
    mgmt = items_for_department(_book(), "management", "2026-10", today)
    assert [r["item_id"] for r in mgmt["open"]] == [
        "CI-2026-10-002", "CI-2026-10-003", "CI-2026-10-001"]
    sep = {"period": "2026-09", "today": date(2026, 9, 30)}
    items = [
        replace(walk(draft(item_id="CI-2026-09-001", due=date(2026, 10, 10), **sep), *SIGNED),
                status="done", done_at=datetime(2026, 10, 9)),  # on time
        replace(walk(draft(item_id="CI-2026-09-002", due=date(2026, 10, 20), **sep), *SIGNED),
                status="verified", done_at=datetime(2026, 10, 25)),  # late
        walk(draft(item_id="CI-2026-09-003", due=date(2026, 10, 30), **sep), *SIGNED),
        walk(draft(item_id="CI-2026-09-004", due=date(2026, 10, 30), **sep), ("cancel", SALES)),
        walk(draft(item_id="CI-2026-09-005", due=date(2026, 11, 3), **sep), *SIGNED),
    ]
    rates = {r["department"]: r for r in items_for_department(items, "management",
                                                              "2026-10")["completion"]}
    assert rates["supply"] == {"department": "supply", "due": 3, "done_on_time": 1,
                               "done_late": 1, "not_done": 1, "rate": 0.333}
    assert rates["sales"]["due"] == 0 and rates["sales"]["rate"] is None
    assert set(rates) == set(DEPARTMENTS)
    assert completion_by_department(items, "2026-11")[3]["due"] == 1


def test_the_packet_judges_overdue_on_the_day_after_the_period_by_default():
    late = walk(draft(due=date(2026, 10, 31), today=date(2026, 10, 1)), *SIGNED)
    assert items_for_department([late], "supply", "2026-10")["owed"][0]["status"] == "overdue"
    assert items_for_department([late], "supply", "2026-09")["owed"][0]["status"] == "signed"


def test_reminders_are_owed_once_per_kind_to_owner_and_responsible_heads():
    item = walk(draft(due=date(2026, 11, 20)), *SIGNED)
    assert reminder_kind(item, date(2026, 11, 16)) is None
    assert reminder_kind(item, date(2026, 11, 17)) == "due_soon"
    assert reminder_kind(item, date(2026, 11, 20)) == "due_soon"
    assert reminder_kind(item, date(2026, 11, 21)) == "overdue"
    assert reminder_kind(draft(due=date(2026, 11, 20)), date(2026, 11, 21)) is None
    assert reminder_kind(walk(item, ("done", OWNER)), date(2026, 11, 21)) is None
    assert reminder_recipients(item, HEADS) == (OWNER, SUPPLY)
    none_sent = pd.DataFrame(columns=["item_id", "kind"])
    owed = owed_reminders([item], none_sent, HEADS, date(2026, 11, 18))
    assert [(r.item.item_id, r.kind) for r in owed] == [("CI-2026-10-001", "due_soon")]
    sent = pd.DataFrame([{"item_id": "CI-2026-10-001", "kind": "due_soon"}])
    assert owed_reminders([item], sent, HEADS, date(2026, 11, 19)) == []
    assert [r.kind for r in owed_reminders([item], sent, HEADS, date(2026, 11, 21))] == [
        "overdue"]


def test_the_reminder_message_names_item_due_date_and_how_to_report_done():
    item = walk(draft(due=date(2026, 11, 20)), *SIGNED)
    mailer = Mailer(None, "sop@example.com", reply_to="planning@example.com")
    msg = reminder_message(mailer, Reminder(item, "overdue", (OWNER, SUPPLY)), date(2026, 11, 22))
    assert msg["To"] == OWNER and msg["Cc"] == SUPPLY
    assert msg["From"] == "sop@example.com" and msg["Reply-To"] == "planning@example.com"
    assert msg["Subject"].startswith("[S&OP] Coordination item CI-2026-10-001 overdue since "
                                     "2026-11-20")
    assert msg["Message-ID"] == "<sop-item-CI-2026-10-001-overdue@sop.local>"
    body = msg.get_content()
    assert "overdue since 2026-11-20 (2 days)" in body
    assert "sop items done CI-2026-10-001" in body and item.standard in body


ALERT = {"alert_key": "stockout:W-1@DC-N", "rule": "stockout", "entity": "W-1@DC-N",
         "severity": "high", "state": "open", "message": "W-1 at DC-N runs out in 2026-11",
         "cause": "demand", "owners": "sales,supply", "first_seen": "2026-10",
         "figures": {"closing": -120.0, "weeks_of_supply": 0.4, "demand_moved": 300.0,
                     "supply_moved": 0.0, "lead_time_moved_days": 0.0, "price_moved_pct": 0.0}}


def test_an_open_high_alert_prefills_a_draft():
    pre = prefill_from_alert(ALERT, "sales", HEADS)
    assert pre["requirement"] == ALERT["message"] and pre["responsible"] == "supply"
    assert pre["owner"] == SUPPLY and pre["alert_key"] == "stockout:W-1@DC-N"
    assert "closing=-120.0, demand_moved=300.0, weeks_of_supply=0.4" in pre["standard"]
    assert "supply_moved" not in pre["standard"]
    assert prefill_from_alert(ALERT, "supply", HEADS)["responsible"] == "sales"
    assert prefill_from_alert(ALERT, "sales", HEADS, "procurement")["responsible"] == (
        "procurement")


def test_a_valued_alert_prefills_its_action_its_owner_and_names():
    valued = {**ALERT, "figures": {**ALERT["figures"], "value": 12_000.0,
                                   "name": "Widget (North centre)",
                                   "action": "Transfer 120 units from South centre by 2026-11",
                                   "action_owner": "supply"}}
    pre = prefill_from_alert(valued, "management", HEADS)
    assert pre["requirement"] == "Transfer 120 units from South centre by 2026-11"
    assert pre["responsible"] == "supply"  # the action's owner, before the alert's first owner
    assert pre["standard"] == ("Widget (North centre): the alert is closed by the due date "
                               "(W-1 at DC-N runs out in 2026-11, 12,000 at stake when raised "
                               "in 2026-10)")
    assert "=" not in pre["standard"] and "@" not in pre["standard"]


@pytest.mark.parametrize(("over", "why"), [
    ({"state": "resolved"}, "is resolved; only an open alert"),
    ({"severity": "medium"}, "is medium severity; only a high-severity alert"),
    ({"owners": "sales"}, "give no department other than sales"),
])
def test_only_an_open_high_alert_with_another_owner_becomes_an_item(over, why):
    with pytest.raises(ItemError, match=why):
        prefill_from_alert({**ALERT, **over}, "sales", HEADS)
