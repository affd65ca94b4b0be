import pickle
from datetime import date

import pandas as pd
import pytest

from reports.i18n import Locale
from sop.ingest.staging import as_of, cast_series, staged
from sop.quality.gate import (
    QualityGateError,
    critical_failures,
    latest_event_date,
    quality_findings,
    quality_gate,
    quality_results,
)
from sop.quality.report import quality_markdown, quality_notes, quality_summary
from tests.unit.quality.test_suites import good_frames


def orders(**over):
    frame = good_frames()["sales_orders"]
    for k, v in over.items():
        frame[k] = v
    return frame


def failed(results):
    return {(r.expectation, r.column) for r in results if not r.success}


def test_good_frames_pass_every_check():
    frames = good_frames()
    results = quality_results(frames, "2026-10", previous_counts={"sales_orders": 3})
    assert failed(results) == set()
    assert {r.dataset for r in results} == set(frames)
    assert len(results) > 250


def test_duplicate_compound_key_names_the_keys():
    res = quality_results({"sales_orders": orders(line_no=[1, 1, 1])}, "2026-10")
    bad = [r for r in res if not r.success]
    assert [(r.expectation, r.unexpected_count, r.sample_keys) for r in bad] == [
        ("expect_compound_columns_to_be_unique", 2, ("O1/1", "O1/1"))]


def test_text_in_numeric_column_and_null_key():
    res = quality_results({"sales_orders": orders(qty=[5, "five", 2],
                                                  customer_id=["C1", None, "C2"])}, "2026-10")
    assert failed(res) == {("expect_column_values_to_be_castable_to_number", "qty"),
                           ("expect_column_values_to_not_be_null", "customer_id")}
    qty = next(r for r in res if r.column == "qty" and not r.success)
    assert qty.sample_keys == ("O1/2",)


def test_missing_column_and_nullable_promo():
    res = quality_results({"sales_orders": orders().drop(columns=["unit_price"])}, "2026-10")
    assert failed(res) == {("expect_table_columns_to_match_set", "unit_price")}


def test_freshness_stops_when_sales_do_not_reach_period():
    frames = {"sales_orders": orders()}
    assert critical_failures(quality_results(frames, "2026-10")) == []
    stale = critical_failures(quality_results(frames, "2026-11"))
    assert [(r.dataset, r.expectation) for r in stale] == [
        ("sales_orders", "expect_newest_date_to_reach_period")]
    assert "2026-10-20" in stale[0].describe()


def test_empty_fact_table_is_critical():
    res = critical_failures(quality_results({"sales_orders": orders().iloc[0:0]}, "2026-10"))
    assert [(r.expectation, r.detail) for r in res] == [
        ("expect_table_row_count_to_be_between",
         "the table must not be empty (observed 0 rows)")]


def test_future_dates_are_judged_against_the_run_date():
    assert latest_event_date("2026-10", None, 7) == pd.Timestamp("2026-11-07")
    assert latest_event_date("2026-10", date(2026, 12, 3), 7) == pd.Timestamp("2026-12-10")
    assert latest_event_date("2026-10", date(2026, 10, 3), 0) == pd.Timestamp("2026-10-31")
    frames = {"sales_orders": orders(order_date=["2026-10-03", "2026-10-03", "2026-12-01"],
                                     requested_date=["2026-10-10", "2026-10-10", "2026-12-05"])}
    late = critical_failures(quality_results(frames, "2026-10"))
    assert [(r.expectation, r.column, r.sample_keys) for r in late] == [
        ("expect_column_values_to_be_between", "order_date", ("O2/1",))]
    assert "future" in late[0].detail
    assert critical_failures(quality_results(frames, "2026-10", today=date(2026, 11, 28))) == []


