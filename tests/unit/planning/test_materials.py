"""Material requirements through the BOM and the material balance, on hand-built frames."""

from __future__ import annotations

import pandas as pd
import pytest

from sop.planning.materials import (
    MATERIAL_BALANCE_COLUMNS,
    material_balance,
    material_requirements,
    material_stock,
)
from sop.planning.procurement import material_lead_times
from tests.unit.planning.test_procurement import MATERIALS, SUPPLIERS, frame, po

PERIOD = "2026-10"
NOV, DEC, JAN = (pd.Timestamp(d) for d in ("2026-11-01", "2026-12-01", "2027-01-01"))


def forecast(rows: list[tuple]) -> pd.DataFrame:
    """sku_region forecast rows from (sku, region, ds, units), plus a total row to ignore."""
    out = [{"level": "sku_region", "unique_id": f"{s}/{r}", "region": r, "category": "C",
            "sku": s, "ds": pd.Timestamp(ds), "forecast": float("nan") if u is None else float(u)}
           for s, r, ds, u in rows]
    out.append({"level": "total", "unique_id": "total", "region": None, "category": None,
                "sku": None, "ds": NOV, "forecast": 1e6})
    return pd.DataFrame(out)


# P1 needs 2 kg of M1 per unit; 100 units a month (60 North + 40 South) -> 200 kg a month.
FORECAST = forecast([("P1", "North", "2026-10-01", 999),  # the period itself: not a requirement
                     ("P1", "North", "2026-11-01", 60), ("P1", "South", "2026-11-01", 40),
                     ("P1", "North", "2026-12-01", 60), ("P1", "South", "2026-12-01", 40)])
BOM = frame("bom", [("P1", "M1", 2.0)])
# 150 on hand - 30 allocated = 120 kg available (in transit is stock on an open PO: not counted)
INVENTORY = frame("inventory", [
    ("2026-09-30", "PL1", "M1", "material", 999, 0, 0, 0),  # older snapshot: ignored
    ("2026-10-31", "PL1", "M1", "material", 100, 30, 100, 0),
    ("2026-10-31", "PL2", "M1", "material", 50, 0, 0, 0),
    ("2026-10-31", "PL1", "P1", "finished", 5000, 0, 0, 0),  # finished goods: not material
])
# one open PO of 100 kg promised mid-November from S1 (30-day contract, on time so far)
ORDERS = po([
    ("H1", "S1", "M1", "2026-07-01", "2026-07-31", "2026-07-31", 100, 100, 2.0),
    ("O1", "S1", "M1", "2026-10-16", "2026-11-15", None, 100, None, 2.0),
])


def balance(orders=ORDERS, inventory=INVENTORY, fc=FORECAST, bom=BOM, **kw):
    reqs = material_requirements(fc, bom, PERIOD)
    lead = material_lead_times(orders, SUPPLIERS, PERIOD)
    out = material_balance(reqs.frame, inventory, orders, lead.frame, PERIOD,
                           materials=MATERIALS, **kw)
    return out.frame.set_index(["material_id", "ds"]), reqs.notes + lead.notes + out.notes


def test_requirements_are_forecast_times_bom_per_month_summed_over_regions():
    reqs = material_requirements(FORECAST, BOM, PERIOD)
    assert reqs.frame.to_dict("records") == [
        {"material_id": "M1", "ds": NOV, "requirement": 200.0},
        {"material_id": "M1", "ds": DEC, "requirement": 200.0}]
    assert reqs.notes == ()


def test_a_shortage_that_appears_only_through_the_bom():
    bal, notes = balance()
    m1 = bal.loc["M1"]
    # November: 120 + 100 received - 200 required = 20; December: 20 - 200 = -180.
    assert m1.loc[NOV, "opening"] == 120 and m1.loc[NOV, "scheduled_receipts"] == 100
    assert m1.loc[NOV, "gross_requirement"] == 200 and m1.loc[NOV, "projected_on_hand"] == 20
    assert m1.loc[NOV, "shortage"] == 0
    assert m1.loc[DEC, "opening"] == 20 and m1.loc[DEC, "projected_on_hand"] == -180
    assert m1.loc[DEC, "shortage"] == 180
    # December starts after 31 October + the 30-day lead time: a new order can still cover it.
    assert m1.loc[DEC, "lead_time_days"] == 30 and not m1.loc[DEC, "within_lead_time"]
    assert set(bal.reset_index().columns) == set(MATERIAL_BALANCE_COLUMNS)
    assert not bal.isna().any().any()
    assert notes == ()


def test_a_shortage_inside_the_lead_time_is_flagged():
    slow = frame("suppliers", [("S1", "Acme Metals", 45, "active")])
    reqs = material_requirements(FORECAST, BOM, PERIOD)
    lead = material_lead_times(ORDERS, slow, PERIOD).frame
    bal = material_balance(reqs.frame, INVENTORY, ORDERS, lead, PERIOD).frame
    dec = bal.set_index("ds").loc[DEC]
    assert dec["lead_time_days"] == 45 and dec["within_lead_time"]  # 1 Dec < 31 Oct + 45 days


def test_overdue_open_order_counts_in_the_first_month_and_received_lines_do_not():
    orders = po([("O0", "S1", "M1", "2026-08-01", "2026-08-31", None, 70, None, 2.0),
                 ("O1", "S1", "M1", "2026-10-16", "2026-11-15", "2026-10-30", 100, 90, 2.0),
                 ("O2", "S1", "M1", "2026-10-16", "2027-03-15", None, 500, None, 2.0)])
    bal, _ = balance(orders=orders)
    assert bal.loc[("M1", NOV), "scheduled_receipts"] == 70  # overdue O0; O1 is closed
    assert bal.loc["M1", "scheduled_receipts"].sum() == 70  # O2 is beyond the horizon


