"""The data-quality gate: every dataset against its GX suite, plus the cross-dataset
checks, in one list of results.

`quality_findings` runs everything on the frames as extracted (renamed, uncast);
`quality_gate` (sop.quality.quarantine) turns the findings into the verdict: stop, go on,
or go on without quarantined rows. A failed `critical` check stops the cycle
before planning; failed `warning`s go on and are listed in the packets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd

from sop.periods import period_end
from sop.quality.checks import (  # noqa: F401 - the gate's public names live here
    CheckResult,
    Finding,
    QualityGateError,
    Severity,
    critical_failures,
    warnings_of,
)
from sop.quality.crosschecks import (
    date_order_findings,
    freshness_findings,
    reference_findings,
    volume_findings,
)
from sop.quality.quarantine import QualityGate, quality_gate  # noqa: F401
from sop.quality.suites import load_suites, suite_findings


def latest_event_date(period: str, today: date | None, tolerance_days: int) -> pd.Timestamp:
    """The last date an event (order, shipment, snapshot...) may carry: the later of the
    period's end and the run date, plus the freshness tolerance."""
    base = period_end(period)
    if today is not None:
        base = max(base, pd.Timestamp(today).normalize())
    return base + pd.Timedelta(days=tolerance_days)


def quality_findings(frames: Mapping[str, pd.DataFrame], period: str, tolerance_days: int = 7,
                     *, today: date | None = None,
                     previous_counts: Mapping[str, int] | None = None,
                     volume_band_pct: float = 50.0, suites: Mapping[str, Mapping] | None = None,
                     docs_dir: Path | None = None) -> list[Finding]:
    """Every suite expectation and every cross-dataset check on `frames`.

    `previous_counts` are the row counts of the previous successful run (None on a
    first run: the volume check is skipped); `today` is the run date (future dates are
    judged against the later of it and the period end); with `docs_dir`, GX Data Docs
    are written there.
    """
    latest = latest_event_date(period, today, tolerance_days)
    findings = suite_findings(frames, suites if suites is not None else load_suites(),
                              {"latest_event_date": latest.isoformat()}, docs_dir)
    findings += reference_findings(frames)
    findings += date_order_findings(frames)
    findings += freshness_findings(frames, period, tolerance_days)
    findings += volume_findings(frames, previous_counts, volume_band_pct)
    return findings


def quality_results(frames: Mapping[str, pd.DataFrame], period: str, tolerance_days: int = 7,
                    **options) -> list[CheckResult]:
    """The results of `quality_findings` (same arguments), without the bad-row positions."""
    return [f.result for f in quality_findings(frames, period, tolerance_days, **options)]
