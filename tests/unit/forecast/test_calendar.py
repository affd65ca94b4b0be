"""Quarterly and weekly series: period dates, season positions, cleaning, forecasts."""

import numpy as np
import pandas as pd
import pytest
from utilsforecast.losses import mase

from sop.forecast import calendar as cal
from sop.forecast.accuracy import backtest_forecasts, forecast_accuracy
from sop.forecast.hierarchy import reconciled_forecast
from sop.forecast.models import demand_classes
from sop.forecast.series import clean_history, forecast_series, history_flags

QUARTERS = np.array([1.3, 0.8, 0.7, 1.2])  # a strong quarterly pattern, mean 1


def frame(uid, values, start, freq):
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"unique_id": uid, "y": values,
                         "ds": pd.date_range(start, periods=len(values), freq=freq)})


def quarterly(uid="q", n=40, seed=0, start="2008-01-01"):
    rng = np.random.default_rng(seed)
    trend = 1000 + 5 * np.arange(n)
    return frame(uid, trend * np.tile(QUARTERS, n)[:n] * rng.normal(1, 0.03, n), start, "QS")


def test_period_numbers_round_trip_and_snap_to_period_starts():
    dates = pd.Series(pd.to_datetime(["2020-05-17 13:45", "2021-12-31 00:00",
                                      "1999-01-01 00:00"]))
    for freq in cal.SEASON_LENGTHS:
        starts = cal.period_starts(dates, freq)
        back = cal.period_dates(cal.period_numbers(starts, freq), freq)
        assert list(back) == list(starts)
        assert (starts <= dates).all()
    assert list(cal.period_starts(dates, "QS")) == list(pd.to_datetime(
        ["2020-04-01", "2021-10-01", "1999-01-01"]))
    weeks = cal.period_starts(dates, "W-MON")
    assert (weeks.dt.dayofweek == 0).all() and ((dates - weeks) < pd.Timedelta(days=7)).all()
    assert list(cal.period_starts(dates, "MS")) == list(dates.dt.to_period("M").dt.to_timestamp())


