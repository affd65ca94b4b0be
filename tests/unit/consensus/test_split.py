"""Adjustments split down to cells: exact figures for each rule, the overlap rule, the
consensus merge, and coherence on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop.consensus.model import Submission
from sop.consensus.split import (
    adjusted_cells,
    forecast_with_version,
    merged_adjustments,
    series_rows,
)

M1, M2 = pd.Timestamp("2026-12-01"), pd.Timestamp("2027-01-01")
CELLS = pd.DataFrame([
    (M1, "North", "A", "S1", "C1", 60.0, 600.0),
    (M1, "North", "A", "S1", "C2", 40.0, 400.0),
    (M1, "South", "A", "S2", "C1", 50.0, 1000.0),
    (M1, "South", "B", "S3", "C3", 50.0, 250.0),
    (M2, "North", "A", "S1", "C1", 10.0, 100.0),
    (M2, "South", "B", "S3", "C3", 0.0, 0.0),
    (M2, "North", "B", "S3", "C3", 0.0, 0.0),
], columns=["ds", "region", "category", "sku", "customer_id", "qty", "revenue"])


def adj(ref, ds, qty=None, pct=None, **keys) -> dict:
    return {"source_ref": ref, "ds": ds, "category": keys.get("category"),
            "region": keys.get("region"), "customer_id": keys.get("customer_id"),
            "sku": keys.get("sku"), "qty": qty, "change_pct": pct, "reason": "other",
            "comment": None}


def run(*rows):
    return adjusted_cells(CELLS, pd.DataFrame(list(rows)))


def qty(cells, month=M1):
    return cells[cells["ds"] == month]["qty"].round(6).tolist()


def test_a_number_is_split_in_proportion_and_revenue_follows_the_price():
    out, log = run(adj("r1", M1, pct=50.0, category="A"))
    assert qty(out) == [90.0, 60.0, 75.0, 50.0]  # A x 1.5, B untouched
    assert out["revenue"].iloc[2] == pytest.approx(75 * 20.0)  # S2's price, 20
    assert log.iloc[0][["level", "statistical", "target", "result"]].tolist() == [
        "category", 150.0, 225.0, 225.0]
    assert CELLS["qty"].iloc[0] == 60.0  # input not mutated


def test_finer_numbers_hold_and_the_coarser_one_takes_the_rest():
    # given coarse first: the total 300 and category A in the North 150 (finest wins)
    out, log = run(adj("t", M1, qty=300.0), adj("cr", M1, qty=150.0, category="A",
                                                 region="North"))
    assert qty(out) == [90.0, 60.0, 75.0, 75.0]  # North A fixed at 150; 150 over 100 stat
    assert out[out["ds"] == M1]["qty"].sum() == pytest.approx(300.0)
    assert log["source_ref"].tolist() == ["cr", "t"] and (log["note"] == "").all()


def test_when_finer_numbers_exceed_the_coarser_one_the_rest_goes_to_zero_and_says_so():
    out, log = run(adj("t", M1, qty=120.0), adj("s", M1, qty=150.0, sku="S1"))
    assert qty(out) == [90.0, 60.0, 0.0, 0.0]
    t = log.set_index("source_ref").loc["t"]
    assert t["result"] == pytest.approx(150.0) and "exceed" in t["note"]


def test_a_group_without_forecast_shares_equally_and_other_months_are_untouched():
    out, _ = run(adj("b", M2, qty=30.0, category="B"))
    assert qty(out, M2) == [10.0, 15.0, 15.0]
    assert qty(out) == qty(CELLS)
    assert out[(out["ds"] == M2) & (out["category"] == "B")]["revenue"].sum() == 0.0
    out, log = run(adj("c", M2, qty=5.0, customer_id="C9"))
    assert log["note"].iloc[0] == "no forecast in this group to adjust"


def test_versions_add_up_at_every_level_on_random_data():
    g = np.random.default_rng(4417)
    n = 400
    cells = pd.DataFrame({
        "ds": pd.to_datetime(g.choice(["2027-01-01", "2027-02-01"], n)),
        "region": g.choice(["N", "S", "E"], n), "category": g.choice(["A", "B", "C"], n),
        "sku": g.choice([f"P{i}" for i in range(12)], n),
        "customer_id": g.choice([f"C{i}" for i in range(9)], n),
        "qty": g.gamma(2.0, 20.0, n), "revenue": 0.0})
    cells = cells.drop_duplicates(["ds", "region", "category", "sku", "customer_id"])
    cells["revenue"] = cells["qty"] * g.uniform(5, 50, len(cells))
    rows = [adj(f"r{i}", pd.Timestamp(str(g.choice(["2027-01-01", "2027-02-01"]))),
                **({"qty": float(g.uniform(50, 500))} if i % 2 else
                   {"pct": float(g.uniform(-50, 80))}),
                **dict(zip(keys, [str(g.choice(vals)) for vals in v], strict=True)))
            for i, (keys, v) in enumerate([
                (("category",), (["A", "B"],)), (("region",), (["N", "S"],)),
                (("sku", "region"), ([f"P{i}" for i in range(12)], ["N", "S", "E"])),
                (("customer_id",), ([f"C{i}" for i in range(9)],)), ((), ())])]
    out, log = adjusted_cells(cells, pd.DataFrame(rows))
    assert (out["qty"] >= -1e-9).all()
    levels = series_rows(out)
    for level in ("category", "region", "category_region", "sku_region", "customer"):
        sums = levels[levels["level"] == level].groupby("ds")["forecast"].sum()
        total = levels[levels["level"] == "total"].set_index("ds")["forecast"]
        assert np.allclose(sums.sort_index(), total.sort_index())
    clean = log[log["note"] == ""]
    assert np.allclose(clean["result"], clean["target"])  # numbers met unless a note says


def test_the_consensus_keeps_the_later_submission_for_the_same_group_and_month():
    sales = Submission("2026-11", "sales", "s@x", pd.DataFrame([
        adj("s1", M1, qty=100.0, category="A"), adj("s2", M1, pct=10.0, region="South")]), "f")
    marketing = Submission("2026-11", "marketing", "m@x", pd.DataFrame([
        adj("m1", M1, qty=130.0, category="A")]), "g")
    merged, lost = merged_adjustments([sales, marketing])
    assert merged["source_ref"].tolist() == ["s2", "m1"]
    assert lost[["source_ref", "department", "replaced_by"]].values.tolist() == [
        ["s1", "sales", "marketing"]]


def test_a_version_replaces_the_plans_rows_and_moves_the_intervals_with_them():
    stat = series_rows(CELLS).assign(lo_80=lambda f: f["forecast"] * 0.9,
                                     hi_80=lambda f: f["forecast"] * 1.1, model="AutoETS")
    out, _ = run(adj("r1", M1, pct=50.0, category="A"))
    plan = forecast_with_version(stat, series_rows(out))
    a = plan[(plan["unique_id"] == "category=A") & (plan["ds"] == M1)].iloc[0]
    assert a["forecast"] == pytest.approx(225.0) and a["lo_80"] == pytest.approx(202.5)
    b = plan[(plan["unique_id"] == "category=B") & (plan["ds"] == M1)].iloc[0]
    assert b["forecast"] == pytest.approx(50.0) and len(plan) == len(stat)
