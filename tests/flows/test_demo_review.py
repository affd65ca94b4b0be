"""The demo's demand review: at two meetings the heads return their reviews, the managing
director approves and the supply side is re-planned; the next month's packets show the
stairstep with both months scored, and each department's verdict."""

from __future__ import annotations

import re

from cli.demo import review_demo_round
from flows.monthly import monthly_cycle
from tests.flows.conftest import END, TODAY, write_config

ROUNDS = ("2026-08", "2026-09")


def test_two_reviewed_months_are_scored_in_the_next_packets(tmp_path, demo_erp):
    cfg = write_config(tmp_path, demo_erp)
    for period in ROUNDS:
        monthly_cycle(config_path=str(cfg), period=period, today=TODAY)
        assert "revision 1 packets: sent" in review_demo_round(cfg, period, TODAY)
        assert review_demo_round(cfg, period, TODAY).endswith("approved already")
    monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    for period in ROUNDS:
        text = (tmp_path / "out" / "packets" / f"{period}-r1" / "supply" / "packet.txt")
        assert "approved by management.head@example.com" in " ".join(text.read_text().split())
    for dept in ("sales_admin", "management"):
        text = (tmp_path / "out" / "packets" / END / dept / "packet.txt").read_text()
        ahead = text[text.index("Forecast value added, one month ahead"):]
        ahead = ahead[:ahead.index("Note:")]
        for step in ("Statistical forecast", "Sales' numbers", "Marketing's numbers",
                     "Consensus", "Approved plan"):
            row = re.search(rf"\* {re.escape(step)}: Months scored: (\d+); Error \(WAPE\): "
                            r"(\d+\.\d)%", ahead.replace("\n    ", " "))
            assert row and int(row.group(1)) == 2, (step, ahead)
        assert re.search(r"Sales: adjustments (improved|worsened) the forecast by \d+\.\d "
                         r"points \(\d of 2 months better\)", text.replace("\n    ", " "))