def test_season_positions_and_rule_spans_per_frequency():
    months = pd.Series(pd.date_range("2019-01-01", periods=30, freq="MS"))
    assert list(cal.season_positions(months, 12)) == list(months.dt.month - 1)
    quarters = pd.Series(pd.date_range("2019-01-01", periods=10, freq="QS"))
    assert list(cal.season_positions(quarters, 4, "QS")) == list((quarters.dt.month - 1) // 3)
    weeks = pd.Series(pd.date_range("2019-01-07", periods=120, freq="W-MON"))
    pos = cal.season_positions(weeks, 52, "W-MON")
    assert (np.diff(pos) % 52 == 1).all() and pos[52] == pos[0]
    assert [cal.default_season_length(f) for f in ("MS", "QS", "W-MON")] == [12, 4, 52]
    assert [cal.periods_in(24, f) for f in ("MS", "QS", "W-MON")] == [24, 8, 104]
    assert [cal.periods_in(6, f) for f in ("MS", "QS", "W-MON")] == [6, 2, 26]


def test_quarterly_cleaning_snaps_sums_and_fills_gaps_per_quarter():
    hist = pd.DataFrame({"unique_id": "a", "y": [5.0, 2.0, 3.0, 7.0],
                         "ds": ["2020-01-01", "2020-05-17", "2020-06-30", "2021-01-01"]})
    clean, flags = clean_history(hist, freq="QS")
    assert list(clean["ds"]) == list(pd.date_range("2020-01-01", "2021-01-01", freq="QS"))
    assert list(clean["y"]) == [5.0, 5.0, 0.0, 0.0, 7.0]  # May and June are one quarter
    rules = flags.set_index("flag")["rows"].to_dict()
    assert rules == {"duplicate_month": 2, "gap_filled": 2}


def test_weekly_cleaning_moves_days_to_their_monday():
    hist = pd.DataFrame({"unique_id": "w", "y": [1.0, 2.0, 4.0],
                         "ds": ["2024-03-06", "2024-03-10", "2024-03-20"]})  # Wed, Sun, Wed
    clean, _ = clean_history(hist, freq="W-MON")
    assert list(clean["ds"]) == list(pd.to_datetime(["2024-03-04", "2024-03-11", "2024-03-18"]))
    assert list(clean["y"]) == [3.0, 0.0, 4.0]


def test_quarterly_forecast_has_quarter_starts_and_the_horizon():
    hist = pd.concat([quarterly("q1", seed=1), quarterly("q2", n=30, seed=2)])
    fc = forecast_series(hist, h=6, freq="QS")
    last = hist["ds"].max()
    for _, part in fc.groupby("unique_id"):
        assert list(part["ds"]) == list(pd.date_range(last, periods=7, freq="QS")[1:])
    assert fc["ds"].dt.month.isin([1, 4, 7, 10]).all() and (fc["ds"].dt.day == 1).all()
    assert len(fc) == 12 and fc["forecast"].notna().all()


def test_weekly_forecast_has_the_next_mondays():
    rng = np.random.default_rng(5)
    n = 160
    y = 100 + 30 * np.sin(2 * np.pi * np.arange(n) / 52) + rng.normal(0, 3, n)
    hist = frame("w", y, "2021-01-04", "W-MON")
    fc = forecast_series(hist, h=10, freq="W-MON")
    assert len(fc) == 10 and (fc["ds"].dt.dayofweek == 0).all()
    assert list(fc["ds"]) == list(hist["ds"].max() + pd.to_timedelta(7 * np.arange(1, 11), "D"))
    assert fc["model"].iloc[0] == "AutoETS+AutoTheta"  # 160 weeks: not short (104)


def test_short_and_dead_rules_read_in_periods_of_time():
    short = quarterly("short", n=7, start="2011-04-01")  # under two years of quarters
    long_ = quarterly("long", n=9, start="2010-10-01")
    dead = quarterly("dead", n=20)  # to 2012-10-01, like the others
    dead = dead.assign(y=np.where(np.arange(20) >= 18, 0.0, dead["y"]))
    clean, _ = clean_history(pd.concat([short, long_, dead]), freq="QS")
    model = demand_classes(clean, 4, freq="QS").set_index("unique_id")["model"]
    assert model["short"] == "Level*Profile" and model["long"] != "Level*Profile"
    assert model["dead"] == "Zero"  # two empty quarters = half a year
    monthly = demand_classes(clean, 4).set_index("unique_id")["model"]  # read as months
    assert monthly["long"] == "Level*Profile" and monthly["dead"] != "Zero"
    flags = history_flags(pd.concat([short, long_]), freq="QS")
    assert flags[flags["flag"] == "short_history"]["unique_id"].tolist() == ["short"]


def test_quarterly_series_beats_seasonal_naive_and_the_monthly_misreading():
    hist = quarterly("q", n=48, seed=7)
    train, test = hist.iloc[:40], hist.iloc[40:]
    right = forecast_series(train, h=8, freq="QS")
    misread = forecast_series(train, h=8, season_length=4)  # monthly: gaps filled with 0
    misread = misread.assign(ds=test["ds"].to_numpy())  # scored step by step
    ev = test.merge(right[["unique_id", "ds", "forecast", "snaive"]], on=["unique_id", "ds"])
    ev = ev.merge(misread[["unique_id", "ds", "forecast"]].rename(
        columns={"forecast": "misread"}), on=["unique_id", "ds"])
    assert len(ev) == 8
    score = mase(ev, models=["forecast", "snaive", "misread"], seasonality=4,
                 train_df=train).iloc[0]
    assert score["forecast"] < 0.8 * score["snaive"]
    assert score["misread"] > 2 * score["snaive"]


def test_quarterly_hierarchy_reconciles_on_quarter_starts():
    bottoms = pd.concat([quarterly(f"b{i}", n=36, seed=i) for i in range(3)])
    bottoms = bottoms.assign(level="sku_region", region="R", category="C",
                             sku=bottoms["unique_id"])
    bottoms["unique_id"] = "sku=" + bottoms["sku"] + "|region=R"
    total = bottoms.groupby("ds", as_index=False)["y"].sum().assign(
        level="total", unique_id="total", region=None, category=None, sku=None)
    rec = reconciled_forecast(pd.concat([total, bottoms], ignore_index=True), h=4, freq="QS")
    fc = rec.forecast
    assert fc["ds"].dt.month.isin([1, 4, 7, 10]).all() and fc.groupby("unique_id").size().eq(4).all()
    tot = fc[fc["level"] == "total"].set_index("ds")["forecast"]
    summed = fc[fc["level"] == "sku_region"].groupby("ds")["forecast"].sum()
    np.testing.assert_allclose(tot, summed.loc[tot.index], rtol=1e-9)


@pytest.mark.parametrize("freq", ["D", "Q", "W", "M"])
def test_unsupported_frequency_is_named(freq):
    with pytest.raises(ValueError, match=f"'{freq}'"):
        forecast_series(quarterly(), h=4, freq=freq)


def test_quarterly_backtest_and_accuracy_count_lags_in_quarters():
    hist = quarterly("q", n=30, seed=4)
    stored = backtest_forecasts(hist, h=4, origins=2, freq="QS")
    last = hist["ds"].max()
    origins = [(last - pd.DateOffset(months=3 * k)).strftime("%Y-%m-%d") for k in (2, 1)]
    assert sorted(stored["period"].unique()) == origins
    acc = forecast_accuracy(stored, hist, lags=(1, 2), season_length=4, freq="QS")
    assert acc.set_index("lag")["n"].to_dict() == {1: 2, 2: 1}
    assert acc["mase"].notna().all() and acc["mase_snaive"].notna().all()
    monthly = forecast_accuracy(stored, hist, lags=(1, 2), season_length=4)  # months
    assert monthly["n"].sum() < acc["n"].sum()  # a quarter ahead is lag 3 in months
