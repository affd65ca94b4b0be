"""Coordination items appear in the right packets: the owing and asking departments, and
management; not in the others."""

from __future__ import annotations

import json
from datetime import date, timedelta

from cli.main import main
from flows.monthly import monthly_cycle
from tests.flows.conftest import END, TODAY, write_config


def test_item_shows_in_owing_asking_and_management_packets_only(tmp_path, demo_erp, capsys):
    cfg = str(write_config(tmp_path, demo_erp))
    due = (date.fromisoformat(TODAY) + timedelta(days=30)).isoformat()
    assert main(["items", "--today", TODAY, "add", "--config", cfg, "--as", "sales.head@example.com",
                 "--from", "sales", "--to", "supply", "--period", END, "--requirement",
                 "Build 2 weeks of extra stock for the promotion", "--due", due,
                 "--standard", "weeks of supply >= 6 at all centres", "--owner",
                 "planner@example.com", "--json"]) == 0
    item = json.loads(capsys.readouterr().out)["item_id"]
    for head in ("supply.head@example.com", "sales.head@example.com"):
        assert main(["items", "--today", TODAY, "sign", item, "--config", cfg, "--as", head]) == 0
    monthly_cycle(config_path=cfg, period=END, today=TODAY)
    text = {d: (tmp_path / "out" / "packets" / END / d / "packet.txt").read_text()
            for d in ("sales", "supply", "management", "marketing", "procurement")}
    assert "Coordination items this department owes" in text["supply"]
    assert item in text["supply"] and item in text["sales"] and item in text["management"]
    assert "Build 2 weeks of extra stock" in text["management"]
    assert item not in text["marketing"] and item not in text["procurement"]
    html = (tmp_path / "out" / "packets" / END / "supply" / "packet.html").read_text()
    assert item in html
