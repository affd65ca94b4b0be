"""Every alert valued in money and units, and its severity set by impact and timing.

What each rule's `figures.value` (money) and `figures.units` measure, and `value_basis` says:
- stockout: units below zero at the lowest projected closing in the alert window, x list price
  ("revenue at risk"); `margin` = units x (list price - unit cost);
- below_safety_stock: units below safety stock at the lowest closing, x unit cost ("stock to
  rebuild, at cost"): revenue is not yet at risk;
- excess_cover: units above the cover bound (bound weeks x average weekly demand), x unit cost
  ("stock above the cover bound, at cost");
- demand_supply_divergence: the category's units short of demand plus safety stock, x the
  category's demand-weighted list price ("revenue at risk");
- forecast_vs_budget: the revenue gap itself; demand_moved and sustained_divergence: the units
  off forecast x the category price;
- material_shortage: the finished goods the shortage blocks through the bill of materials
  (the deepest shortage within the alert window, split over the skus that use the material by
  their requirement, divided by quantity per unit), x their list prices ("revenue at risk of
  the products it blocks"), the products listed in `blocks`;
- lead_time_increase: the open purchase-order value from that supplier (of that material):
  the open quantity of the lines the material balance schedules (sop.planning.materials.
  open_receipts) x their price ("open purchases from a late supplier"); price_spike: the price rise x the recent quantity
  ("extra cost on recent orders"); price_above_market: the recent quantity x the price paid above
  a price that had followed the market index ("cost above the market's move");
- credit_limit and invoice: set by their rules (exposure above the limit, the unpaid balance).

Severity (`impact_severity`): below materiality (value under `materiality_value` and units
under `materiality_units`) an alert is `minor`, folded into one counted line per department;
`high` needs both the rule's urgency (high) and a value of at least `high_impact_value`; an
urgent one below that is `medium`; the rest keep the rule's level. The rule's own level is kept
in `figures.timing_severity`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.alerts.stock import alert_months, months_after
from sop.config import Thresholds
from sop.names import Names
from sop.periods import period_end
from sop.planning.balance import WEEKS_PER_MONTH
from sop.planning.materials import open_receipts


@dataclass(frozen=True)
class ImpactBasis:
    """What the valuation reads: the balances the rules ran on, prices and the BOM."""

    balance: pd.DataFrame  # finished goods, sku x warehouse x month
    material_balance: pd.DataFrame
    products: pd.DataFrame
    bom: pd.DataFrame
    purchase_orders: pd.DataFrame
    lead_times: pd.DataFrame  # sop.planning.procurement.material_lead_times, as the balance
    period: str
    names: Names


def _num(v: object) -> float:
    try:
        out = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(out) else out


class _Valuer:
    def __init__(self, basis: ImpactBasis, thresholds: Thresholds):
        self.b, self.t = basis, thresholds
        products = basis.products.drop_duplicates("sku").set_index("sku")
        self.price = products["list_price"].astype(float)
        self.cost = products["unit_cost"].astype(float)
        self.category = products["category"]
        self.fg = months_after(basis.balance, basis.period,
                               alert_months(thresholds.stockout_weeks))
        three = months_after(basis.balance, basis.period, 3)
        weights = three.assign(category=three["sku"].map(self.category),
                               money=three["demand"] * three["sku"].map(self.price))
        g = weights.groupby("category")[["money", "demand"]].sum()
        self.category_price = (g["money"] / g["demand"].where(g["demand"] > 0)).fillna(0.0)
        bal = basis.balance
        self.sku_demand = bal.assign(ds=pd.to_datetime(bal["ds"])).groupby(["sku", "ds"])[
            "demand"].sum()
        po = basis.purchase_orders
        lines = open_receipts(po, basis.lead_times, basis.period).frame
        self.open_lines = lines.merge(po[["po_id", "line_no", "unit_price"]].drop_duplicates(
            ["po_id", "line_no"]), on=["po_id", "line_no"], how="left")

    def _sku_rows(self, entity: str) -> pd.DataFrame:
        sku, _, wh = entity.partition("@")
        return self.fg[(self.fg["sku"] == sku) & (self.fg["warehouse_id"] == wh)]

    def stockout(self, entity: str, f: dict) -> dict:
        sku = entity.partition("@")[0]
        rows = self._sku_rows(entity)
        units = max(0.0, -_num(rows["closing"].min())) if len(rows) else 0.0
        price, cost = _num(self.price.get(sku)), _num(self.cost.get(sku))
        return {"units": units, "value": units * price, "margin": units * (price - cost),
                "value_basis": "revenue at risk"}

    def below_safety_stock(self, entity: str, f: dict) -> dict:
        sku = entity.partition("@")[0]
        rows = self._sku_rows(entity)
        units = max(0.0, _num((rows["safety_stock"] - rows["closing"]).max())) if len(rows) else 0.0
        return {"units": units, "value": units * _num(self.cost.get(sku)),
                "value_basis": "stock to rebuild, at cost"}

    def excess_cover(self, entity: str, f: dict) -> dict:
        sku = entity.partition("@")[0]
        weekly = _num(f.get("demand_3m")) / 3 / WEEKS_PER_MONTH
        units = max(0.0, _num(f.get("closing")) - self.t.excess_cover_weeks * weekly)
        return {"units": units, "value": units * _num(self.cost.get(sku)),
                "value_basis": "stock above the cover bound, at cost"}

    def demand_supply_divergence(self, entity: str, f: dict) -> dict:
        units = max(0.0, _num(f.get("safety_stock")) - _num(f.get("closing_3m")))
        return {"units": units, "value": units * _num(self.category_price.get(entity)),
                "value_basis": "revenue at risk"}

    def forecast_vs_budget(self, entity: str, f: dict) -> dict:
        gap = abs(_num(f.get("forecast_revenue")) - _num(f.get("budget_revenue")))
        price = _num(self.category_price.get(entity))
        return {"units": gap / price if price > 0 else 0.0, "value": gap,
                "value_basis": "revenue gap to budget"}

    def demand_moved(self, entity: str, f: dict) -> dict:
        units = abs(_num(f.get("actual")) - _num(f.get("forecast")))
        return {"units": units, "value": units * _num(self.category_price.get(entity)),
                "value_basis": "revenue off forecast"}

    sustained_divergence = demand_moved

    def material_shortage(self, entity: str, f: dict) -> dict:
        mb = self.b.material_balance
        lead = _num(f.get("lead_time_days"))
        cutoff = period_end(self.b.period) + pd.Timedelta(weeks=self.t.stockout_weeks) + (
            pd.Timedelta(days=lead))
        mine = mb[(mb["material_id"] == entity) & (pd.to_datetime(mb["ds"]) < cutoff)]
        short = _num(mine["shortage"].max()) if len(mine) else 0.0
        blocks = self._blocked(entity, mine, short)
        units = float(blocks["units"].sum()) if len(blocks) else 0.0
        value = float(blocks["value"].sum()) if len(blocks) else 0.0
        listed = [f"{self.b.names.product(r.sku)} ({r.units:,.0f} units)"
                  for r in blocks.sort_values("value", ascending=False).head(5).itertuples()]
        return {"units": units, "value": value, "material_units": short,
                "window_end": f"{cutoff:%Y-%m-%d}",
                "value_basis": "revenue at risk of the products it blocks",
                "blocks": ", ".join(listed), "blocked_skus": list(blocks["sku"])}

    def _blocked(self, material_id: str, months: pd.DataFrame, short: float) -> pd.DataFrame:
        if short <= 0 or months.empty:
            return pd.DataFrame(columns=["sku", "units", "value"])
        use = self.b.bom[(self.b.bom["material_id"] == material_id)
                         & (self.b.bom["qty_per_unit"] > 0)]
        per_month = self.sku_demand  # sku x month, summed once for every material
        units = per_month[per_month.index.get_level_values("ds").isin(
            pd.to_datetime(months["ds"]))].groupby(level="sku").sum()
        need = use.assign(units=use["sku"].map(units).fillna(0.0))
        need = need.assign(req=need["units"] * need["qty_per_unit"])
        total = need["req"].sum()
        if total <= 0:
            return pd.DataFrame(columns=["sku", "units", "value"])
        blocked = (short * need["req"] / total / need["qty_per_unit"]).clip(upper=need["units"])
        return pd.DataFrame({"sku": need["sku"], "units": blocked,
                             "value": blocked * need["sku"].map(self.price).fillna(0.0)})

    def lead_time_increase(self, entity: str, f: dict) -> dict:
        supplier, _, material = entity.partition("/")
        open_ = self.open_lines[self.open_lines["supplier_id"] == supplier]
        if material:
            open_ = open_[open_["material_id"] == material]
        return {"units": float(open_["open_qty"].sum()),
                "value": float((open_["open_qty"] * open_["unit_price"]).sum()),
                "value_basis": "open purchases from a late supplier"}

    def price_spike(self, entity: str, f: dict) -> dict:
        rise = _num(f.get("recent_price")) - _num(f.get("earlier_price"))
        qty = _num(f.get("recent_qty"))
        return {"units": qty, "value": max(0.0, rise) * qty,
                "value_basis": "extra cost on recent orders"}

    def price_above_market(self, entity: str, f: dict) -> dict:
        return {"units": _num(f.get("recent_qty")), "value": max(0.0, _num(f.get("excess_value"))),
                "value_basis": "cost above the market's move"}

    def credit_limit(self, entity: str, f: dict) -> dict:
        return {"units": 0.0, "value": _num(f.get("value")),
                "value_basis": "exposure above the credit limit"}

    def invoice(self, entity: str, f: dict) -> dict:
        return {"units": 0.0, "value": _num(f.get("value")), "value_basis": "unpaid balance"}


def impact_severity(timing: str, value: float, units: float, thresholds: Thresholds) -> str:
    """The shown severity from the rule's urgency and the money and units at stake."""
    if value < thresholds.materiality_value and units < thresholds.materiality_units:
        return "minor"
    if timing == "high":
        return "high" if value >= thresholds.high_impact_value else "medium"
    return timing


def valued_alerts(alerts: pd.DataFrame, basis: ImpactBasis, thresholds: Thresholds
                  ) -> pd.DataFrame:
    """`alerts` with figures.value, units and value_basis set and severity by impact."""
    if alerts.empty:
        return alerts.copy()
    valuer = _Valuer(basis, thresholds)
    figures, severity = [], []
    for r in alerts.itertuples(index=False):
        f = json.loads(r.figures) if isinstance(r.figures, str) else dict(r.figures or {})
        how = getattr(valuer, r.rule, None)
        got = how(r.entity, f) if how else {"units": 0.0, "value": _num(f.get("value")),
                                             "value_basis": "not valued"}
        timing = f.get("timing_severity", r.severity)
        f = {**f, **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in got.items()},
             "timing_severity": timing}
        severity.append(impact_severity(timing, f["value"], f["units"], thresholds))
        figures.append(json.dumps(f, sort_keys=True))
    return alerts.assign(figures=figures, severity=severity)