def test_gate_error_message_names_everything_and_survives_pickling():
    res = critical_failures(quality_results({"sales_orders": orders(line_no=[1, 1, 1])},
                                            "2026-10"))
    err = QualityGateError(res)
    for part in ("sales_orders", "expect_compound_columns_to_be_unique", "order_id,line_no",
                 "2 of 3 rows", "O1/1"):
        assert part in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert again.failures == res and str(again) == str(err)


def test_stop_is_the_default_and_quarantine_sets_bad_rows_aside():
    frames = good_frames()
    frames["sales_orders"] = orders(qty=[5.0, -3.0, 2.0], sku=["P1", "P2", "NOPE"])
    findings = quality_findings(frames, "2026-10")
    stop = quality_gate(frames, findings, {})
    assert {(r.dataset, r.expectation, r.column) for r in stop.failures} == {
        ("sales_orders", "expect_column_values_to_be_between", "qty"),
        ("sales_orders", "expect_column_values_to_be_in_master", "sku")}
    assert stop.quarantine.empty and len(stop.frames["sales_orders"]) == 3

    gate = quality_gate(frames, findings, {"sales_orders": "quarantine"})
    assert gate.failures == ()
    assert gate.frames["sales_orders"]["order_id"].tolist() == ["O1"]
    assert gate.frames["shipments"] is frames["shipments"]
    assert gate.quarantined_counts == {"sales_orders": 2}
    assert gate.quarantine["row_key"].tolist() == ["O1/2", "O2/1"]
    assert "qty must be > 0" in gate.quarantine["reasons"].iloc[0]
    assert "NOPE" in gate.quarantine["reasons"].iloc[1]
    assert '"qty": -3.0' in gate.quarantine["row_data"].iloc[0]
    assert frames["sales_orders"]["qty"].tolist() == [5.0, -3.0, 2.0]  # source untouched
    assert gate.notes[0] == ("2 of 3 sales order lines: set aside and left out of the plan "
                             "(problem with product; quantity); the data team has the list")


def test_table_level_failures_stop_even_under_quarantine():
    frames = {"sales_orders": orders().drop(columns=["qty"])}
    gate = quality_gate(frames, quality_findings(frames, "2026-10"),
                        {"sales_orders": "quarantine"})
    assert [r.expectation for r in gate.failures] == ["expect_table_columns_to_match_set"]


def test_warnings_go_on_and_reach_the_notes_and_the_report():
    frames = {"sales_orders": orders(status=["shipped", "lost", "open"])}
    results = quality_results(frames, "2026-10")
    assert critical_failures(results) == []
    notes = quality_notes(results)
    assert notes == ["1 of 3 sales order lines: unknown status ('lost'); for example O1/2"]
    assert Locale("zh").t(notes[0]) == "销售订单行中有1条（共3条）的状态未知（'lost'）；例如O1/2"
    gate = quality_gate(frames, quality_findings(frames, "2026-10"), {})
    assert gate.notes == notes
    md = quality_markdown(results, "2026-10")
    assert "1 failed (0 critical, 1 warning)" in md and "| O1/2 |" in md
    assert md.count("\n| sales_orders |") == len(results)
    assert quality_summary(results, "2026-10", {"sales_orders": 2}).endswith("sales_orders=2")


def test_staging_casts_without_dropping_or_mutating():
    raw = orders()
    out = staged(raw, "sales_orders")
    assert raw["order_date"].dtype == object
    assert str(out["order_date"].dtype).startswith("datetime64")
    assert out["line_no"].dtype == "Int64" and out["qty"].dtype == "float64"
    assert len(out) == len(raw)
    assert as_of(out, "sales_orders", "2026-10").shape[0] == 3


@pytest.mark.parametrize("values, logical, expected_missing", [
    (["1", "2.5", "x"], "number", [False, False, True]),
    (["1", "2.5", None], "int", [False, True, True]),
    (["2026-01-31", "2026-02-30", None], "date", [False, True, True]),
])
def test_cast_series(values, logical, expected_missing):
    assert cast_series(pd.Series(values), logical).isna().tolist() == expected_missing
