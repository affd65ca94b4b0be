"""Stock transfers and extra planned production on hand-built balances with known answers;
applied to the ERP frames, they clear the stock alerts they were planned for."""

import numpy as np
import pandas as pd
import pytest

from sop.alerts.stock import stockout_alerts
from sop.config import Thresholds
from sop.periods import period_end
from sop.planning.balance import projected_balance
from sop.planning.replenishment import (
    PRODUCTION_COLUMNS,
    TRANSFER_COLUMNS,
    capacity_by_line_month,
    planned_production,
    stock_transfers,
)
from tests.unit.frames import contract_frame

PERIOD = "2026-10"
MONTHS = pd.date_range("2026-11-01", periods=4, freq="MS")
TS = pd.Timestamp


def forecast(series: dict) -> pd.DataFrame:
    """{(sku, region): monthly values from 2026-11} -> sku_region forecast rows."""
    rows = [{"level": "sku_region", "sku": sku, "region": region, "ds": ds, "forecast": float(v)}
            for (sku, region), values in series.items()
            for ds, v in zip(pd.date_range("2026-11-01", periods=len(values), freq="MS"),
                             values, strict=True)]
    return pd.DataFrame(rows)


def warehouses(regions=("A", "B", "C")) -> pd.DataFrame:
    rows = [(f"DC-{r}", f"{r} distribution centre", r, "distribution_centre") for r in regions]
    return contract_frame("warehouses", rows + [("P1", "Plant", regions[0], "plant")])


def products(skus=("S1", "S2", "S3", "S4")) -> pd.DataFrame:
    return contract_frame("products", [(s, f"Product {s}", "cat", "fam", 5.0, 12.5, "active",
                                        "2020-01-01") for s in skus])


def inventory(rows, date="2026-10-31") -> pd.DataFrame:
    """(warehouse, sku, on_hand, allocated, safety_stock) finished-goods rows of one snapshot."""
    return contract_frame("inventory", [(date, wh, sku, "finished", oh, al, 0.0, ss)
                                        for wh, sku, oh, al, ss in rows])


def apply_transfers(inv: pd.DataFrame, transfers: pd.DataFrame) -> pd.DataFrame:
    """ERP edit: in the latest finished snapshot, origin on hand -= qty, destination in transit
    += qty (a new row when the destination has none)."""
    inv = inv.copy()
    fin = (inv["item_type"] == "finished") & (inv["snapshot_date"] <= period_end(PERIOD))
    snap = inv.loc[fin, "snapshot_date"].max()
    for t in transfers.itertuples(index=False):
        at = fin & (inv["snapshot_date"] == snap) & (inv["item_id"] == t.sku)
        origin = at & (inv["warehouse_id"] == t.from_warehouse_id)
        assert origin.sum() == 1
        inv.loc[origin, "on_hand"] -= t.qty
        dest = at & (inv["warehouse_id"] == t.to_warehouse_id)
        if dest.any():
            inv.loc[dest, "in_transit"] += t.qty
        else:
            new = contract_frame("inventory", [(snap, t.to_warehouse_id, t.sku, "finished", 0.0,
                                                0.0, t.qty, 0.0)])
            inv = pd.concat([inv, new], ignore_index=True)
            fin = (inv["item_type"] == "finished") & (inv["snapshot_date"] <= period_end(PERIOD))
    return inv


