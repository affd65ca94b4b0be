"""Shared pieces of the briefing metrics: the period calendar, safe arithmetic, and the
plain, JSON-safe table/KPI dicts that packets are made of.

A packet table is a dict::

    {"title", "unit", "period", "columns": [{"key", "label", "fmt"}], "rows": [{key: value}],
     "empty", "note"}

Values are plain Python (str, int, float, None): never NaN, never numpy or pandas types.
`None` means "not available" and is shown as "n/a". Percentages are in percent (4.2 = 4.2%).
Formats (`fmt`): text, date, qty, money, price, count, ratio, pct (signed change), share, pp,
days, weeks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sop.config import DEPARTMENT_TITLES  # noqa: F401 - packets read it from here
from sop.contracts import (
    dataset,  # noqa: F401 - packets read it from here
)

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

CURRENCY = "currency units"  # the company currency; the contracts carry no currency code


@dataclass(frozen=True)
class Window:
    """The calendar around the reported period. Month bounds are month starts; `end` is
    exclusive (the first day after the period month)."""

    period: str
    start: pd.Timestamp

    @property
    def end(self) -> pd.Timestamp:
        return self.months(1)

    @property
    def year_start(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.start.year, month=1, day=1)

    @property
    def year_end(self) -> pd.Timestamp:
        """Exclusive: 1 January of the next year."""
        return pd.Timestamp(year=self.start.year + 1, month=1, day=1)

    @property
    def last_day(self) -> pd.Timestamp:
        return self.end - pd.Timedelta(days=1)

    def months(self, n: int) -> pd.Timestamp:
        """The month start `n` months after (negative: before) the period month."""
        return self.start + pd.DateOffset(months=n)

    @property
    def label(self) -> str:
        return self.start.strftime("%B %Y")

    @property
    def ytd_label(self) -> str:
        return f"{self.year_start:%Y-%m} to {self.period}"

    def span(self, first: int, last: int) -> str:
        """Label of the months `first`..`last` relative to the period (inclusive)."""
        a, b = self.months(first), self.months(last)
        return f"{a:%Y-%m}" if a == b else f"{a:%Y-%m} to {b:%Y-%m}"


def period_window(period: str) -> Window:
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ValueError(f"period must be 'YYYY-MM', got {period!r}")
    return Window(period, pd.Timestamp(f"{period}-01"))


def between(values: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Mask of `start <= values < end` (NaT is outside)."""
    v = pd.to_datetime(values, errors="coerce")
    return (v >= start) & (v < end)


def month_of(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.to_period("M").dt.to_timestamp()


def number(value: Any) -> float | None:
    """A finite float, or None."""
    if value is None or value is pd.NaT:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def pct_change(new: Any, old: Any) -> float | None:
    n, o = number(new), number(old)
    if n is None or o is None or o == 0:
        return None
    return (n / o - 1.0) * 100.0


def share(part: Any, whole: Any) -> float | None:
    p, w = number(part), number(whole)
    if p is None or w is None or w == 0:
        return None
    return p / w * 100.0


def clean(value: Any) -> Any:
    """A plain, JSON-safe Python value; NaN/NaT/None become None, dates 'YYYY-MM-DD'."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime | date):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return number(value)
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


class Col(NamedTuple):
    key: str
    label: str
    fmt: str = "text"


def table(frame: pd.DataFrame | None, columns: Iterable[Col], *, title: str, unit: str,
          period: str, empty: str, note: str | None = None) -> dict:
    """A packet table from `frame` (only `columns` are kept, in that order)."""
    cols = list(columns)
    rows: list[dict] = []
    if frame is not None and len(frame):
        for rec in frame.to_dict("records"):
            rows.append({c.key: clean(rec.get(c.key)) for c in cols})
    return {
        "title": title, "unit": unit, "period": period,
        "columns": [{"key": c.key, "label": c.label, "fmt": c.fmt} for c in cols],
        "rows": rows, "empty": empty, "note": note,
    }


def kpi(label: str, value: Any, fmt: str, unit: str = "", note: str | None = None) -> dict:
    return {"label": label, "value": clean(value), "fmt": fmt, "unit": unit, "note": note}


def with_names(frame: pd.DataFrame, master: pd.DataFrame, key: str, name_col: str = "name",
               target: str = "name") -> pd.DataFrame:
    """`frame` with `target` taken from `master[name_col]` by `key` (the id when unknown)."""
    names = master.drop_duplicates(key).set_index(key)[name_col] if len(master) else pd.Series(
        dtype=object)
    out = frame.copy()
    out[target] = out[key].map(names)
    out[target] = out[target].where(out[target].notna(), out[key])
    return out


def total_row(frame: pd.DataFrame, label_col: str, label: str = "Total") -> pd.DataFrame:
    """`frame` plus a row summing its numeric columns (ratios must be recomputed by the caller);
    unchanged when it has fewer than two rows."""
    if len(frame) < 2:
        return frame
    sums = frame.select_dtypes("number").sum(min_count=1)
    row = {c: sums[c] if c in sums.index else "" for c in frame.columns}
    row[label_col] = label
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
