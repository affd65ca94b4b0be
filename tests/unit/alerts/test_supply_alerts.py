"""Material shortage, lead-time increase and price spike alerts: hand-built cases with known
answers, and the planted drift and price rise of the demo ERP."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sop.alerts.supply import lead_time_alerts, material_shortage_alerts, price_spike_alerts
from sop.config import Thresholds
from sop.plan import ALERT_COLUMNS
from sop.planning.materials import material_balance, material_requirements
from sop.planning.procurement import lead_time_drift, material_lead_times, price_trend
from tests.unit.planning.test_materials import BOM, FORECAST, INVENTORY, ORDERS, forecast
from tests.unit.planning.test_procurement import MATERIALS, SUPPLIERS, frame, po

PERIOD = "2026-10"
TH = Thresholds()
SPLIT = {"demand_moved", "supply_moved", "lead_time_moved_days", "price_moved_pct"}


def figures(alerts: pd.DataFrame, key: str) -> dict:
    return json.loads(alerts.set_index("alert_key").loc[key, "figures"])


def check_shape(alerts: pd.DataFrame) -> None:
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    assert (alerts["state"] == "open").all() and (alerts["first_seen"] == PERIOD).all()
    assert (alerts["last_seen"] == PERIOD).all()
    for f in alerts["figures"]:
        assert set(json.loads(f)) >= SPLIT


def material_bal(orders=ORDERS, fc=FORECAST, suppliers=SUPPLIERS) -> pd.DataFrame:
    reqs = material_requirements(fc, BOM, PERIOD).frame
    lead = material_lead_times(orders, suppliers, PERIOD, drift_tolerance_pct=20).frame
    return material_balance(reqs, INVENTORY, orders, lead, PERIOD, materials=MATERIALS).frame


# --- material shortage ------------------------------------------------------------------

def test_shortage_through_the_bom_beyond_lead_time_is_medium():
    alerts = material_shortage_alerts(material_bal(), PERIOD, TH)
    check_shape(alerts)
    [a] = alerts.to_dict("records")
    assert a["alert_key"] == "material_shortage:M1" and a["entity"] == "M1"
    assert a["severity"] == "medium" and a["cause"] == "supply"
    assert a["owners"] == "procurement,supply,management"
    f = figures(alerts, "material_shortage:M1")
    assert f["month"] == "2026-12" and f["shortage"] == 180 and f["requirement"] == 400
    assert f["stock"] == 120 and f["receipts"] == 100 and f["lead_time_days"] == 30
    assert f["demand_moved"] == 0 and f["price_moved_pct"] == 0
    assert a["message"] == (
        "Steel sheet runs short in 2026-12 by 180 kg: requirement 400 kg through 2026-12 "
        "against stock 120 kg and open orders 100 kg, beyond its 30-day lead time.")


def test_shortage_within_lead_time_is_high():
    slow = frame("suppliers", [("S1", "Acme Metals", 45, "active")])
    alerts = material_shortage_alerts(material_bal(suppliers=slow), PERIOD, TH)
    assert alerts.loc[0, "severity"] == "high" and "too late for a new order" in alerts.loc[
        0, "message"]


def test_a_distant_shortage_is_an_order_to_place_not_an_alert():
    fc = forecast([("P1", "North", f"{m}-01", 50) for m in ("2026-11", "2026-12", "2027-01")])
    bal = material_bal(fc=fc)  # 220 kg against 100 kg a month: short by 80 kg in January
    assert bal.set_index("ds").loc[pd.Timestamp("2027-01-01"), "shortage"] == 80
    assert len(material_shortage_alerts(bal, PERIOD, TH)) == 1  # before 31 Oct + 8 wk + 30 d
    assert material_shortage_alerts(bal, PERIOD, Thresholds(stockout_weeks=2)).empty


def test_lead_time_drift_turns_an_on_time_order_late_and_short():
    orders = po([
        ("H1", "S1", "M1", "2026-07-01", "2026-07-31", "2026-08-10", 100, 100, 2.0),
        ("H2", "S1", "M1", "2026-08-01", "2026-08-31", "2026-09-10", 100, 100, 2.0),
        ("O1", "S1", "M1", "2026-10-26", "2026-11-25", None, 100, None, 2.0),
    ])
    alerts = material_shortage_alerts(material_bal(orders=orders), PERIOD, TH)
    check_shape(alerts)
    a = alerts.set_index("alert_key").loc["material_shortage:M1"]
    assert a["severity"] == "high" and a["cause"] == "lead_time"
    f = figures(alerts, "material_shortage:M1")
    assert f["month"] == "2026-11" and f["shortage"] == 80 and f["shortage_on_promise"] == 0
    assert f["late_receipt_units"] == 80 and f["lead_time_moved_days"] == 10
    assert "80 kg of it because deliveries running 10 days over contract" in a["message"]
    drift = lead_time_alerts(lead_time_drift(orders, SUPPLIERS, PERIOD), PERIOD, TH)
    assert list(drift["alert_key"]) == ["lead_time_increase:S1"]


def test_demand_moved_against_the_previous_run():
    low = forecast([("P1", "North", "2026-11-01", 80), ("P1", "North", "2026-12-01", 80)])
    alerts = material_shortage_alerts(material_bal(), PERIOD, TH, previous=material_bal(fc=low))
    f = figures(alerts, "material_shortage:M1")
    assert f["demand_moved"] == 80 and f["supply_moved"] == 0 and f["basis"] == "previous run"
    assert alerts.loc[0, "cause"] == "demand"


def test_no_shortage_no_alert():
    rich = INVENTORY.assign(on_hand=INVENTORY["on_hand"] * 10)
    reqs = material_requirements(FORECAST, BOM, PERIOD).frame
    bal = material_balance(reqs, rich, ORDERS, material_lead_times(
        ORDERS, SUPPLIERS, PERIOD).frame, PERIOD).frame
    out = material_shortage_alerts(bal, PERIOD, TH)
    assert out.empty and list(out.columns) == list(ALERT_COLUMNS)


# --- lead time ----------------------------------------------------------------------------

def drift_orders(recent_lag: int, contract_supplier: str = "S1") -> pd.DataFrame:
    day = pd.Timestamp("2026-08-20")
    rows = [("H", contract_supplier, "M1", "2026-03-01", "2026-03-31", "2026-03-31", 10, 10, 1)]
    for i in range(2):
        ordered = day + pd.Timedelta(days=10 * i)
        rows.append((f"R{i}", contract_supplier, "M1", f"{ordered:%Y-%m-%d}",
                     f"{ordered + pd.Timedelta(days=30):%Y-%m-%d}",
                     f"{ordered + pd.Timedelta(days=recent_lag):%Y-%m-%d}", 10, 10, 1))
    return po(rows)


def test_lags_30_percent_over_contract_raise_a_lead_time_alert():
    alerts = lead_time_alerts(lead_time_drift(drift_orders(39), SUPPLIERS, PERIOD), PERIOD, TH)
    check_shape(alerts)
    a = alerts.set_index("alert_key").loc["lead_time_increase:S1"]
    assert a["entity"] == "S1" and a["severity"] == "medium" and a["cause"] == "lead_time"
    assert a["owners"] == "procurement,supply"
    f = figures(alerts, "lead_time_increase:S1")
    assert f["vs_contract_pct"] == 30 and f["lead_time_moved_days"] == 9
    assert f["basis"] == "contract" and f["recent_lag_days"] == 39 and f["contract_days"] == 30
    assert a["message"] == (
        "Acme Metals now takes 39 days from order to receipt (median of 2 lines received "
        "2026-08 to 2026-10), +9 days (+30%) over its 30-day contract lead time.")


def test_lags_below_the_threshold_raise_nothing():
    drift = lead_time_drift(drift_orders(35), SUPPLIERS, PERIOD)  # +16.7%
    assert lead_time_alerts(drift, PERIOD, TH).empty
    assert len(lead_time_alerts(drift, PERIOD, Thresholds(lead_time_increase_pct=15))) == 1


def test_lag_above_its_own_trailing_median_and_severity_high():
    generous = frame("suppliers", [("S1", "Acme Metals", 90, "active")])
    alerts = lead_time_alerts(lead_time_drift(drift_orders(45), generous, PERIOD), PERIOD, TH)
    f = figures(alerts, "lead_time_increase:S1")
    assert f["basis"] == "trailing median" and f["vs_trailing_pct"] == 50
    assert alerts.loc[0, "severity"] == "high"  # 50% >= twice the 20% threshold
    per_material = lead_time_drift(drift_orders(45), generous, PERIOD, by_material=True)
    assert list(lead_time_alerts(per_material, PERIOD, TH)["alert_key"]) == [
        "lead_time_increase:S1/M1"]


# --- price ----------------------------------------------------------------------------------

def price_orders(recent: float) -> pd.DataFrame:
    return po([("E", "S1", "M1", "2026-06-01", "2026-07-01", "2026-07-01", 200, 200, 2.00),
               ("R", "S1", "M1", "2026-09-01", "2026-10-01", None, 400, None, recent)])


def test_price_spike_with_the_exact_change():
    alerts = price_spike_alerts(price_trend(price_orders(2.35), MATERIALS, PERIOD), PERIOD, TH)
    check_shape(alerts)
    a = alerts.set_index("alert_key").loc["price_spike:M1"]
    assert a["severity"] == "medium" and a["cause"] == "price"
    assert a["owners"] == "procurement,management"
    f = figures(alerts, "price_spike:M1")
    assert f["change_pct"] == pytest.approx(17.5) and f["price_moved_pct"] == pytest.approx(17.5)
    assert f["recent_price"] == 2.35 and f["earlier_price"] == 2.0
    assert f["lead_time_moved_days"] == 0 and f["demand_moved"] == 0
    assert a["message"] == (
        "Steel sheet costs 17.5% more: 2.35 per kg on orders placed 2026-08 to 2026-10 "
        "against 2.00 in 2026-05 to 2026-07 (400 kg ordered recently).")


@pytest.mark.parametrize(("price", "severity"), [(2.18, None), (2.5, "high")])
def test_price_spike_threshold_and_severity(price, severity):
    alerts = price_spike_alerts(price_trend(price_orders(price), MATERIALS, PERIOD), PERIOD, TH)
    assert list(alerts["severity"]) == ([severity] if severity else [])


def test_rules_do_not_mutate_their_inputs():
    bal, drift = material_bal(), lead_time_drift(drift_orders(39), SUPPLIERS, PERIOD)
    trend = price_trend(price_orders(2.5), MATERIALS, PERIOD)
    before = [f.copy(deep=True) for f in (bal, drift, trend)]
    material_shortage_alerts(bal, PERIOD, TH, previous=bal)
    lead_time_alerts(drift, PERIOD, TH)
    price_spike_alerts(trend, PERIOD, TH)
    for original, now in zip(before, (bal, drift, trend), strict=True):
        pd.testing.assert_frame_equal(original, now)


# --- the demo ERP -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    from sop.demo import erp_tables
    from sop.ingest.staging import staged

    return {name: staged(f, name) for name, f in erp_tables("small", 7, "2026-10").items()}


def planted_drift(orders: pd.DataFrame) -> set[str]:
    """Independently of the rules: suppliers whose lines received in the last 3 months came
    more than 10 days after the promised date, by median (the demo's drift reaches 15-25 days;
    everyone else is within a few days)."""
    got = orders[orders["received_date"] >= pd.Timestamp("2026-08-01")]
    late = (got["received_date"] - got["promised_date"]).dt.days.groupby(got["supplier_id"])
    return set(late.median()[lambda s: s > 10].index)


def planted_rise(orders: pd.DataFrame) -> set[str]:
    """Materials whose average price in October 2026 is over 20% above April 2026's (the demo
    compounds 4.5% a month over the last 6 months for the rising ones; the rest drift ~0.2%)."""
    month = orders["order_date"].dt.to_period("M")
    value = (orders["qty"] * orders["unit_price"]).groupby([orders["material_id"], month]).sum()
    price = (value / orders.groupby(["material_id", month])["qty"].sum()).unstack()
    ratio = price[pd.Period("2026-10", "M")] / price[pd.Period("2026-04", "M")]
    return set(ratio[ratio > 1.2].index)


def test_demo_drifting_supplier_and_rising_material_are_detected(demo):
    orders = demo["purchase_orders"]
    drifting, rising = planted_drift(orders), planted_rise(orders)
    assert len(drifting) == 1 and len(rising) == 1  # the small demo plants one of each
    leads = lead_time_alerts(lead_time_drift(orders, demo["suppliers"], PERIOD), PERIOD, TH)
    assert set(leads["entity"]) == drifting and set(leads["cause"]) == {"lead_time"}
    prices = price_spike_alerts(price_trend(orders, demo["materials"], PERIOD), PERIOD, TH)
    assert set(prices["entity"]) == rising and set(prices["cause"]) == {"price"}
    inactive = demo["suppliers"].loc[demo["suppliers"]["status"] == "inactive", "supplier_id"]
    lead = material_lead_times(orders, demo["suppliers"], PERIOD)
    assert lead.notes == () and set(lead.frame["supplier_id"]).isdisjoint(set(inactive))


def test_demo_material_balance_runs_clean(demo):
    sales = demo["sales_orders"]
    recent = sales[(sales["status"] != "cancelled") & (sales["order_date"] >= "2026-08-01")]
    monthly = recent.groupby("sku")["qty"].sum() / 3
    fc = forecast([(sku, "all", f"{m:%Y-%m-%d}", q) for sku, q in monthly.items()
                   for m in pd.date_range("2026-11-01", periods=6, freq="MS")])
    reqs = material_requirements(fc, demo["bom"], PERIOD)
    lead = material_lead_times(demo["purchase_orders"], demo["suppliers"], PERIOD)
    bal = material_balance(reqs.frame, demo["inventory"], demo["purchase_orders"], lead.frame,
                           PERIOD, materials=demo["materials"])
    assert reqs.notes == () and bal.notes == ()
    assert len(bal.frame) and not bal.frame.isna().any().any()
    alerts = material_shortage_alerts(bal.frame, PERIOD, TH)
    check_shape(alerts)
    assert set(alerts["cause"]) <= {"supply", "lead_time"}
