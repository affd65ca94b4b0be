"""forecast_accuracy and the rolling-origin backtest, on hand-checked numbers."""

import numpy as np
import pandas as pd
import pytest

from sop.forecast.accuracy import backtest_forecasts, backtest_origins, forecast_accuracy


def actuals_for(uid, scale=1.0, level="sku"):
    ds = pd.date_range("2025-01-01", "2026-06-01", freq="MS")
    y = [10.0] * 12 + [12.0, 14.0, 16.0, 20.0, 0.0, 10.0]  # 2026-05 sold nothing
    return pd.DataFrame({"level": level, "unique_id": uid, "ds": ds, "y": np.array(y) * scale})


def run(uid, scale=1.0, level="sku"):
    """A run as of 2026-03: lag 1 (Apr), lag 3 (Jun) and lag 6 (Sep, not arrived yet)."""
    return pd.DataFrame({"period": "2026-03", "level": level, "unique_id": uid,
                         "ds": pd.to_datetime(["2026-04-01", "2026-06-01", "2026-09-01"]),
                         "forecast": np.array([18.0, 13.0, 15.0]) * scale})


def test_metrics_by_hand():
    stored, actuals = run("a"), actuals_for("a")
    before = stored.copy(), actuals.copy()
    acc = forecast_accuracy(stored, actuals).set_index("lag")
    assert acc.index.tolist() == [1, 3]  # lag 6 has no actual yet
    # MASE scale as of 2026-03: seasonal differences 2, 4, 6 -> 4
    lag1 = acc.loc[1]  # actual 20, forecast 18, seasonal naive (2025-04) 10
    assert lag1["n"] == 1 and lag1["actual"] == 20.0
    assert lag1["wape"] == pytest.approx(0.1) and lag1["bias"] == pytest.approx(-0.1)
    assert lag1["mase"] == pytest.approx(0.5) and lag1["mase_snaive"] == pytest.approx(2.5)
    assert lag1["wape_snaive"] == pytest.approx(0.5) and lag1["fva"] == pytest.approx(0.4)
    lag3 = acc.loc[3]  # actual 10, forecast 13, seasonal naive (2025-06) 10: naive wins
    assert lag3["wape"] == pytest.approx(0.3) and lag3["bias"] == pytest.approx(0.3)
    assert lag3["mase"] == pytest.approx(0.75) and lag3["fva"] == pytest.approx(-0.3)
    pd.testing.assert_frame_equal(stored, before[0])
    pd.testing.assert_frame_equal(actuals, before[1])


def test_levels_pool_their_series_and_stored_benchmark_is_used():
    stored = pd.concat([run("a"), run("b", 2.0), run("total", 3.0, "total")])
    actuals = pd.concat([actuals_for("a"), actuals_for("b", 2.0),
                         actuals_for("total", 3.0, "total")])
    acc = forecast_accuracy(stored, actuals, lags=(1,))
    assert acc[["level", "lag", "n"]].values.tolist() == [["sku", 1, 2], ["total", 1, 1]]
    sku = acc.iloc[0]
    assert sku["wape"] == pytest.approx(6 / 60) and sku["mase"] == pytest.approx(0.5)
    given = forecast_accuracy(run("a").assign(snaive=20.0), actuals_for("a"), lags=(1,))
    assert given["wape_snaive"].item() == 0.0 and given["fva"].item() == pytest.approx(-0.1)
    missing = forecast_accuracy(run("a").assign(snaive=np.nan), actuals_for("a"), lags=(1,))
    assert missing["wape_snaive"].item() == pytest.approx(0.5)  # from the actuals instead


def test_zero_actuals_give_nan_rather_than_a_made_up_number():
    stored = run("a").assign(ds=pd.to_datetime(["2026-05-01", "2026-06-01", "2026-09-01"]))
    acc = forecast_accuracy(stored, actuals_for("a"), lags=(2,))
    assert acc["n"].item() == 1 and np.isnan(acc["wape"].item())
    assert acc["mase"].item() == pytest.approx(18 / 4)  # still defined: scale is 4


def test_rolling_origin_backtest_of_a_periodic_series_has_no_error():
    pattern = np.array([10, 12, 15, 20, 30, 40, 35, 30, 22, 18, 14, 11], dtype=float)
    hist = pd.DataFrame({"unique_id": "p", "ds": pd.date_range("2022-01-01", periods=40,
                                                                 freq="MS"),
                         "y": np.resize(pattern, 40)})
    assert backtest_origins(hist, 3) == ["2025-01", "2025-02", "2025-03"]
    bt = backtest_forecasts(hist, h=6, origins=3)
    assert bt.columns[0] == "period" and set(bt["period"]) == {"2025-01", "2025-02", "2025-03"}
    acc = forecast_accuracy(bt, hist, lags=(1, 3))
    assert acc["n"].tolist() == [3, 1]  # lag 3 only from the 2025-01 run
    assert (acc["wape"] == 0).all() and (acc["fva"] == 0).all()
