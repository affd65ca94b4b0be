"""What the plan stands on: the period's approved consensus when there is one, else the
statistical forecast (and the packets say which); and the scores of earlier reviews."""

from __future__ import annotations

import pandas as pd

from sop.consensus.fva import period_scores
from sop.consensus.split import forecast_with_version
from sop.plan import History


def forecast_in_force(forecast: pd.DataFrame, history: History) -> pd.DataFrame:
    """`forecast` with the period's approved version in place where it is approved."""
    if history.approved is None or history.approved.empty:
        return forecast
    return forecast_with_version(forecast, history.approved)


def plan_basis(period: str, history: History) -> dict:
    """kind ('approved' or 'statistical'), period, and for an approval its revision, author
    and date ('YYYY-MM-DD')."""
    a = history.approval
    if not a or history.approved is None or history.approved.empty:
        return {"kind": "statistical", "period": period}
    return {"kind": "approved", "period": period, "revision": int(a["revision"]),
            "author": a["author"], "date": f"{pd.Timestamp(a['created_at']):%Y-%m-%d}"}


def review_scores(history: History, actuals: pd.DataFrame) -> pd.DataFrame:
    """Every earlier review version scored at lags 1 and 3 (sop.consensus.fva)."""
    if history.versions is None or history.versions.empty:
        return pd.DataFrame()
    return period_scores(history.versions, actuals[["unique_id", "ds", "y"]], lags=(1, 3))
