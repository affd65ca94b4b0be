"""Planned purchases and expedites on a small ERP: the actions are applied to the ERP frames as
a buyer would (new PO lines, earlier promised dates), the balance and the shortage alert rule
are re-run, and the shortage must be gone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop.alerts.supply import material_shortage_alerts
from sop.config import Thresholds
from sop.planning.materials import MATERIAL_BALANCE_COLUMNS, material_balance, material_requirements
from sop.planning.procurement import material_lead_times
from sop.planning.purchases import (
    EXPEDITE_COLUMNS,
    PLANNED_PURCHASE_COLUMNS,
    expedites,
    planned_purchases,
    supplier_options,
)
from tests.unit.planning.test_procurement import frame, po

PERIOD = "2026-10"
END = pd.Timestamp("2026-10-31")
NOV, DEC, JAN, FEB = (pd.Timestamp(d) for d in ("2026-11-01", "2026-12-01", "2027-01-01",
                                                  "2027-02-01"))
MATERIALS = frame("materials", [("M1", "Steel sheet", "Metals", "kg"),
                                ("M2", "Chip", "Electronics", "pcs"),
                                ("M3", "Resin", "Chemicals", "l")])
SUPPLIERS = frame("suppliers", [("S1", "Acme Metals", 30, "active"),
                                ("S2", "Borg Steel", 30, "active"),
                                ("S3", "Old Supply", 10, "inactive")])
# S1 (current: latest order) is slow (median lag 45 days over a 30-day contract, so drift 15),
# late (OTIF 1 of 3) and dear (2.20 latest); S2 takes 30 days (contract; actual 28.5), is
# always on time and costs 2.00; S3 is the best on paper but inactive.
HISTORY = [
    ("G1", "S2", "M1", "2026-05-01", "2026-05-31", "2026-05-29", 100, 100, 2.0),
    ("G2", "S2", "M1", "2026-07-01", "2026-07-31", "2026-07-30", 100, 100, 2.0),
    ("H1", "S1", "M1", "2026-06-01", "2026-07-01", "2026-07-16", 100, 100, 2.1),
    ("H2", "S1", "M1", "2026-08-01", "2026-08-31", "2026-08-31", 100, 100, 2.2),
    ("K1", "S3", "M1", "2026-08-10", "2026-08-20", "2026-08-20", 100, 100, 1.0),
    ("H3", "S1", "M1", "2026-09-01", "2026-10-01", "2026-10-16", 100, 100, 2.2),
]
BOM = frame("bom", [("P1", "M1", 2.0)])  # 100 units of P1 a month -> 200 kg of M1


def forecast(units: dict[str, list[float]]) -> pd.DataFrame:
    """sku_region forecast, one region, months from November."""
    return pd.DataFrame([{"level": "sku_region", "unique_id": f"{sku}/North", "region": "North",
                          "category": "C", "sku": sku, "ds": NOV + pd.DateOffset(months=i),
                          "forecast": float(u)} for sku, us in units.items()
                         for i, u in enumerate(us)])


def run(orders, stock, units=None, bom=BOM, suppliers=SUPPLIERS):
    """Balance, lead times and shortage alerts of the ERP, as sop.planning.build wires them."""
    stock = stock if isinstance(stock, dict) else {"M1": stock}
    inv = frame("inventory", [("2026-10-31", "PL1", m, "material", s, 0, 0, 0)
                              for m, s in stock.items()])
    lead = material_lead_times(orders, suppliers, PERIOD).frame
    reqs = material_requirements(forecast(units or {"P1": [100] * 4}), bom, PERIOD).frame
    bal = material_balance(reqs, inv, orders, lead, PERIOD, materials=MATERIALS).frame
    return bal, lead, material_shortage_alerts(bal, PERIOD, Thresholds())


def apply(orders, planned=None, expedited=None):
    """The actions in ERP terms: expedited lines promised earlier, planned lines added."""
    out = orders.copy()
    for e in () if expedited is None else expedited.itertuples():
        line = (out["po_id"] == e.po_id) & (out["line_no"] == e.line_no)
        out.loc[line, "promised_date"] -= pd.Timedelta(days=e.days_earlier)
    if planned is not None and len(planned):
        out = pd.concat([out, po([(f"PLN-{i}", p.supplier_id, p.material_id, END,
                                   p.promised_date, None, p.qty, None, p.unit_price)
                                  for i, p in enumerate(planned.itertuples())])],
                        ignore_index=True)
    return out


def assert_cleared(orders, stock, **kw):
    bal, _, alerts = run(orders, stock, **kw)
    assert (bal["projected_on_hand"] >= -1e-9).all(), bal
    assert alerts.empty


def test_shortage_beyond_lead_time_is_planned_from_the_better_supplier():
    orders = po(HISTORY)
    bal, lead, alerts = run(orders, 500)  # 300, 100, -100, -300 kg from November
    assert not bal["within_lead_time"].any()
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead)
    assert list(plan.columns) == list(PLANNED_PURCHASE_COLUMNS)
    assert plan["need_date"].tolist() == [JAN, FEB] and plan["qty"].tolist() == [100, 200]
    assert (plan["supplier_id"] == "S2").all() and (plan["lead_time_days"] == 30).all()
    assert plan["order_by"].tolist() == [JAN - pd.Timedelta(days=30), FEB - pd.Timedelta(days=30)]
    assert plan["promised_date"].tolist() == [JAN, FEB]  # S2 runs within its contract: no drift
    assert plan["value"].tolist() == [200.0, 400.0] and (plan["otif_pct"] == 100).all()
    assert not plan["late"].any()
    assert plan["alternatives"].iloc[0] == "Acme Metals: 45 days, OTIF 33%, 2.20 per kg"
    options = supplier_options(orders, SUPPLIERS, PERIOD, lead)
    assert options["supplier_id"].tolist() == ["S2", "S1"]  # S3 inactive: not a candidate
    assert options["score"].iloc[0] == pytest.approx(3.0)


def test_applying_planned_purchases_clears_a_medium_shortage_alert():
    orders = po(HISTORY)
    bal, lead, alerts = run(orders, 500)
    assert alerts["severity"].tolist() == ["medium"]
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead)
    assert expedites(bal, orders, lead, PERIOD).empty  # nothing within lead time
    assert_cleared(apply(orders, plan), 500)


def test_expedite_and_planned_purchases_clear_a_high_shortage_alert():
    # an open order of 300 kg from S1 promised 10 January, expected 25 January with S1's
    # 15-day drift: too late for November (-80) and December (-280), both within lead time
    orders = po([*HISTORY, ("O1", "S1", "M1", "2026-10-15", "2027-01-10", None, 300, None, 2.2)])
    bal, lead, alerts = run(orders, 120)
    assert alerts["severity"].tolist() == ["high"]
    exp = expedites(bal, orders, lead, PERIOD, suppliers=SUPPLIERS)
    assert list(exp.columns) == list(EXPEDITE_COLUMNS)
    [e] = exp.to_dict("records")
    assert (e["po_id"], e["supplier"], e["deliver_by"]) == ("O1", "Acme Metals", NOV)
    assert e["days_earlier"] == 85 and e["shortage_closed"] == 80 and e["value"] == 660
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead, expedites=exp)
    # after the expedite: 220, 20, -180, -380
    assert plan["need_date"].tolist() == [JAN, FEB] and plan["qty"].tolist() == [180, 200]
    assert_cleared(apply(orders, plan, exp), 120)
    # without the expedite the within-lead-time November needs a late order
    alone = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead)
    assert alone["qty"].tolist() == [80, 200, 100]
    assert alone["late"].tolist() == [True, False, False]  # S2's 30 days still make December
    assert_cleared(apply(orders, alone), 120)


def test_a_shortage_no_open_line_can_close_keeps_a_late_planned_order():
    orders = po([*HISTORY, ("O1", "S1", "M1", "2026-10-15", "2027-01-10", None, 50, None, 2.2)])
    bal, lead, _ = run(orders, 120)
    exp = expedites(bal, orders, lead, PERIOD)
    assert exp["po_id"].tolist() == ["O1"] and exp["shortage_closed"].tolist() == [50]
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead, expedites=exp)
    assert plan["qty"].tolist() == [30, 200, 200, 200]
    assert plan["late"].tolist() == [True, False, False, False]
    assert_cleared(apply(orders, plan, exp), 120)


def test_a_drifting_new_supplier_is_asked_earlier_and_its_open_lines_are_re_timed():
    # S2 now takes 40 days (promising so, OTIF 100%) against its 30-day contract: drift 10.
    # Its open 200 kg promised 25 December is expected then while S1 is current, and on
    # 4 January once a new S2 line makes S2 current: December goes 100 kg short.
    orders = po([
        ("G3", "S2", "M1", "2026-05-01", "2026-06-10", "2026-06-10", 100, 100, 2.0),
        ("G4", "S2", "M1", "2026-07-01", "2026-08-10", "2026-08-10", 100, 100, 2.0),
        ("O2", "S2", "M1", "2026-08-15", "2026-12-25", None, 200, None, 2.0),
        *[h for h in HISTORY if h[1] == "S1"]])
    bal, lead, _ = run(orders, 300)  # 100, 100, -100, -300 while S1 is current
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead)
    assert (plan["supplier_id"] == "S2").all() and (plan["lead_time_days"] == 40).all()
    assert plan["need_date"].tolist() == [DEC, FEB] and plan["qty"].tolist() == [100, 200]
    assert plan["promised_date"].tolist() == [DEC - pd.Timedelta(days=10),
                                              FEB - pd.Timedelta(days=10)]
    assert plan["late"].tolist() == [True, False]  # 1 Dec - 40 days is before 1 November
    assert_cleared(apply(orders, plan), 300)


def hand_balance(on_hand: list[float]) -> pd.DataFrame:
    poh = np.array(on_hand, dtype=float)
    out = pd.DataFrame({"material_id": "M1", "material": "Steel sheet", "unit": "kg",
                        "ds": pd.date_range(NOV, periods=len(poh), freq="MS"),
                        "projected_on_hand": poh, "shortage": np.clip(-poh, 0, None),
                        "lead_time_days": 45.0, "lead_time_source": "actual",
                        "drift_days": 15.0})
    out["within_lead_time"] = (out["shortage"] > 0) & (out["ds"] < DEC)
    for col in set(MATERIAL_BALANCE_COLUMNS) - set(out.columns):
        out[col] = 0.0
    return out[list(MATERIAL_BALANCE_COLUMNS)]


def test_several_shortage_steps_give_cumulative_increments():
    orders = po(HISTORY)
    lead = material_lead_times(orders, SUPPLIERS, PERIOD).frame
    bal = hand_balance([-10.2, -5, -30.5, -30.5, -50, 20])
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead)
    assert plan["need_date"].tolist() == [NOV, pd.Timestamp("2027-01-01"),
                                          pd.Timestamp("2027-03-01")]
    assert plan["qty"].tolist() == [11, 20, 19]  # whole units: cover 11, 31, 50
    got = plan.set_index("need_date")["qty"].reindex(bal["ds"], fill_value=0).cumsum()
    assert (got.to_numpy() >= bal["shortage"].to_numpy()).all()
    assert (got.to_numpy() == np.ceil(np.maximum.accumulate(bal["shortage"]))).all()
    assert plan["late"].tolist() == [True, False, False]  # 1 Nov - 30 days < 1 November


def test_an_inactive_supplier_is_never_chosen():
    # S3 is the current supplier (latest order) and the best on paper, but inactive
    orders = po([*[h for h in HISTORY if h[1] == "S1"],
                 ("K2", "S3", "M1", "2026-09-20", "2026-09-30", "2026-09-30", 100, 100, 1.0)])
    bal, lead, _ = run(orders, 300)
    assert lead["supplier_id"].tolist() == ["S3"]
    plan = planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead)
    assert (plan["supplier_id"] == "S1").all() and (plan["alternatives"] == "").all()
    assert_cleared(apply(orders, plan), 300)
    only = po([h for h in HISTORY if h[1] == "S3"])
    bal, lead, _ = run(only, 300)
    plan = planned_purchases(bal, only, SUPPLIERS, PERIOD, lead)
    assert plan["supplier_id"].isna().all() and (plan["supplier"] == "no active supplier").all()
    assert plan["qty"].sum() == 500


def test_inputs_are_not_mutated():
    orders = po([*HISTORY, ("O1", "S1", "M1", "2026-10-15", "2027-01-10", None, 300, None, 2.2)])
    bal, lead, _ = run(orders, 120)
    inputs = (bal, orders, SUPPLIERS, lead)
    before = [f.copy(deep=True) for f in inputs]
    exp = expedites(bal, orders, lead, PERIOD, suppliers=SUPPLIERS)
    planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead, expedites=exp)
    for original, now in zip(before, inputs, strict=True):
        pd.testing.assert_frame_equal(original, now)


def test_nothing_short_gives_empty_frames():
    orders = po(HISTORY)
    bal, lead, _ = run(orders, 5000)
    assert planned_purchases(bal, orders, SUPPLIERS, PERIOD, lead).empty
    assert expedites(bal, orders, lead, PERIOD).empty
    assert list(planned_purchases(bal.iloc[0:0], orders, SUPPLIERS, PERIOD, lead).columns) == (
        list(PLANNED_PURCHASE_COLUMNS))


def random_erp(seed: int):
    """Three materials, four suppliers (S4 inactive), random histories, open lines, stock and
    requirements; every material has a delivered line from an active supplier."""
    rng = np.random.default_rng(seed)
    sups = frame("suppliers", [(f"S{i}", f"Supplier {i}", int(rng.integers(10, 60)),
                                "inactive" if i == 4 else "active") for i in range(1, 5)])
    contract = dict(zip(sups["supplier_id"], sups["contract_lead_time_days"], strict=True))
    rows, day = [], lambda lo, hi: pd.Timestamp(lo) + pd.Timedelta(days=int(rng.integers(
        0, (pd.Timestamp(hi) - pd.Timestamp(lo)).days)))
    for m in ("M1", "M2", "M3"):
        for k in range(int(rng.integers(3, 8))):
            s = "S1" if k == 0 else f"S{int(rng.integers(1, 5))}"
            ordered = day("2026-03-01", "2026-08-15")
            promised = ordered + pd.Timedelta(days=int(contract[s] + rng.integers(-5, 15)))
            received = ordered + pd.Timedelta(days=int(contract[s] + rng.integers(-5, 30)))
            qty = float(rng.integers(50, 400))
            rows.append((f"{m}-H{k}", s, m, ordered, promised, received, qty,
                         qty - float(rng.integers(0, 2)) * 10, float(rng.uniform(1, 5))))
        for k in range(int(rng.integers(0, 4))):
            rows.append((f"{m}-O{k}", f"S{int(rng.integers(1, 5))}", m,
                         day("2026-08-16", "2026-10-30"), day("2026-10-15", "2027-05-30"), None,
                         float(rng.integers(50, 600)), None, float(rng.uniform(1, 5))))
    orders = po(rows)
    bom = frame("bom", [(f"P{i}", m, float(rng.integers(1, 4)))
                        for i in range(1, 4) for m in ("M1", "M2", "M3") if rng.random() < 0.6
                        or m == f"M{i}"])
    units = {f"P{i}": rng.integers(0, 200, 6).tolist() for i in range(1, 4)}
    stock = {m: float(rng.integers(0, 800)) for m in ("M1", "M2", "M3")}
    return orders, sups, {"stock": stock, "units": units, "bom": bom, "suppliers": sups}


@pytest.mark.parametrize("seed", range(8))
def test_random_erp_has_no_shortage_once_the_actions_are_applied(seed):
    orders, sups, kw = random_erp(seed)
    bal, lead, _ = run(orders, **kw)
    assert (bal["shortage"] > 0).any()
    exp = expedites(bal, orders, lead, PERIOD, suppliers=sups)
    plan = planned_purchases(bal, orders, sups, PERIOD, lead, expedites=exp)
    assert plan["supplier_id"].notna().all() and (plan["supplier_id"] != "S4").all()
    assert (plan["qty"] == plan["qty"].round()).all() and (plan["qty"] > 0).all()
    assert_cleared(apply(orders, plan, exp), **kw)
    alone = planned_purchases(bal, orders, sups, PERIOD, lead)
    assert_cleared(apply(orders, alone), **kw)
