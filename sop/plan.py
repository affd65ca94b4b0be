"""The plan: what the planning stage hands to alerts, packets and the warehouse.

All frames are long, with `ds` the first day of a month (pandas Timestamp), and
are new frames: no function mutates its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from sop.planning.actions import Actions

# Column lists, so that producers and consumers agree on one place.
SALES_MONTHLY_COLUMNS = ("ds", "region", "category", "sku", "customer_id", "qty", "revenue")
FORECAST_COLUMNS = ("level", "unique_id", "region", "category", "sku", "ds", "forecast",
                    "lo_80", "hi_80", "lo_95", "hi_95", "model", "revenue")
BUDGET_COLUMNS = ("version_id", "year", "ds", "region", "category", "qty", "revenue")
BALANCE_COLUMNS = ("sku", "warehouse_id", "ds", "opening", "receipts", "demand", "closing",
                   "safety_stock", "weeks_of_supply")
ALERT_COLUMNS = ("alert_key", "rule", "entity", "severity", "state", "message", "cause",
                 "owners", "figures", "first_seen", "last_seen")


@dataclass(frozen=True)
class Plan:
    """One period's plan outputs.

    - sales_monthly: actual demand (ordered, not cancelled) by order month through `period`;
      qty in units, revenue in the company currency.
    - forecast: rolling forecast for the months after `period`, every hierarchy level
      (`level` in total, category, region, category_region, sku_region); region/category/sku
      are None where the level does not split by them; qty in units, revenue = units x price.
    - budget: the budget version in force for the planned year(s), by month x region x category.
    - balance: projected finished-goods balance by sku x warehouse x month (units).
    - alerts: the alerts raised or still open after this period's rules.
    - material_balance: requirements (forecast x BOM) against material stock and open
      purchase orders by material x month (sop/planning/materials.py).
    - accuracy: WAPE, bias, MASE and value added over seasonal naive of earlier stored
      forecast runs at lags 1, 3, 6, by level (sop/forecast/accuracy.py).
    - customer_forecast: the sku x region forecast allocated to customers (key accounts
      forecast directly); promotion_plan: the budget year's planned promotions.
    - actions: the computed pull (sop.planning.actions.Actions: transfers, planned production,
      planned purchases, expedites, credit holds); None when not computed.
    """

    period: str
    sales_monthly: pd.DataFrame
    forecast: pd.DataFrame
    budget: pd.DataFrame
    balance: pd.DataFrame
    alerts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ALERT_COLUMNS))
    notes: tuple[str, ...] = ()  # planning notes (forecast, budget, materials)
    material_balance: pd.DataFrame = field(default_factory=pd.DataFrame)  # material x month
    accuracy: pd.DataFrame = field(default_factory=pd.DataFrame)  # earlier runs vs actuals
    customer_forecast: pd.DataFrame = field(default_factory=pd.DataFrame)  # sku x customer
    promotion_plan: pd.DataFrame = field(default_factory=pd.DataFrame)  # budget year
    reconciliation: str = ""  # MinTrace(mint_shrink), BottomUp, ...
    quality_notes: tuple[str, ...] = ()  # the data-quality gate's warnings, shown once
    actions: Actions | None = None
    # the forecast the previous month's run made for this period's month (total and category
    # levels, with revenue): what management compares the month's actual with
    prior_forecast: pd.DataFrame = field(default_factory=pd.DataFrame)
    category_accuracy: pd.DataFrame = field(default_factory=pd.DataFrame)  # by category, lag
    # the demand review (sop/consensus): what the supply side is planned on (kind statistical
    # or approved, revision, author, date), and every earlier version's scores and authors
    basis: dict = field(default_factory=lambda: {"kind": "statistical"})
    review_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the statistical forecast when `forecast` is the approved consensus (what the warehouse
    # keeps as the period's forecast run); empty when `forecast` is the statistical one
    statistical_forecast: pd.DataFrame = field(default_factory=pd.DataFrame)
    review_authors: pd.DataFrame = field(default_factory=pd.DataFrame)
    # how the forecast was made (sop.forecast.hierarchy.ReconciledForecast): series per level
    # and model, the chosen reconciliation's backtest by level, and why it was chosen
    forecast_choice: pd.DataFrame = field(default_factory=pd.DataFrame)  # level, model, series
    forecast_backtest: pd.DataFrame = field(default_factory=pd.DataFrame)  # level, mase, ...
    reconciliation_reason: str = ""

    def with_alerts(self, alerts: pd.DataFrame) -> Plan:
        """This plan with `alerts` (settled against the stored ones) as its alerts."""
        return replace(self, alerts=alerts)


@dataclass(frozen=True)
class History:
    """Earlier runs' outputs the rules compare against (empty frames on a first run)."""

    budgets: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecasts: pd.DataFrame = field(default_factory=pd.DataFrame)  # all stored runs
    previous_balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    approved: pd.DataFrame = field(default_factory=pd.DataFrame)  # this period's, if approved
    approval: dict | None = None  # revision, author, date of this period's approval
    versions: pd.DataFrame = field(default_factory=pd.DataFrame)  # earlier review versions
    version_authors: pd.DataFrame = field(default_factory=pd.DataFrame)  # period, version, author
