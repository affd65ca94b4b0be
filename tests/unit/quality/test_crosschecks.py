"""Cross-dataset checks: references, date order across datasets, freshness, volume."""

from __future__ import annotations

import pandas as pd
import pytest

from sop.quality.crosschecks import (
    FRESH,
    IN_MASTER,
    NEAR_PREVIOUS,
    NOT_BEFORE_ORDER,
    as_text,
    date_order_findings,
    freshness_findings,
    reference_findings,
    volume_findings,
)
from tests.unit.quality.test_suites import good_frames


def failed(findings):
    return {(f.result.dataset, f.result.expectation, f.result.column): f.result
            for f in findings if not f.result.success}


def with_value(frames, dataset, column, row, value):
    frame = frames[dataset].copy().astype({column: object})
    frame.at[row, column] = value
    return {**frames, dataset: frame}


def test_good_frames_pass_every_cross_check():
    frames = good_frames()
    findings = (reference_findings(frames) + date_order_findings(frames)
                + freshness_findings(frames, "2026-10", 7)
                + volume_findings(frames, {n: len(f) for n, f in frames.items()}, 50))
    assert failed(findings) == {}
    checked = {(f.result.dataset, f.result.column) for f in findings
               if f.result.expectation == IN_MASTER}
    assert {("sales_orders", "sku"), ("sales_orders", "customer_id"), ("bom", "material_id"),
            ("purchase_orders", "supplier_id"), ("shipments", "warehouse_id"),
            ("sales_orders", "promo_id"), ("inventory", "item_id")} <= checked


@pytest.mark.parametrize("dataset, column, row, value, severity", [
    ("sales_orders", "sku", 1, "NOPE-1", "critical"),
    ("sales_orders", "customer_id", 0, "C99", "critical"),
    ("sales_orders", "promo_id", 2, "PR404", "warning"),
    ("shipments", "warehouse_id", 2, "W9", "critical"),
    ("shipments", "order_id", 0, "O77", "critical"),
    ("returns", "order_id", 0, "O77", "warning"),
    ("bom", "material_id", 1, "M9", "critical"),
    ("purchase_orders", "supplier_id", 0, "S9", "critical"),
    ("channel_inventory", "customer_id", 0, "C404", "critical"),
    ("production_plan", "sku", 0, "P404", "critical"),
])
def test_unknown_reference_names_dataset_column_key_and_value(dataset, column, row, value,
                                                              severity):
    frames = with_value(good_frames(), dataset, column, row, value)
    bad = failed(reference_findings(frames))
    assert list(bad) == [(dataset, IN_MASTER, column)]
    result = bad[(dataset, IN_MASTER, column)]
    key = "/".join(str(frames[dataset].at[row, k]) for k in
                   {"sales_orders": ["order_id", "line_no"], "shipments": ["shipment_id",
                    "line_no"], "returns": ["return_id"], "bom": ["sku", "material_id"],
                    "purchase_orders": ["po_id", "line_no"], "channel_inventory": [
                    "period", "customer_id", "sku"], "production_plan": [
                    "plan_week", "line_id", "sku"]}[dataset])
    assert result.severity == severity and result.unexpected_count == 1
    assert result.sample_keys == (key,) and repr(value) in result.detail


def test_inventory_items_are_checked_against_the_master_of_their_type():
    frames = good_frames()
    swapped = with_value(frames, "inventory", "item_type", 0, "material")  # P1 is no material
    bad = failed(reference_findings(swapped))
    assert list(bad) == [("inventory", IN_MASTER, "item_id")]
    assert "materials.material_id" in bad[("inventory", IN_MASTER, "item_id")].detail
    unknown = with_value(frames, "inventory", "item_id", 1, "M404")
    assert "materials.material_id: 'M404'" in failed(reference_findings(unknown))[
        ("inventory", IN_MASTER, "item_id")].detail


def test_references_compare_keys_as_text_and_skip_nulls_and_absent_masters():
    frames = good_frames()
    frames["products"] = frames["products"].assign(sku=[101, 102])
    frames["sales_orders"] = frames["sales_orders"].assign(sku=["101", "102", "101"])
    frames = {k: v for k, v in frames.items() if k != "customers"}
    findings = reference_findings(frames)
    assert not any(f.result.column == "customer_id" and f.result.dataset == "sales_orders"
                   for f in findings), "no customers master: nothing to check against"
    assert failed(findings).get(("sales_orders", IN_MASTER, "sku")) is None
    assert as_text(pd.Series([1.0, None, "x"])).tolist() == ["1", None, "x"]


def test_ship_before_order_is_critical_and_return_before_order_a_warning():
    frames = with_value(good_frames(), "shipments", "ship_date", 2, "2026-10-19")
    frames = with_value(frames, "returns", "return_date", 0, "2026-10-01")
    bad = failed(date_order_findings(frames))
    ship = bad[("shipments", NOT_BEFORE_ORDER, "ship_date")]
    assert ship.severity == "critical" and ship.sample_keys == ("SH2/1",)
    assert bad[("returns", NOT_BEFORE_ORDER, "return_date")].severity == "warning"


def test_freshness_keeps_its_semantics():
    frames = good_frames()
    assert failed(freshness_findings(frames, "2026-10", 7)) == {}
    stale = failed(freshness_findings(frames, "2026-11", 7))
    assert stale[("sales_orders", FRESH, "order_date")].severity == "critical"
    assert stale[("inventory", FRESH, "snapshot_date")].severity == "critical"
    assert stale[("returns", FRESH, "return_date")].severity == "warning"
    assert "newest order_date is 2026-10-20, before 2026-11" in \
        stale[("sales_orders", FRESH, "order_date")].describe()
    later = with_value(frames, "sales_orders", "order_date", 0, "2026-12-20")
    assert ("sales_orders", FRESH, "order_date") in failed(freshness_findings(later, "2026-11", 7))
    empty = {"sales_orders": frames["sales_orders"].iloc[0:0]}
    assert freshness_findings(empty, "2026-10", 7) == []  # the suites' row count reports it


def test_volume_skips_first_run_and_flags_collapse_and_growth():
    frames = good_frames()
    assert volume_findings(frames, None, 50) == []
    assert volume_findings(frames, {}, 50) == []
    previous = {"sales_orders": 10, "products": 1, "shipments": 0}
    bad = failed(volume_findings(frames, previous, 50))
    collapse = bad[("sales_orders", NEAR_PREVIOUS, None)]
    assert collapse.severity == "critical"
    assert "3 rows against 10 in the previous successful run (allowed 5-15" in collapse.detail
    assert bad[("products", NEAR_PREVIOUS, None)].severity == "warning"
    assert ("shipments", NEAR_PREVIOUS, None) not in bad
    assert failed(volume_findings(frames, {"sales_orders": 4}, 50)) == {}
