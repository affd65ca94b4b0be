"""Forecast value added: the stairstep and each department's verdict, exact on hand-made
versions (a step judged on the months it exists for), and the packets' tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sop.consensus.fva import head_value, period_scores, stairstep

T = pd.Timestamp
ACTUALS = pd.DataFrame({"unique_id": "total", "ds": [T("2025-09-01"), T("2025-10-01"),
                                                    T("2026-09-01"), T("2026-10-01")],
                        "y": [80.0, 120.0, 100.0, 100.0]})
VERSIONS = pd.DataFrame([
    ("2026-08", "statistical", T("2026-09-01"), 90.0), ("2026-08", "sales", T("2026-09-01"), 105.0),
    ("2026-08", "consensus", T("2026-09-01"), 104.0), ("2026-08", "approved", T("2026-09-01"), 104.0),
    ("2026-09", "statistical", T("2026-10-01"), 110.0), ("2026-09", "sales", T("2026-10-01"), 95.0),
    ("2026-09", "marketing", T("2026-10-01"), 112.0),
    ("2026-09", "statistical", T("2026-12-01"), 110.0),  # no actual yet: not scored
], columns=["period", "version", "ds", "forecast"]).assign(level="total", unique_id="total")
AUTHORS = pd.DataFrame({"period": ["2026-08", "2026-09", "2026-09"],
                        "version": ["sales", "sales", "marketing"],
                        "author": ["s@x", "s2@x", "m@x"]})


def test_the_stairstep_compares_each_step_on_its_own_months():
    scores = period_scores(VERSIONS, ACTUALS, lags=(1,))
    s = stairstep(scores, "total", 1).set_index("step")
    assert list(s.index) == ["naive", "statistical", "sales", "marketing", "consensus",
                             "approved"]
    assert s.loc["naive", "wape"] == pytest.approx(0.20)  # |80-100| + |120-100| over 200
    assert s.loc["statistical", "wape"] == pytest.approx(0.10)
    assert pd.isna(s.loc["statistical", "added_vs_statistical"])
    assert s.loc["statistical", "added_vs_naive"] == pytest.approx(0.10)
    assert s.loc["sales", "added_vs_statistical"] == pytest.approx(0.05)
    assert s.loc["sales", "bias"] == pytest.approx(0.0)  # +5 and -5
    # marketing only in 2026-09: 12 % against the statistical's 10 % that month
    assert s.loc["marketing", ["periods", "wape", "wape_statistical"]].tolist() == \
        pytest.approx([1, 0.12, 0.10])
    assert s.loc["marketing", "added_vs_statistical"] == pytest.approx(-0.02)
    assert s.loc["consensus", "added_vs_statistical"] == pytest.approx(0.10 - 0.04)
    assert s.loc["consensus", "added_vs_naive"] == pytest.approx(0.20 - 0.04)


def test_each_department_is_told_whether_its_adjustments_helped():
    scores = period_scores(VERSIONS, ACTUALS, lags=(1,))
    h = head_value(scores, AUTHORS, "total", 1).set_index("department")
    assert h.loc["sales", ["periods", "better", "worse"]].tolist() == [2, 2, 0]
    assert h.loc["sales", "authors"] == "s2@x, s@x"
    assert h.loc["sales", "added"] == pytest.approx(0.05)
    assert h.loc["marketing", ["periods", "better", "worse"]].tolist() == [1, 0, 1]
    assert h.loc["marketing", "added"] == pytest.approx(-0.02)


def test_nothing_scored_gives_empty_tables_with_their_columns():
    scores = period_scores(VERSIONS[VERSIONS["period"] == "2026-09"].assign(
        ds=T("2027-01-01")), ACTUALS, lags=(1,))
    assert stairstep(scores, "total", 1).empty and "step" in stairstep(scores).columns
    assert head_value(pd.DataFrame(), AUTHORS).empty