def apply_production(plan: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """ERP edit: add (plan_week, line_id, sku, gross_qty) rows, summing into an existing key."""
    add = extra.rename(columns={"gross_qty": "planned_qty"})[list(plan.columns)]
    out = pd.concat([plan, add], ignore_index=True)
    return out.groupby(["plan_week", "line_id", "sku"], as_index=False)["planned_qty"].sum()


def alerts_for(balance: pd.DataFrame, skus) -> pd.DataFrame:
    alerts = stockout_alerts(balance, PERIOD, Thresholds())
    return alerts[alerts["entity"].str.split("@").str[0].isin(list(skus))]


def empty_plan() -> pd.DataFrame:
    return contract_frame("production_plan", [])


def empty_maintenance() -> pd.DataFrame:
    return contract_frame("maintenance_plan", [])


def transfer_case():
    fc = forecast({("S1", "A"): [100] * 4, ("S1", "B"): [10] * 4, ("S1", "C"): [10] * 4})
    inv = inventory([("DC-A", "S1", 150.0, 0.5, 40.0), ("DC-B", "S1", 120.0, 0.0, 20.0),
                     ("DC-C", "S1", 100.0, 0.0, 20.0)])
    return fc, inv, empty_plan(), empty_maintenance(), warehouses()


def test_transfer_covers_the_exact_deficit_from_the_largest_surplus_first():
    fc, inv, prod, maint, wh = transfer_case()
    bal = projected_balance(fc, inv, prod, maint, wh, PERIOD)
    assert set(alerts_for(bal, ["S1"])["rule"]) == {"stockout"}
    tr = stock_transfers(bal, PERIOD, 2, products(), wh)
    # DC-A: 149.5 available -> Nov 49.5, Dec -50.5: deficit 40 + 50.5 = 90.5 -> 91 units.
    # DC-B closes 110..80 (surplus 80 - 20 = 60), DC-C 90..60 (surplus 40): 60 from B, 31 from C
    assert list(tr.columns) == list(TRANSFER_COLUMNS)
    assert tr[["from_warehouse", "to_warehouse", "qty", "need_month", "value"]].values.tolist() == [
        ["B distribution centre", "A distribution centre", 60.0, TS("2026-12-01"), 750.0],
        ["C distribution centre", "A distribution centre", 31.0, TS("2026-12-01"), 387.5]]
    assert tr["product"].tolist() == ["Product S1"] * 2
    assert tr["from_warehouse_id"].tolist() == ["DC-B", "DC-C"]

    after = projected_balance(fc, apply_transfers(inv, tr), prod, maint, wh, PERIOD)
    assert alerts_for(after, ["S1"]).empty
    by_wh = after.set_index(["warehouse_id", "ds"])["closing"]
    assert by_wh["DC-A"].tolist()[:2] == [140.5, 40.5]
    for origin in ("DC-B", "DC-C"):  # never below its own safety stock in any month
        assert (by_wh[origin] >= 20.0 - 1e-6).all()
    assert by_wh["DC-B"].min() == 20.0


def production_case():
    # shares: DC-A 120 / 160 = 0.75, DC-B 40 / 160 = 0.25; S1 planned 4 x 50 in Jan on L1
    fc = forecast({("S1", "A"): [30, 30, 30, 30], ("S1", "B"): [0, 40, 0, 0]})
    inv = inventory([("DC-A", "S1", 20.0, 0.0, 20.0), ("DC-B", "S1", 10.0, 0.0, 5.0)])
    jan = pd.date_range("2027-01-04", periods=4, freq="W-MON")
    prod = contract_frame("production_plan", [(w, "L1", "S1", 50.0) for w in jan]
                          + [("2026-11-02", "L2", "S2", 80.0)])
    maint = contract_frame("maintenance_plan", [
        ("L1", "2026-11-02", "2026-11-08", "overhaul", 100.0),
        ("L1", "2026-12-07", "2027-01-03", "reduced", 50.0)])
    return fc, inv, prod, maint, warehouses(("A", "B"))


def test_planned_production_follows_the_cumulative_need_over_shares():
    fc, inv, prod, maint, wh = production_case()
    bal = projected_balance(fc, inv, prod, maint, wh, PERIOD)
    # closing without extra: DC-A -10, -40, 80, 50 (safety 20); DC-B 10, -30, 20, 20 (safety 5)
    assert bal["closing"].tolist() == [-10.0, -40.0, 80.0, 50.0, 10.0, -30.0, 20.0, 20.0]
    assert not alerts_for(bal, ["S1"]).empty
    tr = stock_transfers(bal, PERIOD, 2, products(), wh)
    assert tr.empty and list(tr.columns) == list(TRANSFER_COLUMNS)  # no surplus anywhere
    pp = planned_production(bal, PERIOD, prod, maint, products(), transfers=tr)
    # C_m = max_w deficit / share: Nov max(30 / .75, 0) = 40; Dec max(60 / .75, 35 / .25) = 140;
    # Jan, Feb 0 -> non-decreasing 40, 140, 140, 140 -> plan 40 in Nov, 100 in Dec
    assert list(pp.columns) == list(PRODUCTION_COLUMNS)
    assert pp["ds"].tolist() == [TS("2026-11-01"), TS("2026-12-01")]
    assert pp["qty"].tolist() == [40.0, 100.0]
    assert pp["line_id"].tolist() == ["L1", "L1"]
    # Nov 2 is lost to the overhaul; every December week loses 50 %: the first is used
    assert pp["plan_week"].tolist() == [TS("2026-11-09"), TS("2026-12-07")]
    assert pp["gross_qty"].tolist() == [40.0, 200.0]
    assert pp["current_plan_qty"].tolist() == [0.0, 0.0]
    # L1 weekly capacity 50: Nov 4 usable weeks = 200, Dec 4 x 50 x 0.5 = 100
    assert pp["line_capacity"].tolist() == [200.0, 100.0]
    assert pp["line_load"].tolist() == [40.0, 100.0]
    assert pp["capacity_shortfall"].tolist() == [0.0, 0.0]
    assert pp["value"].tolist() == [500.0, 1250.0]
    assert pp["product"].tolist() == ["Product S1"] * 2

    after = projected_balance(fc, inv, apply_production(prod, pp), maint, wh, PERIOD)
    assert alerts_for(after, ["S1"]).empty
    assert (after["closing"] >= after["safety_stock"] - 1e-6).all()
    # DC-B ends December exactly at its safety stock: -30 + 0.25 x (40 + 100)
    assert after.set_index(["warehouse_id", "ds"]).loc[("DC-B", TS("2026-12-01")), "closing"] == 5.0


def test_line_rates_too_small_show_the_capacity_shortfall():
    fc, inv, prod, maint, wh = production_case()
    fc = pd.concat([fc, forecast({("S3", "A"): [10] * 4})], ignore_index=True)
    bal = projected_balance(fc, inv, prod, maint, wh, PERIOD)
    pp = planned_production(bal, PERIOD, prod, maint, products(),
                            line_rates={"L1": 20.0, "L9": 1000.0})
    s1 = pp[pp["sku"] == "S1"]
    # Dec: 4 weeks x 20 x 0.5 = 40 against the 100 extra; Nov 4 x 20 = 80 against 40
    assert s1["line_capacity"].tolist() == [80.0, 40.0]
    assert s1["capacity_shortfall"].tolist() == [0.0, 60.0]
    # S3 was never planned: the line with most spare capacity (L9), 10 units a month
    s3 = pp[pp["sku"] == "S3"]
    assert s3["line_id"].unique().tolist() == ["L9"] and s3["qty"].tolist() == [10.0] * 4
    assert s3["plan_week"].iloc[0] == TS("2026-11-02")
    cap = capacity_by_line_month(prod, maint, MONTHS, {"L1": 20.0, "L9": 1000.0})
    jan = cap[(cap["line_id"] == "L1") & (cap["ds"] == "2027-01-01")]
    assert jan[["line_capacity", "current_load"]].values.tolist() == [[80.0, 200.0]]


def test_inputs_are_not_mutated():
    fc, inv, prod, maint, wh = transfer_case()
    bal = projected_balance(fc, inv, prod, maint, wh, PERIOD)
    prods = products()
    frames = [bal, prods, wh, prod, maint]
    before = [f.copy() for f in frames]
    tr = stock_transfers(bal, PERIOD, 2, prods, wh)
    tr_before = tr.copy()
    planned_production(bal, PERIOD, prod, maint, prods, transfers=tr, line_rates={"L1": 100.0})
    for f, b in zip(frames + [tr], before + [tr_before], strict=True):
        pd.testing.assert_frame_equal(f, b)


# seed 3 places rows in weeks under partial maintenance; in 74 a whole month is lost
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 74])
def test_transfers_then_production_leave_every_warehouse_at_safety_stock(seed):
    rng = np.random.default_rng(seed)
    skus, regions = ["S1", "S2", "S3", "S4"], ["A", "B", "C"]
    fc = forecast({(s, r): rng.uniform(1, 60, 6).round(1) for s in skus for r in regions})
    rows = [(f"DC-{r}", s, float(rng.integers(0, 400)), float(rng.integers(0, 30)),
             float(rng.integers(0, 80))) for s in skus for r in regions if rng.random() < 0.85]
    inv = pd.concat([inventory(rows), inventory([("DC-A", "S1", 999.0, 0.0, 0.0)],
                                                date="2026-09-30")], ignore_index=True)
    weeks = pd.date_range("2026-11-02", periods=26, freq="W-MON")
    prod = contract_frame("production_plan", [
        (w, line, s, float(rng.integers(0, 80))) for s, line in
        (("S1", "L1"), ("S2", "L1"), ("S2", "L2"), ("S3", "L2")) for w in weeks
        if rng.random() < 0.5])
    # windows from late November, up to five weeks: partial losses and whole months lost
    maint = contract_frame("maintenance_plan", [
        (line, start, start + pd.Timedelta(days=int(rng.integers(3, 36))), "planned",
         float(rng.choice([30.0, 50.0, 100.0])))
        for line in ("L1", "L2") for start in [weeks[int(rng.integers(4, 20))]]])
    wh = warehouses(tuple(regions))

    bal = projected_balance(fc, inv, prod, maint, wh, PERIOD)
    tr = stock_transfers(bal, PERIOD, 2, products(), wh)
    moved = projected_balance(fc, apply_transfers(inv, tr), prod, maint, wh, PERIOD)
    origins = moved[moved.set_index(["sku", "warehouse_id"]).index.isin(
        list(zip(tr["sku"], tr["from_warehouse_id"], strict=True)))]
    assert (origins["closing"] >= origins["safety_stock"] - 1e-6).all()
    pp = planned_production(bal, PERIOD, prod, maint, products(), transfers=tr)
    assert pp["gross_qty"].notna().all() and (pp["qty"] > 0).all()
    after = projected_balance(fc, apply_transfers(inv, tr), apply_production(prod, pp), maint,
                              wh, PERIOD)
    assert len(after) == len(bal) == 4 * 3 * 6
    assert (after["closing"] >= after["safety_stock"] - 1e-6).all()
    assert alerts_for(after, skus).empty
