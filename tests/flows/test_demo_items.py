"""The demo's whole life: each meeting raises coordination items from its largest alert
groups, both heads sign, an owner reports one done before the next cycle, and the next
month's packets show real rows and a completion rate (not rows of zeros); a re-run adds
nothing."""

from __future__ import annotations

from cli.demo import complete_demo_items, raise_demo_items
from flows.monthly import monthly_cycle
from sop.config import load_config
from sop.items.model import items_of
from sop.items.store import stored_items
from sop.warehouse import warehouse_engine
from tests.flows.conftest import END, TODAY, write_config

BEFORE = "2026-09"


def test_meetings_raise_items_from_the_largest_groups_and_the_next_packets_show_them(
        tmp_path, demo_erp):
    cfg = write_config(tmp_path, demo_erp)
    monthly_cycle(config_path=str(cfg), period=BEFORE, today=TODAY)
    raised = raise_demo_items(cfg, BEFORE)
    assert len(raised) == 2
    assert raise_demo_items(cfg, BEFORE) == []  # one item per alert: a re-run adds nothing
    engine = warehouse_engine(load_config(str(cfg), {}).warehouse.url)
    items = {i.item_id: i for i in items_of(stored_items(engine))}
    assert {items[i].status for i in raised} == {"signed"}
    assert all(items[i].requesting == "management" for i in raised)
    assert all("=" not in items[i].requirement and "@" not in items[i].standard for i in raised)
    assert complete_demo_items(cfg, END) == 1
    assert complete_demo_items(cfg, END) == 0  # idempotent
    monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    text = (tmp_path / "out" / "packets" / END / "management" / "packet.txt").read_text()
    assert all(i in text for i in raised)
    completion = [line.split() for line in text.splitlines() if "50.0%" in line]
    assert completion, "the completion table shows the rate of the department that owed them"
    owed_by = items[raised[0]].responsible
    owner_text = (tmp_path / "out" / "packets" / END / owed_by / "packet.txt").read_text()
    assert "Coordination items this department owes" in owner_text and raised[1] in owner_text
