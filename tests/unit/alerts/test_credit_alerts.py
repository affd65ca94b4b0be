"""Sales-administration alerts: credit-limit breaches and problem invoices, valued in money,
named by customer, owned by sales administration, on the same figures as its packet."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd

from sop.alerts.credit import credit_limit_alerts, invoice_alerts
from sop.config import Thresholds
from tests.unit.packets.test_briefing import ctx, make_plan, staged


def _figures(frame, key: str) -> dict:
    return json.loads(frame.set_index("alert_key").loc[key, "figures"])


def test_a_customer_over_its_limit_is_named_with_the_excess_as_its_value():
    data = staged()  # Alpha Retail: open orders 800 + unpaid 300 against a limit of 1,000
    alerts = credit_limit_alerts(data, "2026-10")
    assert alerts["alert_key"].tolist() == ["credit_limit:C1"]
    row = alerts.iloc[0]
    assert (row["severity"], row["owners"], row["cause"]) == ("medium", "sales_admin", "credit")
    assert row["message"] == ("Alpha Retail is over its credit limit: exposure 1,100 (open orders"
                              " 800, unpaid invoices 300) against a limit of 1,000, 100 over")
    assert _figures(alerts, "credit_limit:C1")["value"] == 100.0
    tight = staged()
    tight["customers"] = tight["customers"].assign(credit_limit=[500.0, 54_321.0])
    high = credit_limit_alerts(tight, "2026-10").iloc[0]
    assert high["severity"] == "high" and json.loads(high["figures"])["value"] == 600.0


def test_disputed_and_long_overdue_invoices_are_alerts_with_their_unpaid_balance():
    data = staged()  # I4 disputed, 400 unpaid, 57 days late; I5 50 unpaid at the end, 92 days
    alerts = invoice_alerts(data, "2026-10", Thresholds())
    assert sorted(alerts["alert_key"]) == ["invoice:I4", "invoice:I5"]
    assert _figures(alerts, "invoice:I4")["value"] == 400.0
    assert _figures(alerts, "invoice:I5")["days_overdue"] == 92
    by_key = alerts.set_index("alert_key")
    assert by_key.loc["invoice:I4", "message"] == (
        "Invoice I4 to Beta Distribution: 400 unpaid (disputed, 57 days past due)")
    assert by_key.loc["invoice:I5", "message"] == (
        "Invoice I5 to Beta Distribution: 50 unpaid (92 days past due)")
    assert set(alerts["owners"]) == {"sales_admin"}
    later = invoice_alerts(data, "2026-10", Thresholds(overdue_days=100))
    assert later["alert_key"].tolist() == ["invoice:I4"]  # disputed whatever its age


def test_sales_administration_sees_them_and_sales_does_not():
    data = staged()
    base = make_plan()
    fired = credit_limit_alerts(data, "2026-10")
    plan = replace(base, alerts=pd.concat([base.alerts, fired], ignore_index=True))
    admin = [r["message"] for r in ctx("sales_admin", data=data, plan=plan)["alerts"]["rows"]]
    assert any(m.startswith("Alpha Retail is over its credit limit") for m in admin)
    sales = [r["message"] for r in ctx("sales", data=data, plan=plan)["alerts"]["rows"]]
    assert not any("credit limit" in m for m in sales)
