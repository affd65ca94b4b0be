"""Calendar helpers: periods are 'YYYY-MM' strings naming a whole month."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    pass


def parse_period(period: str) -> pd.Timestamp:
    """The first day of `period` ('YYYY-MM'); a clear error for anything else."""
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise PeriodError(f"period must look like YYYY-MM, got {period!r}")
    return pd.Timestamp(f"{period}-01")


def period_end(period: str) -> pd.Timestamp:
    """The last day of `period`."""
    return parse_period(period) + pd.offsets.MonthEnd(0)


def last_complete_period(today: date) -> str:
    """The month before the one `today` falls in."""
    first = pd.Timestamp(today).to_period("M") - 1
    return str(first)


def shift_period(period: str, months: int) -> str:
    return str(pd.Period(period, "M") + months)
