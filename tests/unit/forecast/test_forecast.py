"""forecast_series: model choice per series, hand-checkable forecasts, bad input."""

import numpy as np
import pandas as pd
import pytest

from sop.forecast.models import demand_classes, seasonal_profiles
from sop.forecast.series import clean_history, flag_notes, forecast_series, history_flags

PATTERN = np.array([10, 12, 15, 20, 30, 40, 35, 30, 22, 18, 14, 11], dtype=float)
COLUMNS = ["unique_id", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "model", "snaive"]


def series(uid, values, start="2022-01-01", **extra):
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(values),
                                                                freq="MS"), "y": values, **extra})


def test_perfectly_seasonal_series_is_forecast_exactly_and_input_is_untouched():
    hist = series("a", np.tile(PATTERN, 3))
    before = hist.copy()
    fc = forecast_series(hist, h=12)
    assert list(fc.columns) == COLUMNS
    np.testing.assert_allclose(fc["forecast"], PATTERN)
    np.testing.assert_allclose(fc["snaive"], PATTERN)
    assert (fc["model"] == "SeasonalNaive").all()
    assert fc["ds"].iloc[0] == pd.Timestamp("2025-01-01") and len(fc) == 12
    pd.testing.assert_frame_equal(hist, before)


def test_noisy_seasonal_series_gets_the_ets_theta_combination_with_intervals():
    rng = np.random.default_rng(3)
    hist = series("n", np.tile(PATTERN, 5) * 10 * rng.uniform(0.95, 1.05, 60))
    fc = forecast_series(hist, h=12, choose=False)
    assert (fc["model"] == "AutoETS+AutoTheta").all()
    np.testing.assert_allclose(fc["forecast"], PATTERN * 10, rtol=0.15)
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["hi_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()
    assert (fc["hi_95"] > fc["lo_95"]).all()


def test_syntetos_boylan_classes_pick_intermittent_models():
    every_fifth = np.zeros(36)  # 4 units every 5 months, first after 5: not 12-periodic
    every_fifth[4::5] = 4.0  # 7 sales, 32 months since the first: ADI 32 / 7; CV2 0
    lumpy = np.tile([1.0, 0, 9.0, 0, 0], 7)  # 14 sales, sizes 1 and 9: CV2 = 16 / 25
    hist = pd.concat([series("i", every_fifth), series("l", lumpy)])
    clean, _ = clean_history(hist)
    cls = demand_classes(clean).set_index("unique_id")
    assert cls.loc["i", "adi"] == pytest.approx(32 / 7) and cls.loc["i", "cv2"] == 0.0
    # "l" is filled to the common end (36 months): ADI = 36 / 14
    assert cls.loc["l", "adi"] == pytest.approx(36 / 14)
    assert cls.loc["l", "cv2"] == pytest.approx(0.64)
    assert cls["demand_class"].to_dict() == {"i": "intermittent", "l": "lumpy"}
    fc = forecast_series(hist, h=3)
    i = fc[fc["unique_id"] == "i"]
    assert (i["model"] == "CrostonSBA").all()
    # Croston: size 4 every 5 months = 0.8 a month; SBA debiases by (1 - 0.1 / 2)
    np.testing.assert_allclose(i["forecast"], 4 / 5 * 0.95, rtol=1e-9)
    assert (fc[fc["unique_id"] == "l"]["model"] == "ADIDA").all()
    assert fc.notna().all().all() and (fc["lo_80"] >= 0).all()


def test_dead_and_all_zero_series_forecast_zero_but_lumpy_gaps_do_not_kill():
    dead = series("d", [5.0] * 28 + [0.0] * 8)
    zeros = series("z", [0.0] * 30)
    slow = series("s", np.zeros(36))
    slow.loc[::7, "y"] = 6.0  # sells every 7 months: 7 trailing zeros, not twice its interval
    fc = forecast_series(pd.concat([dead, zeros, slow]), h=4)
    for uid in ("d", "z"):
        part = fc[fc["unique_id"] == uid]
        assert (part["model"] == "Zero").all()
        assert (part[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]] == 0).all().all()
    assert (fc[fc["unique_id"] == "d"]["snaive"] == 5).all()  # the benchmark repeats last year
    assert (fc[fc["unique_id"] == "s"]["forecast"] > 0).all()


def test_short_series_borrow_their_groups_seasonal_profile():
    long = series("long", np.tile(PATTERN, 3), group="A")
    short_vals = 2 * PATTERN[6:]  # Jul..Dec 2024 at twice the group's level
    short = series("short", short_vals, start="2024-07-01", group="A")
    hist = pd.concat([long, short])
    prof = seasonal_profiles(long)
    a = prof[prof["group"] == "A"].sort_values("season")["index"].to_numpy()
    np.testing.assert_allclose(a, PATTERN / PATTERN.mean())  # exact for a periodic sum
    fc = forecast_series(hist, h=12)
    s = fc[fc["unique_id"] == "short"]
    assert (s["model"] == "Level*Profile").all()
    # the profile comes from the group's series with 24 months or more: here `long` alone
    np.testing.assert_allclose(s["forecast"], 2 * PATTERN, rtol=1e-9)
    assert (s["hi_95"] >= s["forecast"]).all() and (s["lo_95"] <= s["forecast"]).all()


def test_bad_input_is_cleaned_by_stated_rules_and_reported():
    gappy = series("g", np.tile(PATTERN, 3)).drop(index=[5, 6])  # two months missing
    messy = series("m", [3.0, np.nan, -2.0, 4.0])
    one = series("one", [7.0], start="2024-12-01")
    dup = pd.concat([series("dup", [1.0] * 30), pd.DataFrame(
        {"unique_id": ["dup"], "ds": [pd.Timestamp("2024-06-15")], "y": [1.0]})])
    bad_key = pd.DataFrame({"unique_id": [None], "ds": ["2024-01-01"], "y": [1.0]})
    hist = pd.concat([gappy, messy, one, dup, bad_key], ignore_index=True)
    fc = forecast_series(hist, h=6)
    assert fc.notna().all().all()
    assert (fc[["forecast", "lo_80", "hi_80", "lo_95", "hi_95", "snaive"]] >= 0).all().all()
    assert set(fc["unique_id"]) == {"g", "m", "one", "dup"}
    assert fc["ds"].min() == pd.Timestamp("2025-01-01")  # every series runs to the common end
    flags = history_flags(hist)
    got = {(r.unique_id, r.flag): r.rows for r in flags.itertuples()}
    assert got[("g", "gap_filled")] == 2
    assert got[("m", "missing_value")] == 1 and got[("m", "negative_value")] == 1
    assert got[("m", "gap_filled")] == 32  # 2022-05 .. 2024-12, after its last row
    assert got[("dup", "duplicate_month")] == 2
    assert got[("(missing)", "dropped_key")] == 1
    assert ("one", "short_history") in got
    notes = flag_notes(flags)
    assert any(n.startswith("negative values") and "(m)" in n for n in notes)
    clean, _ = clean_history(hist)
    m = clean[clean["unique_id"] == "m"]["y"].tolist()
    assert m[:4] == [3.0, 0.0, 0.0, 4.0]


def test_custom_levels_and_empty_input():
    fc = forecast_series(series("a", np.tile(PATTERN, 2) + 1), h=2, level=(90,))
    assert [c for c in fc.columns if c.startswith(("lo_", "hi_"))] == ["lo_90", "hi_90"]
    empty = forecast_series(pd.DataFrame(columns=["unique_id", "ds", "y"]), h=3)
    assert empty.empty and "forecast" in empty.columns
