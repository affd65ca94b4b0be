"""The action that closes each alert, in words a head acts on, from the computed actions
(sop.planning.actions: transfers, planned production, planned purchases, expedites, credit
holds). Each alert's figures gain `action` (one sentence with quantities, dates and names) and
`action_owner` (the department that takes it). Where no computed action applies, the sentence
says what to review and with whom; nothing is invented."""

from __future__ import annotations

import json

import pandas as pd

from sop.planning.actions import Actions
from sop.planning.balance import WEEKS_PER_MONTH


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _d(value: object) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _m(value: object) -> str:
    return f"{pd.Timestamp(value):%Y-%m}"


class _Phrases:
    def __init__(self, actions: Actions, period: str):
        self.a, self.period = actions, period

    def _production(self, skus: set[str], upto: str | None) -> str:
        p = self.a.production
        p = p[p["sku"].isin(skus) & (p["qty"] > 0)]
        if upto:
            p = p[p["ds"].map(_m) <= upto]
        if p.empty:
            return ""
        parts = [f"{r.qty:,.0f} on line {r.line_id} in {_m(r.ds)}"
                 for r in p.sort_values("ds").head(3).itertuples()]
        if len(p) > 3:
            parts.append(f"{len(p) - 3} more month(s) on the planned production sheet")
        short = p[p["capacity_shortfall"] > 0]
        if len(short):
            parts.append(f"line {short.iloc[0]['line_id']} is "
                         f"{short['capacity_shortfall'].max():,.0f} units short of capacity in "
                         f"{_m(short.iloc[0]['ds'])}")
        return "plan " + "; ".join(parts)

    def stock(self, entity: str, f: dict) -> tuple[str, str]:
        sku, _, wh = entity.partition("@")
        t = self.a.transfers
        t = t[(t["sku"] == sku) & (t["to_warehouse_id"] == wh)]
        said = [f"transfer {r.qty:,.0f} units from {r.from_warehouse} by {_m(r.need_month)}"
                for r in t.itertuples()]
        made = self._production({sku}, f.get("month"))
        said += [made] if made else []
        if not said:
            return "Review the production plan for this product", "supply"
        return _first_up("; ".join(said)), "supply"

    def category(self, entity: str, f: dict, skus: set[str]) -> tuple[str, str]:
        p = self.a.production
        months = sorted(p["ds"].unique())[:3] if len(p) else []
        p = p[p["sku"].isin(skus) & p["ds"].isin(months)]
        t = self.a.transfers[self.a.transfers["sku"].isin(skus)]
        if p.empty and t.empty:
            return "Review the category's production plan with sales", "supply"
        said = []
        if len(p):
            said.append(f"Plan {p['qty'].sum():,.0f} more units of {p['sku'].nunique()} "
                        f"product(s) over {_m(months[0])} to {_m(months[-1])} (the planned "
                        "production sheet)")
            short = p[p["capacity_shortfall"] > 0]
            if len(short):
                said.append(f"lines {', '.join(sorted(short['line_id'].unique()))} lack "
                            f"{short.groupby(['line_id', 'ds'])['capacity_shortfall'].max().sum():,.0f}"
                            " units of capacity")
        if len(t):
            said.append(f"transfer {t['qty'].sum():,.0f} units between warehouses")
        return "; ".join(said), "supply"

    def material(self, entity: str, f: dict) -> tuple[str, str]:
        """Expedites, then the planned orders inside the window the alert is valued over
        (figures.window_end), then a count of the later ones."""
        e = self.a.expedites[self.a.expedites["material_id"] == entity]
        said = [f"expedite order {r.po_id} from {r.supplier} ({r.open_qty:,.0f} {r.unit}) "
                f"by {int(r.days_earlier)} days, to {_d(r.deliver_by)}" for r in e.itertuples()]
        p = self.a.purchases[self.a.purchases["material_id"] == entity]
        end = pd.Timestamp(f.get("window_end") or pd.Timestamp.max)
        inside = p[pd.to_datetime(p["need_date"]) < end]
        if len(inside):
            first = inside.iloc[0]
            span = (f"for {_m(first.need_date)}" if len(inside) == 1 else
                    f"in {len(inside)} orders for {_m(first.need_date)} to "
                    f"{_m(inside['need_date'].max())}")
            said.append(f"order {inside['qty'].sum():,.0f} {first.unit} from "
                        f"{', '.join(dict.fromkeys(inside['supplier']))} {span}, the first "
                        + ("now" if bool(first.late) else f"by {_d(first.order_by)}"))
            late = inside[inside["late"].astype(bool)]
            if len(late):
                said.append(f"{late['qty'].sum():,.0f} {first.unit} of it cannot arrive within "
                            "the lead time: ask for a faster delivery or cut the products it "
                            "blocks")
        later = len(p) - len(inside)
        if later > 0:
            said.append(f"{later} later planned order(s) on the planned purchases sheet")
        alt = inside["alternatives"].iloc[0] if len(inside) and inside["alternatives"].iloc[0] else ""
        text = _first_up("; ".join(said)) if said else "Review open orders with the supplier"
        return (text + (f" (other suppliers: {alt})" if alt else "")), "procurement"

    def supplier(self, entity: str, f: dict) -> tuple[str, str]:
        units = float(f.get("units") or 0.0)
        return (f"Confirm delivery dates of the open orders ({units:,.0f} units) with the "
                f"supplier and plan with {float(f.get('recent_lag_days') or 0):.0f}-day lead "
                "times until they improve", "procurement")

    def price(self, entity: str, f: dict) -> tuple[str, str]:
        p = self.a.purchases[self.a.purchases["material_id"] == entity]
        alt = p["alternatives"].iloc[0] if len(p) and p["alternatives"].iloc[0] else ""
        market = (f"; the market ({f['index_name']}) moved {float(f['market_change_pct']):+.1f}%"
                  if f.get("index_name") and f.get("market_change_pct") is not None else "")
        return ("Renegotiate the price before the next order" + market
                + (f"; other suppliers: {alt}" if alt else "")), "procurement"

    def market(self, entity: str, f: dict) -> tuple[str, str]:
        return (f"Renegotiate the price to follow {f.get('index_name')} before the next order",
                "procurement")

    def credit(self, entity: str, f: dict) -> tuple[str, str]:
        h = self.a.credit_holds[self.a.credit_holds["customer_id"] == entity]
        if h.empty:
            return "Review the credit limit", "sales_admin"
        r = h.iloc[0]
        return (f"Hold open orders worth {r.hold_value:,.0f}; release them once "
                f"{r.collect_value:,.0f} of unpaid invoices is collected", "sales_admin")

    def invoice(self, entity: str, f: dict) -> tuple[str, str]:
        issue = f.get("issue")
        if issue in ("disputed", "refused"):
            return (f"Settle the {issue} invoice with {f.get('customer')} (sales to confirm "
                    "the claim)", "sales_admin")
        return (f"Chase payment from {f.get('customer')}: {int(f.get('days_overdue') or 0)} "
                "days overdue", "sales_admin")

    def excess(self, entity: str, f: dict) -> tuple[str, str]:
        units = float(f.get("units") or 0.0)
        weekly = float(f.get("demand_3m") or 0.0) / 3 / WEEKS_PER_MONTH
        return (f"Cut planned production by {units:,.0f} units (about "
                f"{units / weekly:,.0f} weeks of demand) or move the stock to another "
                "warehouse" if weekly > 0 else "Cut planned production of this product",
                "supply")


