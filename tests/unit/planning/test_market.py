"""Market prices against the prices paid, and the alerts that read them: exact figures on
hand-built frames, an identity on random ones, and the optional dataset absent."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sop.alerts.impact import _Valuer
from sop.alerts.supply import market_gap_alerts, price_spike_alerts
from sop.config import Thresholds
from sop.contracts import dataset
from sop.planning.market import market_comparison
from sop.planning.procurement import price_trend
from tests.unit.planning.test_procurement import MATERIALS, PERIOD, frame, po


def market(rows: list[tuple]) -> pd.DataFrame:
    return frame("market_prices", rows)


ORDERS = po([  # M1: 3.17 earlier (May), (100 x 3.49 + 200 x 3.81) / 300 recent (Aug, Oct)
    ("PO2", "S1", "M1", "2026-05-01", "2026-05-31", "2026-06-02", 100, 100, 3.17),
    ("PO3", "S1", "M1", "2026-08-01", "2026-08-31", "2026-09-10", 100, 100, 3.49),
    ("PO4", "S1", "M1", "2026-10-01", "2026-10-31", None, 200, None, 3.81),
    ("PO5", "S4", "M2", "2026-06-10", "2026-06-30", "2026-07-05", 50, 50, 2.00),
    ("PO6", "S4", "M2", "2026-09-10", "2026-09-30", "2026-10-05", 50, 50, 2.16),
])
INDEX = market([(f"2026-{m:02d}-01", "M1", "Steel index", 3.0 if m < 8 else 3.1)
                for m in range(5, 11)]
               + [(f"2026-{m:02d}-01", "M2", "Chip index", 2.0 if m < 8 else 1.9)
                  for m in range(5, 11)]
               + [("2026-11-01", "M1", "Steel index", 99.0)])  # after the period: ignored


def test_market_against_paid_with_exact_figures():
    trend = price_trend(ORDERS, MATERIALS, PERIOD)
    out = market_comparison(trend, INDEX, MATERIALS, PERIOD).set_index("material_id")
    m1 = out.loc["M1"]
    paid = (100 * 3.49 + 200 * 3.81) / 300
    assert m1["market_recent"] == pytest.approx(3.1) and m1["market_earlier"] == pytest.approx(3.0)
    assert m1["market_change_pct"] == pytest.approx((3.1 / 3.0 - 1) * 100)
    assert m1["paid_change_pct"] == pytest.approx((paid / 3.17 - 1) * 100)
    assert m1["premium_pct"] == pytest.approx((paid / 3.1 - 1) * 100)
    assert m1["excess_value"] == pytest.approx(300 * (paid - 3.17 * 3.1 / 3.0))
    assert m1["index_name"] == "Steel index" and m1["material"] == "Steel sheet"
    m2 = out.loc["M2"]  # paid +8 %, market -5 %: 13 points above the market
    assert m2["gap_pp"] == pytest.approx(8.0 - (1.9 / 2.0 - 1) * 100)
    assert m2["excess_value"] == pytest.approx(50 * (2.16 - 2.00 * 0.95))
    assert list(out.index) == ["M1", "M2"]  # largest excess first


def test_excess_is_the_recent_quantity_at_the_gap_on_random_data():
    g = np.random.default_rng(20261)
    rows, idx = [], []
    for i in range(40):
        mid = f"R{i}"
        for m in range(5, 11):
            rows.append((f"P{i}-{m}", "S1", mid, f"2026-{m:02d}-03", None, None,
                         float(g.integers(1, 500)), None, float(g.uniform(1, 20))))
            idx.append((f"2026-{m:02d}-01", mid, "Index", float(g.uniform(1, 20))))
    orders = po(rows)
    trend = price_trend(orders, MATERIALS, PERIOD)
    out = market_comparison(trend, market(idx), MATERIALS, PERIOD)
    assert len(out) == 40 and out["excess_value"].is_monotonic_decreasing
    expected = out["recent_qty"] * out["paid_earlier"] * out["gap_pp"] / 100
    assert np.allclose(out["excess_value"], expected)


def test_alerts_name_the_market_and_price_above_it():
    trend = price_trend(ORDERS, MATERIALS, PERIOD)
    cmp_ = market_comparison(trend, INDEX, MATERIALS, PERIOD)
    spikes = price_spike_alerts(trend, PERIOD, Thresholds(), cmp_)
    assert spikes["entity"].tolist() == ["M1"]  # +16.8 %
    assert spikes["message"].iloc[0].endswith("The market (Steel index) moved +3.3%.")
    gaps = market_gap_alerts(cmp_, PERIOD, Thresholds())
    assert gaps["entity"].tolist() == ["M2"]  # +8 % paid is no spike, but 13 points above
    f = json.loads(gaps["figures"].iloc[0])
    assert gaps["severity"].iloc[0] == "high"  # 13 points >= twice the 5-point gap
    assert "moved +8.0%" in gaps["message"].iloc[0] and "(Chip index) moved -5.0%" in \
        gaps["message"].iloc[0]
    valued = _Valuer.price_above_market(None, "M2", f)
    assert valued["value"] == pytest.approx(50 * (2.16 - 1.90))
    assert market_gap_alerts(cmp_, PERIOD, Thresholds(market_gap_pct=15.0)).empty


def test_no_market_dataset_means_no_comparison_and_no_alert():
    trend = price_trend(ORDERS, MATERIALS, PERIOD)
    empty = dataset({}, "market_prices")
    out = market_comparison(trend, empty, MATERIALS, PERIOD)
    assert out.empty and market_gap_alerts(out, PERIOD, Thresholds()).empty
    assert "market" not in price_spike_alerts(trend, PERIOD, Thresholds(), out)["message"].iloc[0]
