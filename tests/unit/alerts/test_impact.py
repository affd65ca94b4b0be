"""Alerts valued, their severity set by impact and timing, grouped by root cause, pushed with
their group, value and action; credit holds named with their amounts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sop.alerts.credit import credit_holds
from sop.alerts.groups import grouped_alerts
from sop.alerts.impact import impact_severity
from sop.alerts.lifecycle import alert_frame, alert_row
from sop.alerts.push import alert_digest, pending_pushes, push_text, webhook_payload
from sop.config import Thresholds
from sop.mail import Mailer
from tests.unit.packets.test_briefing import staged

T = Thresholds(materiality_value=1000, materiality_units=20, high_impact_value=25000)


@pytest.mark.parametrize(("timing", "value", "units", "expected"), [
    ("high", 30_000, 300, "high"),      # urgent and large
    ("high", 600, 1, "minor"),          # a one-unit stock-out is not high: below materiality
    ("high", 5_000, 50, "medium"),      # urgent but under the high-impact value
    ("medium", 900, 25, "medium"),      # under the money threshold, over the units one
    ("medium", 90_000, 0, "medium"),    # large but not urgent keeps the rule's level
    ("low", 999.99, 19.99, "minor"),
    ("low", 1_000, 0, "low"),
])
def test_severity_comes_from_impact_and_timing(timing, value, units, expected):
    assert impact_severity(timing, value, units, T) == expected


def _alert(rule, entity, value, severity="medium", cause="supply", **fig):
    return alert_row(rule, entity, severity, f"{rule} {entity}", cause, "supply,management",
                     {"value": value, **fig}, "2026-10")


def test_alerts_group_under_their_root_cause_and_the_group_value_never_adds_overlaps():
    alerts = alert_frame([
        _alert("demand_supply_divergence", "Gadgets", 5_000.0),
        _alert("stockout", "G1@W1", 3_000.0, category="Gadgets", month="2026-11"),
        _alert("stockout", "G2@W1", 4_000.0, category="Gadgets", month="2026-11"),
        _alert("material_shortage", "M1", 9_000.0, cause="lead_time", month="2026-11",
               blocked_skus=["T1"]),
        _alert("lead_time_increase", "S1", 1_000.0),
        _alert("stockout", "T1@W1", 800.0, category="Tools", month="2026-12"),
        _alert("stockout", "T1@W2", 700.0, category="Tools", month="2026-10"),  # before M1
        _alert("credit_limit", "C1", 100.0, customer="Alpha", customer_id="C1"),
        _alert("invoice", "I1", 400.0, customer="Alpha", customer_id="C1"),
        _alert("invoice", "I2", 50.0, customer="Beta", customer_id="C2"),
        _alert("invoice", "I3", 70.0, customer="Beta", customer_id="C2"),
    ])
    out = grouped_alerts(alerts, {"M1": "S1"})
    f = {k: json.loads(v) for k, v in zip(out["alert_key"], out["figures"], strict=True)}
    div = "demand_supply_divergence:Gadgets"
    assert f["stockout:G1@W1"]["group"] == f["stockout:G2@W1"]["group"] == div
    assert f[div]["group_value"] == 7_000.0  # children 3,000 + 4,000 above the parent's 5,000
    assert f[div]["group_name"] == "Gadgets: supply short of demand" and f[div]["group_size"] == 3
    # a stock-out from the month of the material shortage on joins it, and the late
    # supplier's group takes both; an earlier stock-out is not the material's doing
    assert f["material_shortage:M1"]["group"] == "lead_time_increase:S1"
    assert f["stockout:T1@W1"]["group"] == "lead_time_increase:S1"
    assert f["stockout:T1@W2"]["group"] == "stockout:T1@W2"
    assert f["lead_time_increase:S1"]["group_value"] == 9_800.0
    assert f["invoice:I1"]["group"] == "credit_limit:C1"
    assert f["credit_limit:C1"]["group_value"] == 400.0
    assert f["invoice:I2"]["group"] == f["invoice:I3"]["group"] == "customer:C2"
    assert f["invoice:I2"]["group_name"] == "Beta: 2 problem invoice(s)"
    assert f["invoice:I3"]["group_value"] == 120.0
    # every alert keeps its own key: nothing is merged away
    assert out["alert_key"].tolist() == alerts["alert_key"].tolist()


def _valued(severity="high", value=30_000.0):
    a = alert_frame([alert_row("stockout", "P1@W1", severity, "Widget at Sydney runs out",
                               "supply", "supply,management",
                               {"value": value, "units": 120.0, "value_basis": "revenue at risk",
                                "action": "Transfer 120 units from Perth by 2026-11",
                                "action_owner": "supply", "name": "Widget at Sydney"},
                               "2026-10")])
    return grouped_alerts(a)


def test_pushes_carry_the_group_value_and_action_and_no_internal_keys():
    owed = pending_pushes(_valued(), pd.DataFrame(), ("webhook",), None)
    assert len(owed) == 1
    text = push_text(owed[0])
    assert "at stake 30,000 (revenue at risk)" in text
    assert "action: Transfer 120 units from Perth by 2026-11 (Production, warehouse" in text
    assert "P1@W1" not in text and "supply," not in text
    alert = webhook_payload(owed[0])["alert"]
    assert (alert["value"], alert["action_owner"], alert["name"]) == (
        30_000.0, "supply", "Widget at Sydney")
    assert alert["group"]["key"] == "stockout:P1@W1" and alert["group"]["value"] == 30_000.0


def test_a_minor_alert_is_never_pushed_on_its_own():
    minor = _valued(severity="minor", value=10.0)
    assert pending_pushes(minor, pd.DataFrame(), ("webhook",), {"supply": ["s@x.com"]}) == []


def test_the_digest_lists_groups_by_money(tmp_path):
    a = grouped_alerts(alert_frame([
        alert_row("demand_supply_divergence", "Gadgets", "high", "Gadgets short", "supply",
                  "supply", {"value": 5_000.0}, "2026-10"),
        alert_row("stockout", "G1@W1", "medium", "G1 short", "supply", "supply",
                  {"value": 2_000.0, "category": "Gadgets", "month": "2026-11"}, "2026-10"),
        alert_row("price_spike", "M9", "high", "Resin dearer", "price", "supply",
                  {"value": 9_000.0}, "2026-10")]))
    owed = pending_pushes(a, pd.DataFrame(), (), {"supply": ["s@x.com"]})
    body = alert_digest(Mailer(None, sender="sop@x.com"), owed, "s@x.com", "2026-10").get_content()
    assert body.index("Resin dearer") < body.index("Gadgets: supply short of demand: 5,000")
    assert body.index("Gadgets short") < body.index("G1 short")


def test_credit_holds_name_the_customer_and_the_amounts():
    holds = credit_holds(staged(), "2026-10")  # Alpha Retail: 800 open + 300 unpaid vs 1,000
    assert holds["customer"].tolist() == ["Alpha Retail"]
    row = holds.iloc[0]
    assert (row["hold_value"], row["collect_value"], row["excess"]) == (800.0, 100.0, 100.0)