def test_order_without_promised_date_is_excluded_and_named():
    orders = pd.concat([ORDERS, po([("PO-X", "S1", "M1", "2026-10-20", None, None, 500, None,
                                     2.0)])], ignore_index=True)
    bal, notes = balance(orders=orders)
    assert bal.loc[("M1", DEC), "shortage"] == 180  # the 500 kg do not count
    [note] = [n for n in notes if "promised date" in n]
    assert note.startswith("1 open purchase order line(s) without a promised date")
    assert "PO-X" in note


def test_sku_without_bom_is_named_and_left_out():
    fc = forecast([("P1", "North", "2026-11-01", 100), ("P9", "North", "2026-11-01", 70)])
    reqs = material_requirements(fc, BOM, PERIOD)
    assert reqs.frame["requirement"].sum() == 200
    [note] = reqs.notes
    assert "no bill of materials" in note and "P9" in note and "P1" not in note


def test_material_without_supplier_is_planned_with_lead_time_zero_and_named():
    bom = frame("bom", [("P1", "M1", 2.0), ("P1", "M2", 1.0)])
    bal, notes = balance(bom=bom)
    m2 = bal.loc["M2"]
    assert (m2["lead_time_days"] == 0).all() and (m2["lead_time_source"] == "none").all()
    assert m2.loc[DEC, "shortage"] == 200 and not m2["within_lead_time"].any()
    [note] = [n for n in notes if "without a supplier lead time" in n]
    assert "M2" in note and "M1" not in note


def test_stock_rows_for_unknown_materials_are_named_and_excluded():
    inv = pd.concat([INVENTORY, frame("inventory", [
        ("2026-10-31", "PL1", "MX", "material", 400, 0, 0, 0)])], ignore_index=True)
    stock = material_stock(inv, PERIOD, MATERIALS)
    assert stock.frame.set_index("material_id")["stock"].to_dict() == {"M1": 120.0}
    [note] = stock.notes
    assert "missing from the material master" in note and "MX" in note


def test_in_transit_is_counted_only_when_asked():
    bal, _ = balance(count_in_transit=True)
    assert bal.loc[("M1", NOV), "opening"] == 220
    assert material_stock(INVENTORY, PERIOD).frame["stock"].tolist() == [120.0]


def test_lead_time_drift_pushes_an_open_order_into_the_next_month():
    # S1's recent lines took 40 days against a 30-day contract (33% over the 20% tolerance):
    # the order promised for 25 November is expected 10 days later, in December.
    orders = po([
        ("H1", "S1", "M1", "2026-07-01", "2026-07-31", "2026-08-10", 100, 100, 2.0),
        ("H2", "S1", "M1", "2026-08-01", "2026-08-31", "2026-09-10", 100, 100, 2.0),
        ("O1", "S1", "M1", "2026-10-26", "2026-11-25", None, 100, None, 2.0),
    ])
    bal, _ = balance(orders=orders)
    m1 = bal.loc["M1"]
    assert m1.loc[NOV, "scheduled_receipts"] == 100 and m1.loc[NOV, "expected_receipts"] == 0
    assert m1.loc[DEC, "expected_receipts"] == 100
    assert m1.loc[NOV, "shortage"] == 80 and m1.loc[NOV, "shortage_on_promise"] == 0
    assert m1.loc[NOV, "drift_days"] == 10 and m1.loc[NOV, "lead_time_days"] == 40
    assert m1.loc[NOV, "within_lead_time"]  # 1 Nov < 31 Oct + 40 days


def test_missing_figures_never_become_nan():
    inv = INVENTORY.copy()
    inv.loc[1, "allocated"] = float("nan")
    fc = forecast([("P1", "North", "2026-11-01", 100), ("P1", "North", "2026-12-01", None)])
    bal, notes = balance(inventory=inv, fc=fc)
    assert not bal.isna().any().any()
    assert bal.loc[("M1", NOV), "opening"] == 150  # missing allocated counted as 0
    assert any("missing quantities" in n for n in notes)
    assert any("forecast value(s) missing" in n for n in notes)


def test_empty_inputs_give_an_empty_balance():
    reqs = material_requirements(FORECAST.iloc[0:0], BOM, PERIOD)
    out = material_balance(reqs.frame, INVENTORY, ORDERS, material_lead_times(
        ORDERS, SUPPLIERS, PERIOD).frame, PERIOD)
    assert out.frame.empty and list(out.frame.columns) == list(MATERIAL_BALANCE_COLUMNS)


def test_inputs_are_not_mutated():
    inputs = (FORECAST, BOM, INVENTORY, ORDERS, SUPPLIERS, MATERIALS)
    before = [f.copy(deep=True) for f in inputs]
    balance(count_in_transit=True)
    material_stock(INVENTORY, PERIOD, MATERIALS)
    for original, now in zip(before, inputs, strict=True):
        pd.testing.assert_frame_equal(original, now)


@pytest.mark.parametrize("item_type", ["Material", " material "])
def test_item_type_is_matched_loosely(item_type):
    inv = INVENTORY.assign(item_type=INVENTORY["item_type"].replace("material", item_type))
    assert material_stock(inv, PERIOD).frame["stock"].tolist() == [120.0]
