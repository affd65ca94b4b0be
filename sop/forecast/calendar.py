"""The calendars a forecast runs in: monthly, quarterly or weekly series.

A frequency is a pandas offset alias that statsforecast accepts, and it names the date
every period is stamped with:

- ``"MS"``: months, stamped with the first day of the month; a season is 12 months;
- ``"QS"``: quarters of the calendar year (January, April, July, October), stamped with
  the quarter's first day; a season is 4 quarters;
- ``"W-MON"``: weeks from Monday to Sunday, stamped with the Monday; a season is 52 weeks.

Periods are numbered by an integer (`period_numbers`) that grows by one per period, so
gaps, lags and positions in the season are integer arithmetic. A week's position in its
season is its number modulo the season length, which drifts a day or two a year against
the calendar (a year holds 52.18 weeks), as a lag-52 seasonal naive does.

The rules of the forecast that are stated in months for monthly series (a short history is
under 24 months, a series is dead after 6 months without sales, a short series' level is
the mean of its last 6 months) are spans of time: `periods_in` turns a number of months
into the same span in periods of another frequency (24 months = 8 quarters = 104 weeks;
6 months = 2 quarters = 26 weeks), so monthly series keep their rules exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTHLY, QUARTERLY, WEEKLY = "MS", "QS", "W-MON"
SEASON_LENGTHS: dict[str, int] = {MONTHLY: 12, QUARTERLY: 4, WEEKLY: 52}
PERIODS_PER_YEAR: dict[str, float] = {MONTHLY: 12.0, QUARTERLY: 4.0, WEEKLY: 52.0}
_FIRST_MONDAY = pd.Timestamp("1970-01-05")  # week number 0


def checked_freq(freq: str) -> str:
    """`freq` itself when it is supported, else a ValueError naming it."""
    if freq not in SEASON_LENGTHS:
        raise ValueError(f"unsupported frequency {freq!r}: use one of "
                         + ", ".join(repr(f) for f in SEASON_LENGTHS))
    return freq


def default_season_length(freq: str) -> int:
    """Periods in a season (a year) of `freq`: 12 months, 4 quarters, 52 weeks."""
    return SEASON_LENGTHS[checked_freq(freq)]


def periods_in(months: int, freq: str) -> int:
    """The span of `months` months in periods of `freq` (at least 1): 24 -> 24 months,
    8 quarters, 104 weeks."""
    return max(1, int(round(months * PERIODS_PER_YEAR[checked_freq(freq)] / 12.0)))


def period_numbers(ds, freq: str = MONTHLY) -> np.ndarray:
    """The integer number of the period holding each date (one more per period)."""
    checked_freq(freq)
    ds = pd.to_datetime(pd.Series(ds)).reset_index(drop=True)
    if freq == WEEKLY:
        return ((ds.dt.normalize() - _FIRST_MONDAY).dt.days // 7).to_numpy()
    months = (ds.dt.year * 12 + ds.dt.month - 1).to_numpy()
    return months if freq == MONTHLY else months // 3


def period_dates(numbers, freq: str = MONTHLY) -> pd.DatetimeIndex:
    """The date stamping each period number (the inverse of `period_numbers`)."""
    checked_freq(freq)
    n = np.asarray(numbers, dtype="int64")
    if freq == WEEKLY:
        return pd.DatetimeIndex(_FIRST_MONDAY + pd.to_timedelta(7 * n, unit="D"))
    months = n if freq == MONTHLY else n * 3
    return pd.DatetimeIndex(pd.to_datetime(
        {"year": months // 12, "month": months % 12 + 1, "day": np.ones_like(months)}))


def period_starts(ds: pd.Series, freq: str = MONTHLY) -> pd.Series:
    """Each date moved to the start of its period (a new Series on the same index)."""
    if freq == MONTHLY:
        return ds.dt.to_period("M").dt.to_timestamp()
    return pd.Series(period_dates(period_numbers(ds, freq), freq), index=ds.index)


def period_start(date, freq: str = MONTHLY) -> pd.Timestamp:
    """One date moved to the start of its period."""
    return period_dates(period_numbers([pd.Timestamp(date)], freq), freq)[0]


def future_periods(end, h: int, freq: str = MONTHLY) -> pd.DatetimeIndex:
    """The `h` periods after the one holding `end`."""
    last = period_numbers([pd.Timestamp(end)], freq)[0]
    return period_dates(np.arange(last + 1, last + 1 + h), freq)


def season_positions(ds, season_length: int, freq: str = MONTHLY) -> np.ndarray:
    """Each date's position in its season: period number modulo `season_length` (for
    monthly dates and a season of 12, the month of the year from 0)."""
    return period_numbers(ds, freq) % season_length
