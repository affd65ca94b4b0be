"""Base forecasts in chunks + one reconciliation = the unchunked reconciled_forecast, exactly."""

import numpy as np
import pandas as pd
import pytest

from sop.forecast.backtest import BACKTEST_MAX_SERIES
from sop.forecast.demand import hierarchy_series
from sop.forecast.hierarchy import (
    backtest_chunks,
    base_forecasts,
    borrowed_profiles,
    forecast_chunks,
    reconciled_forecast,
    reconciled_from_base,
    series_chunks,
)
from sop.forecast.series import forecasts_and_fitted

H = 6


def monthly_sales(months=40, seed=3):
    """Every kind of series the model choice knows: smooth seasonal skus, a short one (under
    24 months: borrows its category's profile), a dead one (Zero), an intermittent and a
    lumpy one, in 2 regions x 2 categories."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=months, freq="MS")
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(months) / 12)
    rows = []
    for sku, cat, kind in [("S1", "A", "smooth"), ("S2", "A", "short"), ("S3", "B", "smooth"),
                           ("S4", "B", "dead"), ("S5", "A", "intermittent"),
                           ("S6", "B", "lumpy")]:
        for region in ("N", "S"):
            y = np.round(rng.uniform(20, 60) * season * rng.uniform(0.8, 1.2, months))
            if kind == "short":
                y[:-14] = 0
            elif kind == "dead":
                y[-9:] = 0
            elif kind == "intermittent":
                y = np.where(rng.uniform(size=months) < 0.4, rng.integers(8, 11, months), 0)
            elif kind == "lumpy":
                y = np.where(rng.uniform(size=months) < 0.3,
                             np.round(rng.lognormal(3, 1.2, months)) + 1, 0)
            rows += [(d, region, cat, sku, f"C{region}", float(q), q * 7.5)
                     for d, q in zip(ds, y, strict=True) if q > 0 or kind != "short"]
    return pd.DataFrame(rows, columns=["ds", "region", "category", "sku", "customer_id", "qty",
                                       "revenue"])


@pytest.fixture(scope="module")
def series():
    return hierarchy_series(monthly_sales(), "2026-04")


@pytest.fixture(scope="module")
def whole(series):
    return reconciled_forecast(series, h=H)


def chunked(series, n, reverse=False):
    """As the flow does it: the hierarchy now and at each backtest origin, in chunks."""
    def bases_of(parts):
        bases = [base_forecasts(chunk, H, parts.end, parts.profiles) for chunk in parts.chunks]
        return bases[::-1] if reverse else bases

    backtests = [(cut, bases_of(parts)) for cut, parts in
                 backtest_chunks(series, n, origins=3, max_series=BACKTEST_MAX_SERIES)]
    return reconciled_from_base(series, bases_of(forecast_chunks(series, n)),
                                backtests=backtests)


def test_the_fixture_has_every_kind_of_model(whole):
    models = set(whole.forecast["model"])
    assert {"Zero", "Level*Profile", "CrostonSBA", "ADIDA", "AutoETS+AutoTheta"} <= models
    assert whole.reason and len(whole.backtest)  # the reconciliation the backtest chose


@pytest.mark.parametrize(("n", "reverse"), [(2, False), (3, True), (1000, True)])
def test_chunked_base_forecasts_reconcile_to_the_same_numbers(series, whole, n, reverse):
    """n=1000: every series alone in its chunk; reverse: the chunks handed back in another
    order (as futures may finish)."""
    rec = chunked(series, n, reverse)
    pd.testing.assert_frame_equal(rec.forecast, whole.forecast, check_exact=True)
    pd.testing.assert_frame_equal(rec.flags, whole.flags, check_exact=True)
    assert rec.method == whole.method and rec.notes == whole.notes
    pd.testing.assert_frame_equal(rec.backtest, whole.backtest, rtol=1e-12)


def test_a_chunk_ending_early_is_still_forecast_from_the_hierarchys_end(series):
    """Without `end`, a chunk of series that all stopped early would start its forecast
    earlier: the common end month is passed in, not taken from the chunk."""
    dead = series[series["unique_id"] == "sku=S4|region=N"]
    cut = dead[dead["ds"] <= dead["ds"].max() - pd.DateOffset(months=9)]
    base = base_forecasts(cut, H, series["ds"].max(), borrowed_profiles(series))
    assert base.forecast["ds"].min() == series["ds"].max() + pd.DateOffset(months=1)
    own_end, _, _ = forecasts_and_fitted(cut[["unique_id", "ds", "y"]], H)
    assert own_end["ds"].min() < base.forecast["ds"].min()


def test_series_chunks_cover_every_series_once_and_split_each_level(series):
    ids = set(series["unique_id"])
    for n in (1, 2, 5, len(ids), len(ids) + 10):
        chunks = series_chunks(series, n)
        assert len(chunks) == min(n, len(ids)) and all(len(c) for c in chunks)
        seen = [set(c["unique_id"]) for c in chunks]
        assert set().union(*seen) == ids and sum(map(len, seen)) == len(ids)
        assert sum(map(len, chunks)) == len(series)
    two = series_chunks(series, 2)
    assert all(set(c["level"]) >= {"category", "sku_region"} for c in two)
    assert [c.index.tolist() for c in two] == [c.index.tolist() for c in series_chunks(series, 2)]


def test_missing_or_repeated_series_are_refused(series):
    profiles, end = borrowed_profiles(series), series["ds"].max()
    first, second = (base_forecasts(c, H, end, profiles) for c in series_chunks(series, 2))
    with pytest.raises(ValueError, match="not each exactly once"):
        reconciled_from_base(series, [first])
    with pytest.raises(ValueError, match="not each exactly once"):
        reconciled_from_base(series, [first, second, first])
