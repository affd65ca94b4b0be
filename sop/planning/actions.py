"""The pull: what production, logistics, procurement and sales administration must do so that
supply meets the demand the plan states, computed from the balances.

- transfers: stock moved between warehouses of the same product, from cover above need
  (sop.planning.replenishment.stock_transfers);
- production: planned production by sku x month that brings every warehouse back to safety
  stock after the transfers, by line, with the capacity shortfall (planned_production);
- purchases: planned purchase orders that close every projected material shortage, with the
  supplier chosen and the order-by date (sop.planning.purchases.planned_purchases);
- expedites: open purchase orders to pull forward for shortages inside the lead time;
- credit_holds: customers over their credit limit, the orders to hold and the payment that
  releases them (sop.alerts.credit.credit_holds).
Each frame names things by their names, with the codes beside them for the ERP; the workbook
has them as sheets a planner can paste into the ERP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sop.alerts.credit import credit_holds
from sop.alerts.stock import alert_months
from sop.config import PlanningConfig, Thresholds
from sop.periods import period_end
from sop.planning.purchases import expedites, planned_purchases
from sop.planning.replenishment import planned_production, stock_transfers


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True)
class Actions:
    transfers: pd.DataFrame = field(default_factory=_empty)
    production: pd.DataFrame = field(default_factory=_empty)
    purchases: pd.DataFrame = field(default_factory=_empty)
    expedites: pd.DataFrame = field(default_factory=_empty)
    credit_holds: pd.DataFrame = field(default_factory=_empty)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {"transfers": self.transfers, "production": self.production,
                "purchases": self.purchases, "expedites": self.expedites,
                "credit_holds": self.credit_holds}


def cycle_actions(data: Mapping[str, pd.DataFrame], balance: pd.DataFrame,
                  material_balance: pd.DataFrame, lead_times: pd.DataFrame, period: str,
                  planning: PlanningConfig, thresholds: Thresholds) -> Actions:
    """Every computed action for `period` from the finished-goods and material balances."""
    months = alert_months(thresholds.stockout_weeks)
    products, warehouses = data["products"], data["warehouses"]
    moves = stock_transfers(balance, period, months, products, warehouses)
    made = planned_production(balance, period, data["production_plan"], data["maintenance_plan"],
                              products, transfers=moves, line_rates=planning.line_rates)
    po, suppliers = data["purchase_orders"], data["suppliers"]
    rush = expedites(material_balance, po, lead_times, period, suppliers=suppliers)
    buys = planned_purchases(material_balance, po, suppliers, period, lead_times, expedites=rush,
                             drift_tolerance_pct=thresholds.lead_time_increase_pct)
    return Actions(moves, made, buys, rush, credit_holds(data, period))


def with_actions_applied(data: Mapping[str, pd.DataFrame], actions: Actions, period: str,
                         include_late: bool = False) -> dict[str, pd.DataFrame]:
    """The datasets as the ERP would hold them once the actions are entered (a what-if):
    a transfer lowers the origin's on hand and raises the destination's in transit in the
    latest finished-goods snapshot; planned production adds `gross_qty` to its plan week and
    line; an expedite moves the order line's promised date earlier by `days_earlier`; a
    planned purchase (unless too late for its lead time, or `include_late`) is a new order
    line placed at the period end with the promised date asked for. New frames throughout."""
    out = dict(data)
    end = period_end(period).normalize()
    if len(actions.transfers):
        out["inventory"] = _transferred(data["inventory"], actions.transfers, end)
    made = actions.production
    if len(made):
        made = made[made["gross_qty"].notna() & (made["gross_qty"] > 0)]
        add = pd.DataFrame({"plan_week": made["plan_week"], "line_id": made["line_id"],
                            "sku": made["sku"], "planned_qty": made["gross_qty"]})
        plan = pd.concat([data["production_plan"], add], ignore_index=True)
        out["production_plan"] = plan.groupby(["plan_week", "line_id", "sku"], as_index=False)[
            "planned_qty"].sum()
    po = data["purchase_orders"]
    if len(actions.expedites):
        days = actions.expedites.set_index(["po_id", "line_no"])["days_earlier"]
        shift = pd.Series([days.get((p, n), 0) for p, n in zip(po["po_id"], po["line_no"],
                                                              strict=True)], index=po.index)
        po = po.assign(promised_date=pd.to_datetime(po["promised_date"])
                       - pd.to_timedelta(shift, unit="D"))
    buys = actions.purchases
    if len(buys):
        buys = buys[buys["supplier_id"].notna() & (include_late | ~buys["late"].astype(bool))]
        new = pd.DataFrame({
            "po_id": [f"PLANNED-{period}-{i + 1:04d}" for i in range(len(buys))],
            "line_no": 1, "supplier_id": buys["supplier_id"].to_numpy(),
            "material_id": buys["material_id"].to_numpy(), "order_date": end,
            "promised_date": pd.to_datetime(buys["promised_date"]).to_numpy(),
            "received_date": pd.NaT, "qty": buys["qty"].to_numpy(), "received_qty": float("nan"),
            "unit_price": buys["unit_price"].to_numpy()})
        po = pd.concat([po, new.astype({"line_no": po["line_no"].dtype})], ignore_index=True)
    out["purchase_orders"] = po
    return out


def _transferred(inventory: pd.DataFrame, transfers: pd.DataFrame, end: pd.Timestamp
                 ) -> pd.DataFrame:
    finished = inventory[(inventory["item_type"] == "finished")
                         & (inventory["snapshot_date"] <= end)]
    day = finished["snapshot_date"].max()
    inv = inventory.copy()
    for t in transfers.itertuples(index=False):
        at = (inv["snapshot_date"] == day) & (inv["item_type"] == "finished") & (
            inv["item_id"] == t.sku)
        origin = at & (inv["warehouse_id"] == t.from_warehouse_id)
        inv.loc[origin[origin].index[:1], "on_hand"] -= t.qty
        dest = at & (inv["warehouse_id"] == t.to_warehouse_id)
        if dest.any():
            inv.loc[dest[dest].index[:1], "in_transit"] += t.qty
        else:
            row = {"snapshot_date": day, "warehouse_id": t.to_warehouse_id, "item_id": t.sku,
                   "item_type": "finished", "on_hand": 0.0, "allocated": 0.0,
                   "in_transit": float(t.qty), "safety_stock": 0.0}
            inv = pd.concat([inv, pd.DataFrame([row])], ignore_index=True)
    return inv