def alerts_with_actions(alerts: pd.DataFrame, actions: Actions, category_skus: dict[str, set],
                        period: str) -> pd.DataFrame:
    """`alerts` with figures.action and figures.action_owner set for every alert."""
    if alerts.empty:
        return alerts.copy()
    say = _Phrases(actions, period)
    phrase = {"stockout": say.stock, "below_safety_stock": say.stock,
              "material_shortage": say.material, "lead_time_increase": say.supplier,
              "price_spike": say.price, "price_above_market": say.market, "credit_limit": say.credit, "invoice": say.invoice,
              "excess_cover": say.excess,
              "demand_supply_divergence": lambda e, f: say.category(
                  e, f, category_skus.get(e, set())),
              "forecast_vs_budget": lambda e, f: (
                  "Review the category's forecast in the demand review, or re-phase its "
                  "budget", "sales")}
    review = ("Review the category's forecast with sales before the supply plan follows it",
              "sales")  # demand_moved, sustained_divergence
    out = []
    for r in alerts.itertuples(index=False):
        f = json.loads(r.figures)
        text, owner = phrase[r.rule](r.entity, f) if r.rule in phrase else review
        out.append(json.dumps({**f, "action": text, "action_owner": owner}, sort_keys=True))
    return alerts.assign(figures=out)
