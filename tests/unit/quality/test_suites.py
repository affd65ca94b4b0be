"""Every expectation suite: a good frame passes, a frame broken in each way the suite
guards fails with that expectation named (breakages derived from the suite JSON itself)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sop.contracts import CONTRACTS, DATASETS
from sop.quality.suite_builder import suite_document
from sop.quality.suites import SUITES_DIR, gx_module, load_suites, suite_findings

PERIOD_LATEST = {"latest_event_date": "2026-11-07T00:00:00"}  # period 2026-10 + 7 days
SUITES = load_suites()


def good_frames() -> dict[str, pd.DataFrame]:
    """A tiny, consistent ERP as the pipeline extracts it from SQLite (dates as text)."""
    f = pd.DataFrame
    return {
        "products": f({"sku": ["P1", "P2"], "name": ["Lamp", "Chair"],
                       "category": ["Lighting", "Furniture"], "family": ["Lamps", "Chairs"],
                       "unit_cost": [5.0, 6.5], "list_price": [10.0, 12.0],
                       "status": ["active", "new"], "launch_date": ["2020-01-01", "2026-03-01"]}),
        "customers": f({"customer_id": ["C1", "C2"], "name": ["Acme", "Bolt"],
                        "region": ["North", "South"], "channel": ["retail", "distributor"],
                        "credit_limit": [1000.0, 5000.0]}),
        "warehouses": f({"warehouse_id": ["W1", "W2"], "name": ["Plant", "DC"],
                         "region": ["North", "South"], "kind": ["plant", "distribution_centre"]}),
        "sales_orders": f({"order_id": ["O1", "O1", "O2"], "line_no": [1, 2, 1],
                           "order_date": ["2026-10-03", "2026-10-03", "2026-10-20"],
                           "requested_date": ["2026-10-10", "2026-10-10", "2026-10-30"],
                           "customer_id": ["C1", "C1", "C2"], "sku": ["P1", "P2", "P1"],
                           "qty": [5.0, 3.0, 2.0], "unit_price": [10.0, 12.0, 10.0],
                           "status": ["shipped", "shipped", "open"],
                           "promo_id": ["PR1", None, None]}),
        "shipments": f({"shipment_id": ["SH1", "SH1", "SH2"], "line_no": [1, 2, 1],
                        "order_id": ["O1", "O1", "O2"],
                        "ship_date": ["2026-10-05", "2026-10-05", "2026-10-22"],
                        "sku": ["P1", "P2", "P1"], "qty": [5.0, 3.0, 2.0],
                        "warehouse_id": ["W2", "W2", "W2"]}),
        "returns": f({"return_id": ["R1"], "order_id": ["O1"], "sku": ["P1"], "qty": [1.0],
                      "return_date": ["2026-10-20"], "reason": ["damaged"]}),
        "invoices": f({"invoice_id": ["I1", "I2"], "customer_id": ["C1", "C2"],
                       "order_id": ["O1", "O2"], "invoice_date": ["2026-10-05", "2026-10-22"],
                       "due_date": ["2026-11-04", "2026-11-21"], "amount": [86.0, 20.0],
                       "paid_amount": [86.0, 0.0], "status": ["paid", "open"],
                       "paid_date": ["2026-10-25", None]}),
        "channel_inventory": f({"period": ["2026-10-01"], "customer_id": ["C2"], "sku": ["P1"],
                                "sell_out_qty": [5.0], "stock_qty": [10.0]}),
        "promotions": f({"promo_id": ["PR1"], "name": ["Autumn"], "start_date": ["2026-10-01"],
                         "end_date": ["2026-10-15"], "region": ["North"],
                         "category": ["Lighting"], "kind": ["price_off"], "budget": [500.0]}),
        "inventory": f({"snapshot_date": ["2026-10-31", "2026-10-31"],
                        "warehouse_id": ["W2", "W1"], "item_id": ["P1", "M1"],
                        "item_type": ["finished", "material"], "on_hand": [40.0, 300.0],
                        "allocated": [5.0, 0.0], "in_transit": [0.0, 50.0],
                        "safety_stock": [10.0, 100.0]}),
        "materials": f({"material_id": ["M1", "M2"], "name": ["Steel", "Foam"],
                        "category": ["Metal", "Textile"], "unit": ["kg", "m"]}),
        "bom": f({"sku": ["P1", "P2"], "material_id": ["M1", "M2"], "qty_per_unit": [2.0, 0.5]}),
        "suppliers": f({"supplier_id": ["S1", "S2"], "name": ["Steelco", "Foamy"],
                        "contract_lead_time_days": [30, 60], "status": ["active", "inactive"]}),
        "purchase_orders": f({"po_id": ["PO1", "PO2"], "line_no": [1, 1],
                              "supplier_id": ["S1", "S2"], "material_id": ["M1", "M2"],
                              "order_date": ["2026-09-01", "2026-10-10"],
                              "promised_date": ["2026-10-01", "2026-12-01"],
                              "received_date": ["2026-10-02", None], "qty": [100.0, 50.0],
                              "received_qty": [100.0, None], "unit_price": [1.5, 4.0]}),
        "production_plan": f({"plan_week": ["2026-11-02"], "line_id": ["L1"], "sku": ["P1"],
                              "planned_qty": [100.0]}),
        "maintenance_plan": f({"line_id": ["L1"], "start_date": ["2026-11-10"],
                               "end_date": ["2026-11-12"], "kind": ["shutdown"],
                               "capacity_lost_pct": [100.0]}),
        "shipping_plan": f({"ship_week": ["2026-11-02"], "warehouse_id": ["W2"],
                            "region": ["South"], "sku": ["P1"], "qty": [50.0]}),
        "market_prices": f({"period": ["2026-09-01", "2026-10-01"], "material_id": ["M1", "M1"],
                            "index_name": ["Steel index", "Steel index"], "price": [1.4, 1.45]}),
        "forecast_adjustments": f({"adjustment_id": ["A1", "A2"],
                                   "period": ["2026-10-01", "2026-10-01"],
                                   "department": ["sales", "marketing"],
                                   "author": ["s@x.com", "m@x.com"],
                                   "month": ["2026-11-01", "2026-12-01"],
                                   "category": ["Lighting", None], "region": [None, "North"],
                                   "customer": [None, None], "product": [None, None],
                                   "qty": [120.0, None], "change_pct": [None, -10.0],
                                   "reason": ["promotion", "market_trend"],
                                   "comment": [None, "slower market"]}),
    }


GOOD = good_frames()


def _set(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    out = frame.copy().astype({column: object})
    out.at[0, column] = value
    return out


def _too_low_or_high(kw: dict) -> list[tuple[str, object]]:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if isinstance(hi, dict):  # $PARAMETER latest_event_date: a date in the future
        return [("future", "2031-01-01"), ("before 1990", "1980-06-30")]
    cases = [("below", lo if kw.get("strict_min") else lo - 1)] if lo is not None else []
    if hi is not None:
        cases.append(("above", hi + 1))
    return cases


def breakages(dataset: str) -> list[tuple[str, dict, str | None, pd.DataFrame, bool]]:
    """(id, expectation, column, broken frame, row-level?) for every expectation."""
    good, out = GOOD[dataset], []
    key = CONTRACTS[dataset].key
    for exp in SUITES[dataset]["expectations"]:
        kind, kw = exp["type"], exp["kwargs"]
        col = kw.get("column")
        if kind == "expect_table_columns_to_match_set":
            victim = next(c for c in kw["column_set"] if c not in key)
            out.append((f"{victim} renamed", exp, victim,
                        good.rename(columns={victim: victim + "_x"}), False))
        elif kind.startswith("expect_column_values_to_be_castable_to_"):
            out.append(("text", exp, col, _set(good, col, "n/a"), True))
        elif kind == "expect_column_values_to_not_be_null":
            out.append(("null", exp, col, _set(good, col, None), True))
        elif kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
            dup = pd.concat([good, good.iloc[[0]]], ignore_index=True)
            out.append(("duplicate", exp, col or ",".join(kw["column_list"]), dup, True))
        elif kind == "expect_table_row_count_to_be_between":
            out.append(("empty", exp, None, good.iloc[0:0], False))
        elif kind == "expect_column_values_to_be_between":
            for label, value in _too_low_or_high(kw):
                out.append((label, exp, col, _set(good, col, value), True))
        elif kind == "expect_column_values_to_be_in_set":
            out.append(("unknown code", exp, col, _set(good, col, "bogus"), True))
        elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = kw["column_A"], kw["column_B"]
            typ = CONTRACTS[dataset].column(a).type
            broken = (_set(good, a, "2001-01-01") if typ == "date"
                      else _set(good, b, float(good.at[0, a]) + 1))
            out.append((f"{a} < {b}", exp, f"{a},{b}", broken, True))
        else:  # pragma: no cover - a new expectation type needs a breakage here
            raise AssertionError(f"no breakage for {kind} in {dataset}")
    return out


CASES = [pytest.param(ds, *case[1:], id=f"{ds}-{case[1]['type'].removeprefix('expect_')}-"
                      f"{case[2] or 'table'}-{case[0]}")
         for ds in DATASETS for case in breakages(ds)]


def failed(findings) -> dict[tuple[str, str | None], object]:
    return {(f.result.expectation, f.result.column): f.result for f in findings
            if not f.result.success}


def test_one_suite_per_dataset_and_nothing_else():
    assert sorted(p.name for p in SUITES_DIR.iterdir()) == sorted(f"{d}.json" for d in DATASETS)
    assert set(SUITES) == set(DATASETS)
    for name, doc in SUITES.items():
        assert {e["severity"] for e in doc["expectations"]} <= {"critical", "warning"}, name


@pytest.mark.parametrize("dataset", DATASETS)
def test_suite_covers_its_contract(dataset):
    contract, exps = CONTRACTS[dataset], SUITES[dataset]["expectations"]
    by_kind = {(e["type"], e["kwargs"].get("column")) for e in exps}
    colset = next(e for e in exps if e["type"] == "expect_table_columns_to_match_set")
    assert colset["kwargs"]["column_set"] == list(contract.column_names)
    for c in contract.columns:
        if c.type != "string":
            assert (f"expect_column_values_to_be_castable_to_{c.type}", c.name) in by_kind
        assert (("expect_column_values_to_not_be_null", c.name) in by_kind) == (not c.nullable)
    unique = [e for e in exps if e["type"].endswith("to_be_unique")]
    assert len(unique) == 1 and unique[0]["severity"] == "critical"


def test_committed_suites_match_the_builder():
    for name in DATASETS:
        on_disk = json.loads((SUITES_DIR / f"{name}.json").read_text())
        assert on_disk == suite_document(name), f"regenerate: python -m sop.quality.suite_builder ({name})"


@pytest.mark.parametrize("dataset", DATASETS)
def test_good_frame_passes_its_suite(dataset):
    findings = suite_findings({dataset: GOOD[dataset]}, SUITES, PERIOD_LATEST)
    assert len(findings) == len(SUITES[dataset]["expectations"])
    assert failed(findings) == {}


@pytest.mark.parametrize("dataset, expectation, column, broken, row_level", CASES)
def test_broken_frame_fails_the_expectation_that_guards_it(dataset, expectation, column,
                                                           broken, row_level):
    """The guarding expectation alone, from the committed suite, on the broken frame (the
    whole suite runs on every good frame above and in the flow corpus)."""
    alone = {dataset: {**SUITES[dataset], "expectations": [expectation]}}
    bad = failed(suite_findings({dataset: broken}, alone, PERIOD_LATEST))
    name = expectation["type"]
    assert list(bad) == [(name, column)], f"expected {name} on {column}; got {list(bad)}"
    result = bad[(name, column)]
    assert result.dataset == dataset
    if row_level:
        key = "/".join(str(broken.at[0, k]) for k in CONTRACTS[dataset].key)
        assert result.unexpected_count >= 1 and key in result.sample_keys
        assert key in result.describe()
    else:
        assert result.unexpected_count == 0 and result.detail


def test_text_in_numeric_column_is_reported_once_with_the_value():
    broken = _set(GOOD["sales_orders"], "qty", "five")
    bad = failed(suite_findings({"sales_orders": broken}, SUITES, PERIOD_LATEST))
    assert list(bad) == [("expect_column_values_to_be_castable_to_number", "qty")]
    assert "'five'" in bad[("expect_column_values_to_be_castable_to_number", "qty")].detail


def test_missing_column_is_reported_once_not_per_expectation_on_it():
    broken = GOOD["sales_orders"].drop(columns=["qty"])
    bad = failed(suite_findings({"sales_orders": broken}, SUITES, PERIOD_LATEST))
    assert list(bad) == [("expect_table_columns_to_match_set", "qty")]
    assert "qty" in bad[("expect_table_columns_to_match_set", "qty")].detail


def test_row_positions_point_at_the_bad_rows():
    broken = _set(_set(GOOD["sales_orders"], "qty", -1.0).astype({"qty": float}), "line_no", 1)
    broken.at[2, "qty"] = 0.0
    findings = suite_findings({"sales_orders": broken}, SUITES, PERIOD_LATEST)
    qty = next(f for f in findings if f.result.column == "qty" and not f.result.success)
    assert qty.rows == (0, 2) and qty.result.sample_keys == ("O1/1", "O2/1")


def test_gx_is_imported_once_and_writes_nothing_without_docs(tmp_path, monkeypatch):
    assert gx_module() is gx_module()
    monkeypatch.chdir(tmp_path)
    suite_findings({"bom": GOOD["bom"]}, SUITES, PERIOD_LATEST)
    assert list(tmp_path.iterdir()) == []


def test_data_docs_are_built_on_request(tmp_path):
    docs = tmp_path / "data-docs"
    findings = suite_findings({"bom": _set(GOOD["bom"], "qty_per_unit", 0.0)}, SUITES,
                              PERIOD_LATEST, docs_dir=docs)
    assert ("expect_column_values_to_be_between", "qty_per_unit") in failed(findings)
    assert (docs / "index.html").is_file()
    pages = [p.read_text() for p in docs.rglob("*.html") if "validations" in p.parts]
    assert pages and any("qty_per_unit" in page for page in pages)
