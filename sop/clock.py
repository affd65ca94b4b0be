"""The one clock: what "today" and "now" are for a run, injectable so that nothing depends on
the date the code happens to run.

Pure code never reads the clock; it takes a `today` (a date) or `at` (a datetime) from its
caller. The edges (the CLI, a flow's first task) read it once, through `Clock`, and pass the
values down. A caller fixes the clock with `fixed_clock(date)`, e.g. `sop run --today
2026-11-03`, or a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sop.periods import last_complete_period, parse_period


@dataclass(frozen=True)
class Clock:
    """`now()` is an aware datetime in `timezone`; `today()` its date."""

    timezone: str = "UTC"
    source: Callable[[], datetime] | None = None  # None: the system clock

    def now(self) -> datetime:
        tz = ZoneInfo(self.timezone)
        return (self.source() if self.source else datetime.now(UTC)).astimezone(tz)

    def today(self) -> date:
        return self.now().date()


def system_clock(timezone: str = "UTC") -> Clock:
    return Clock(timezone)


def fixed_clock(day: date | str, timezone: str = "UTC") -> Clock:
    """A clock standing at noon of `day` (a date or 'YYYY-MM-DD') in `timezone`."""
    d = parse_day(day) if isinstance(day, str) else day
    at = datetime.combine(d, time(12), ZoneInfo(timezone))
    return Clock(timezone, lambda: at)


def clock_for(day: str | None, timezone: str = "UTC") -> Clock:
    """A clock fixed at `day` ('YYYY-MM-DD', e.g. `--today`) when given, else the system's."""
    return fixed_clock(day, timezone) if day else system_clock(timezone)


def parse_day(text: str) -> date:
    """'YYYY-MM-DD' as a date; a clear error for anything else."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"a day must look like YYYY-MM-DD, got {text!r}") from None


def default_period(period: str | None, today: date) -> str:
    """`period` checked, or the last complete month as of `today`."""
    chosen = period or last_complete_period(today)
    parse_period(chosen)
    return chosen


def utc_naive(at: datetime) -> datetime:
    """`at` as the naive UTC timestamp the warehouse stores."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
