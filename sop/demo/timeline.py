"""The demo calendar (48 months ending at `end`) and the real demand shape behind it.

Dates inside the generator are integer day numbers (days since 1970-01-01, a
Thursday); `as_dates` turns them into pandas datetimes at the frame boundary.
Only `end` decides the calendar: nothing here looks at today's date.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from sop.demo.catalog import AGGREGATE_INDUSTRIES, CATEGORIES, REGIONS

HISTORY_MONTHS = 48
SOURCE_LAST = pd.Period("2018-09", "M")  # last month of the source data we use
_END = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def rng(seed: int, stream: int, *sub: int) -> np.random.Generator:
    """An independent random stream per (seed, dataset stream, sub-stream)."""
    return np.random.default_rng([seed, stream, *sub])


def weekday(days):
    """Monday = 0 ... Sunday = 6 for day numbers (an int or an array of them)."""
    return (days + 3) % 7


def as_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers (NaN or negative sentinel -> NaT) as datetime64[ns]."""
    days = np.asarray(days)
    if days.dtype.kind == "f":
        out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = ~np.isnan(days)
        out[ok] = days[ok].astype("int64").astype("datetime64[D]")
        return out.astype("datetime64[ns]")
    return days.astype("int64").astype("datetime64[D]").astype("datetime64[ns]")


@dataclass(frozen=True)
class Calendar:
    end: str
    month_start: np.ndarray  # day number of the first day of each history month (48 + 1)
    labels: tuple[str, ...]  # 'YYYY-MM' of each history month

    @property
    def n(self) -> int:
        return HISTORY_MONTHS

    @property
    def first_day(self) -> int:
        return int(self.month_start[0])

    @property
    def end_day(self) -> int:
        """Last day of `end` (inclusive)."""
        return int(self.month_start[HISTORY_MONTHS]) - 1

    def days_in(self, m: int) -> int:
        return int(self.month_start[m + 1] - self.month_start[m])

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """History month index of each day (-1 before, 48 after the history)."""
        return np.searchsorted(self.month_start, days, side="right") - 1

    def future_month_start(self, k: int) -> int:
        """Day number of the first day of the k-th month after `end` (k >= 0)."""
        p = pd.Period(self.end, "M") + 1 + k
        return _day(p.start_time)

    @property
    def next_monday(self) -> int:
        """First Monday after `end`."""
        d = self.end_day + 1
        return int(d + (7 - weekday(d)) % 7)


def _day(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.date(), "D").astype("int64"))


def make_calendar(end: str) -> Calendar:
    """Validate `end` ('YYYY-MM') and lay out the 48 months ending there."""
    m = _END.match(end) if isinstance(end, str) else None
    if not m or not 1900 <= int(m.group(1)) <= 2200:
        raise ValueError(f"end must be a month written YYYY-MM (e.g. '2025-06'), got {end!r}")
    last = pd.Period(end, "M")
    periods = [last - (HISTORY_MONTHS - 1 - i) for i in range(HISTORY_MONTHS + 1)]
    starts = np.array([_day(p.start_time) for p in periods], dtype=np.int64)
    labels = tuple(str(p) for p in periods[:HISTORY_MONTHS])
    return Calendar(end=end, month_start=starts, labels=labels)


@lru_cache(maxsize=1)
def _retail() -> pd.DataFrame:
    path = importlib.resources.files("tsdata") / "fpp3" / "aus_retail.csv"
    with path.open("rb") as fh:
        df = pd.read_csv(fh, usecols=["State", "Industry", "Month", "Turnover"])
    df = df[~df["Industry"].isin(AGGREGATE_INDUSTRIES)]
    df["Month"] = pd.PeriodIndex(pd.to_datetime(df["Month"], format="%Y %b"), freq="M")
    return df


def retail_cube(end: str) -> np.ndarray:
    """Monthly turnover as array [48 months, 8 regions, 15 categories] (REGIONS x CATEGORIES order).

    The source window is the 48 months ending at the latest month up to 2018-09
    with the same calendar month as `end`, so that the seasonality lands on the
    same calendar months and the trend is kept. Missing state x industry pairs are
    filled with the national series of the industry scaled to the state's size.
    """
    df = _retail()
    month = pd.Period(end, "M").month
    last = SOURCE_LAST - ((SOURCE_LAST.month - month) % 12)
    window = pd.period_range(last - (HISTORY_MONTHS - 1), last, freq="M")
    df = df[df["Month"].isin(window)]
    cube = df.pivot_table(index="Month", columns=["State", "Industry"], values="Turnover",
                          aggfunc="sum")
    states = [r.state for r in REGIONS]
    industries = [c.industry for c in CATEGORIES]
    full = pd.MultiIndex.from_product([states, industries])
    cube = cube.reindex(index=window, columns=full)
    arr = cube.to_numpy(dtype=float).reshape(HISTORY_MONTHS, len(states), len(industries))
    national = np.nansum(arr, axis=1)  # [month, industry]
    state_size = np.nansum(arr, axis=(0, 2)) / np.nansum(arr)
    fill = national[:, None, :] * state_size[None, :, None] * 0.8
    return np.where(np.isnan(arr), fill, arr)
