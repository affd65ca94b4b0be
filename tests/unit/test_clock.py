"""The injectable clock: 'the last complete month' and 'today' come from one place, and the
command line takes `--today`, so nothing depends on the date the code runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from cli.main import _default_period, _parser, main, today_of
from sop.clock import Clock, default_period, fixed_clock, parse_day, utc_naive


@pytest.mark.parametrize(("today", "period"), [
    (date(2026, 12, 1), "2026-11"),   # the first day of a month
    (date(2027, 1, 1), "2026-12"),    # across a year end
    (date(2027, 3, 31), "2027-02"),   # the last day of a month
])
def test_default_period_is_the_month_before_today(today, period):
    assert default_period(None, today) == period
    assert default_period("2025-06", today) == "2025-06"  # an explicit period wins
    args = _parser().parse_args(["run", "--config", "x.yaml", "--today", today.isoformat()])
    assert today_of(args) == today and _default_period(args, None) == period
    before = _parser().parse_args(["--today", today.isoformat(), "validate", "--config", "x"])
    assert _default_period(before, None) == period  # before or after the command


def test_fixed_clock_stands_still_in_its_timezone():
    clock = fixed_clock("2026-11-30", "Asia/Shanghai")
    assert clock.today() == date(2026, 11, 30) and clock.now() == clock.now()
    assert utc_naive(clock.now()) == datetime(2026, 11, 30, 4, 0)  # noon in Shanghai
    late = Clock("Asia/Shanghai", lambda: datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    assert late.today() == date(2026, 12, 1)  # already the next day there


def test_bad_day_and_period_are_refused(capsys):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("01/12/2026")
    with pytest.raises(ValueError, match="YYYY-MM"):
        default_period("2026-13", date(2026, 12, 1))
    with pytest.raises(SystemExit):
        _parser().parse_args(["run", "--config", "x", "--today", "tomorrow"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_generate_without_end_takes_the_month_before_today(tmp_path, capsys):
    """The command's own default, end to end: the demo ERP ends in the last complete month
    as of --today."""
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    assert main(["generate", "--url", url, "--scale", "small", "--today", "2027-02-10"]) == 0
    engine = sa.create_engine(url)
    newest = pd.read_sql("SELECT MAX(order_date) AS d FROM sales_orders", engine)["d"].iloc[0]
    engine.dispose()
    assert str(newest)[:7] == "2027-01"
