"""Alert rules and their life cycle on hand-built cases."""

import json

import pandas as pd
import pytest

from sop.alerts.demand import demand_moved_alerts, forecast_vs_budget_alerts
from sop.alerts.lifecycle import alert_states, growth_by_category
from sop.alerts.push import pending_pushes, webhook_payload
from sop.alerts.stock import divergence_alerts, excess_cover_alerts, stockout_alerts
from sop.config import Thresholds

MONTHS = pd.date_range("2026-11-01", periods=3, freq="MS")


def category_history(values, end="2026-10-01"):
    return pd.DataFrame({"level": "category", "category": "A", "ds": pd.date_range(
        end=end, periods=len(values), freq="MS"), "y": values})


def balance(closing, safety=45.0, demand=150.0, receipts=100.0, opening=None):
    closing = [float(c) for c in closing]
    opening = opening or [closing[0] - receipts + demand] + closing[:-1]
    return pd.DataFrame({"sku": "S1", "warehouse_id": "DC", "ds": MONTHS, "opening": opening,
                         "receipts": receipts, "demand": demand, "closing": closing,
                         "safety_stock": safety, "weeks_of_supply": [c / (demand / 4.33)
                                                                     for c in closing]})


PRODUCTS = pd.DataFrame({"sku": ["S1"], "category": ["A"]})


def test_divergence_alert_names_demand_as_cause_and_lifecycle():
    hist = category_history([100.0] * 12 + [150.0] * 3)
    growth = growth_by_category(hist)
    assert growth["A"] == pytest.approx(50.0)
    bal = balance([10, -40, -90])  # stock 60, production 100/month, demand 150/month
    fired = divergence_alerts(bal, growth, PRODUCTS, "2026-10", Thresholds())
    row = fired.iloc[0]
    assert row["alert_key"] == "demand_supply_divergence:A" and row["cause"] == "demand"
    figures = json.loads(row["figures"])
    assert figures["shortfall_pct"] == pytest.approx((45 + 90) / 450 * 100, abs=0.01)
    assert {"demand_moved", "supply_moved", "lead_time_moved_days", "price_moved_pct"} <= set(figures)
    assert divergence_alerts(balance([110, 160, 210]), growth, PRODUCTS, "2026-10",
                             Thresholds()).empty
    flat = growth_by_category(category_history([100.0] * 15))
    assert divergence_alerts(bal, flat, PRODUCTS, "2026-10", Thresholds())["cause"].item() == "supply"
    first = alert_states(fired.iloc[0:0], fired, "2026-10")
    assert first["state"].tolist() == ["open"]
    again = alert_states(first, fired.assign(first_seen="2026-11", last_seen="2026-11"), "2026-11")
    assert again["first_seen"].tolist() == ["2026-10"]
    closed = alert_states(again, fired.iloc[0:0], "2026-12")
    assert closed["state"].tolist() == ["resolved"] and closed["last_seen"].tolist() == ["2026-11"]
    assert alert_states(closed, fired.iloc[0:0], "2026-12").empty
    reopened = alert_states(closed, fired.assign(first_seen="2027-01", last_seen="2027-01"),
                            "2027-01")
    assert reopened["first_seen"].tolist() == ["2027-01"] and reopened["state"].tolist() == ["open"]


def test_root_cause_against_previous_run_when_there_is_one():
    growth = growth_by_category(category_history([100.0] * 15))  # demand did not move y/y
    now = balance([10, -40, -90])
    # last run planned more production (supply moved down) for the same demand
    prev = balance([110, 160, 210], receipts=200.0)
    fired = divergence_alerts(now, growth, PRODUCTS, "2026-10", Thresholds(), previous=prev)
    figures = json.loads(fired["figures"].item())
    assert figures["supply_moved"] == pytest.approx(-300.0) and figures["demand_moved"] == 0.0
    assert fired["cause"].item() == "supply"
    prev_low_demand = balance([10, -40, -90], demand=50.0)
    fired = divergence_alerts(now, growth, PRODUCTS, "2026-10", Thresholds(),
                              previous=prev_low_demand)
    assert fired["cause"].item() == "demand"
    assert json.loads(fired["figures"].item())["demand_moved"] == pytest.approx(300.0)


