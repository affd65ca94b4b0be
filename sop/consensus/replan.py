"""The supply side planned again on the approved consensus: the period's stored statistical
forecast run with the approved version in force (sop.consensus.basis), through the same
planning steps as the monthly cycle (sop.planning.build.plan_from_forecast)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
from sqlalchemy.engine import Engine

from sop.config import PlanningConfig, Thresholds
from sop.consensus.model import ReviewError
from sop.consensus.store import approval
from sop.forecast.hierarchy import ReconciledForecast
from sop.plan import FORECAST_COLUMNS, Plan
from sop.planning.build import PlanningError, demand_history, plan_from_forecast
from sop.planning.store import latest_forecast_run, stored_history


def approved_plan(engine: Engine, data: Mapping[str, pd.DataFrame], period: str,
                  planning: PlanningConfig, thresholds: Thresholds,
                  quality_notes: tuple[str, ...] = ()) -> Plan:
    """`period`'s plan on its approved consensus, from `data` staged as of the period. Refused
    when the period has no stored forecast run or no approval."""
    if approval(engine, period) is None:
        raise ReviewError(f"the {period} demand review is not approved: nothing to re-plan "
                          f"(sop consensus approve --period {period} --as HEAD)")
    run_period, stored = latest_forecast_run(engine, period)
    if run_period != period:
        raise PlanningError(f"no forecast run stored for {period}: run the monthly cycle first")
    monthly, series = demand_history(data, period, planning)
    base = stored[stored["level"] != "customer"]
    rec = ReconciledForecast(forecast=base[[*FORECAST_COLUMNS, "snaive"]].reset_index(drop=True),
                             method="", flags=pd.DataFrame(), notes=())
    plan = plan_from_forecast(data, period, monthly, series, rec, planning, thresholds,
                              stored_history(engine, period))
    return replace(plan, quality_notes=tuple(quality_notes))
