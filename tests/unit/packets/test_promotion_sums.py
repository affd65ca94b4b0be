"""The promotions' order sums, computed by the analytical engine, against the same sums in
plain pandas (what the packet computed before the engine) on random order books with the
awkward cases: statuses in any case and spacing, missing statuses, dates, quantities, prices
and costs, unknown products and customers, a product listed twice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop.contracts import counts_as_demand
from sop.packets.briefing.promotions import _order_sums

STATUSES = ["open", "Shipped", " cancelled", "VOID", "rejected ", "closed", None, "Canceled"]


def _pandas_sums(data: dict, last_day: pd.Timestamp):
    so = data["sales_orders"]
    so = so.loc[counts_as_demand(so["status"])]
    products, customers = data["products"], data["customers"]
    cat = products.drop_duplicates("sku").set_index("sku")["category"]
    cost = products.drop_duplicates("sku").set_index("sku")["unit_cost"]
    reg = customers.drop_duplicates("customer_id").set_index("customer_id")["region"]
    o = so.assign(category=so["sku"].map(cat), region=so["customer_id"].map(reg),
                  value=so["qty"] * so["unit_price"],
                  cost=so["qty"] * so["sku"].map(cost).fillna(0.0))
    for col in ("category", "region"):
        o[f"_{col}"] = o[col].astype("string").str.lower().fillna("").to_numpy(dtype=object)
    daily = o.assign(_untagged=o["qty"].where(o["promo_id"].isna(), 0)).groupby(
        ["order_date", "_category", "_region"], as_index=False, dropna=True)[
        ["qty", "_untagged", "value", "cost"]].sum()
    tagged = o[o["order_date"] <= last_day].groupby("promo_id")[["qty", "value"]].sum()
    return daily, tagged, o["order_date"].min()


def _random_data(seed: int, lines: int) -> dict:
    rng = np.random.default_rng(seed)
    skus = [f"P{i}" for i in range(8)]
    products = pd.DataFrame({
        "sku": skus + ["P3"],  # listed twice: the first row counts
        "category": ["Widgets", "GADGETS", "widgets", None, "Tools", "tools", "Gadgets",
                     "Spare parts", "Other"],
        "unit_cost": [2.0, np.nan, 3.5, 1.25, 4.0, np.nan, 0.5, 7.0, 99.0]})
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(5)],
                              "region": ["North", "south", None, "NORTH", "East"]})
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, lines), "D")
    so = pd.DataFrame({
        "order_date": pd.Series(dates).where(rng.random(lines) > 0.02),
        "customer_id": rng.choice([f"C{i}" for i in range(6)], lines),  # C5 unknown
        "sku": rng.choice([*skus, "PX"], lines),  # PX unknown
        "qty": np.where(rng.random(lines) > 0.03, rng.integers(1, 50, lines), np.nan),
        "unit_price": np.where(rng.random(lines) > 0.03, rng.random(lines) * 30, np.nan),
        "status": pd.Series(rng.choice(np.array(STATUSES, dtype=object), lines), dtype=object),
        "promo_id": pd.Series(rng.choice(np.array([None, None, None, "PR1", "PR2", np.nan],
                                                  dtype=object), lines), dtype=object)})
    return {"sales_orders": so, "products": products, "customers": customers}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_engine_adds_up_what_pandas_adds_up(seed):
    data = _random_data(seed, 20_000)
    before = {k: v.copy() for k, v in data.items()}
    last_day = pd.Timestamp("2025-10-31")
    daily, tagged, first = _order_sums(data, last_day)
    want_daily, want_tagged, want_first = _pandas_sums(data, last_day)
    keys = ["order_date", "_category", "_region"]
    got = daily.astype({"_category": object, "_region": object}).sort_values(keys,
                                                                             ignore_index=True)
    want = want_daily.sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, rtol=1e-12)
    pd.testing.assert_frame_equal(tagged.sort_index()[["qty", "value"]],
                                  want_tagged.sort_index(), check_dtype=False,
                                  check_names=False, rtol=1e-12)
    assert first == want_first
    assert set(got["_category"]) >= {"widgets", "gadgets", ""}  # unknown sku: no scope
    for name, frame in data.items():  # inputs are never changed
        pd.testing.assert_frame_equal(frame, before[name])


def test_no_order_lines_add_up_to_nothing():
    data = _random_data(4, 50)
    data["sales_orders"] = data["sales_orders"].iloc[:0]
    daily, tagged, first = _order_sums(data, pd.Timestamp("2025-10-31"))
    assert daily.empty and tagged.empty and pd.isna(first)