def test_stockout_below_safety_and_excess_cover():
    bal = balance([10, -40, -90])
    out = stockout_alerts(bal, "2026-10", Thresholds(stockout_weeks=14))
    assert out["alert_key"].tolist() == ["stockout:S1@DC"]
    assert json.loads(out["figures"].item())["month"] == "2026-12"
    assert out["severity"].item() == "medium"  # two months ahead
    low = stockout_alerts(balance([30, 20, 10]), "2026-10", Thresholds(stockout_weeks=14))
    assert low["rule"].tolist() == ["below_safety_stock"] and low["severity"].item() == "low"
    assert stockout_alerts(balance([100, 90, 80]), "2026-10", Thresholds()).empty
    rich = balance([5000, 5000, 5000])
    exc = excess_cover_alerts(rich, "2026-10", Thresholds(excess_cover_weeks=26))
    assert exc["alert_key"].tolist() == ["excess_cover:S1@DC"]
    assert excess_cover_alerts(rich, "2026-10", Thresholds(excess_cover_weeks=200)).empty


def test_forecast_vs_budget():
    fc = pd.DataFrame({"level": "category", "category": "A", "ds": MONTHS, "revenue": 120.0})
    budget = pd.DataFrame({"ds": MONTHS, "region": "N", "category": "A", "revenue": 100.0})
    out = forecast_vs_budget_alerts(fc, budget, "2026-10", Thresholds(forecast_vs_budget_pct=10))
    assert json.loads(out["figures"].item())["deviation_pct"] == pytest.approx(20.0)
    assert out["severity"].item() == "high"
    assert forecast_vs_budget_alerts(fc, budget, "2026-10",
                                     Thresholds(forecast_vs_budget_pct=25)).empty
    # a budget that covers only Nov-Dec is compared with the forecast for Nov-Dec only
    short = budget[budget["ds"] < "2027-01-01"]
    out = forecast_vs_budget_alerts(fc, short, "2026-10", Thresholds(forecast_vs_budget_pct=10))
    assert json.loads(out["figures"].item())["budget_revenue"] == pytest.approx(200.0)
    assert json.loads(out["figures"].item())["forecast_revenue"] == pytest.approx(240.0)


def stored_run(period, ds, value):
    return {"period": period, "level": "category", "unique_id": "category=A",
            "ds": pd.Timestamp(ds), "forecast": value}


def test_demand_moved_fires_at_once_and_sustained_only_after_n_periods():
    hist = category_history([100.0] * 12 + [100.0, 130.0, 135.0])  # Aug 100, Sep 130, Oct 135
    stored = pd.DataFrame([stored_run("2026-07", "2026-08-01", 100.0),
                           stored_run("2026-08", "2026-09-01", 100.0),
                           stored_run("2026-09", "2026-10-01", 100.0)])
    sept = demand_moved_alerts(category_history([100.0] * 13 + [130.0], end="2026-09-01"), stored, "2026-09",
                               Thresholds(sustained_periods=3))
    assert sept["rule"].tolist() == ["demand_moved"]
    octo = demand_moved_alerts(hist, stored, "2026-10", Thresholds(sustained_periods=2))
    assert sorted(octo["rule"]) == ["demand_moved", "sustained_divergence"]
    assert json.loads(octo[octo.rule == "demand_moved"]["figures"].item())["deviation_pct"] == 35.0
    # three periods needed, only two deviate: no sustained alert
    assert demand_moved_alerts(hist, stored, "2026-10",
                               Thresholds(sustained_periods=3))["rule"].tolist() == ["demand_moved"]
    assert demand_moved_alerts(hist, stored.iloc[0:0], "2026-10", Thresholds()).empty


def test_pushes_once_escalate_once_and_resolve_once():
    growth = growth_by_category(category_history([100.0] * 12 + [150.0] * 3))
    fired = divergence_alerts(balance([0, -20, -40]), growth, PRODUCTS, "2026-10", Thresholds())
    assert fired["severity"].item() == "medium"
    heads = {"sales": ["s@x.com"], "supply": ["p@x.com"], "procurement": [], "management": ["m@x.com"]}
    owed = pending_pushes(fired, pd.DataFrame(), ("webhook",), heads)
    assert sorted(p.channel for p in owed) == ["email:m@x.com", "email:p@x.com", "email:s@x.com",
                                              "webhook"]
    assert {p.event for p in owed} == {"raised"}
    done = pd.DataFrame([p.as_row() for p in owed])
    assert pending_pushes(fired, done, ("webhook",), heads) == []
    worse = fired.assign(severity="high")
    esc = pending_pushes(worse, done, ("webhook",), heads)
    assert {p.event for p in esc} == {"escalated:high"} and len(esc) == 4
    done = pd.concat([done, pd.DataFrame([p.as_row() for p in esc])])
    resolved = worse.assign(state="resolved")
    res = pending_pushes(resolved, done, ("webhook",), None)
    assert [(p.event, p.channel) for p in res] == [("resolved", "webhook")]
    payload = webhook_payload(res[0])
    assert payload["text"].startswith("[S&OP] Resolved") and payload["alert"]["figures"]["shortfall_pct"]
