"""Material and procurement alert rules: material shortage, lead-time increase, price spike.

Each rule returns rows of ALERT_COLUMNS with a stable key `rule:entity`, state 'open' and
first_seen = last_seen = period (sop.alerts.lifecycle.alert_states carries them across periods).
`figures` is a JSON object with the numbers that triggered the alert and the root-cause split
demand_moved (units), supply_moved (units), lead_time_moved_days, price_moved_pct; a part that
does not apply is 0.

Defaults (sop.config.Thresholds, documented in docs/ARCHITECTURE.md):
- material_shortage: a material whose projected on hand first goes below zero in a month
  starting before period end + its lead time + stockout_weeks (8): high when within the lead
  time (too late for a new order), medium in the stockout_weeks after it (order now). A later
  shortage is an ordinary order still to be placed: no alert (the packet lists it).
  Cause 'lead_time' when late receipts (the current supplier's actual lag above contract by
  more than lead_time_increase_pct pushes open orders back) make up at least half of the
  shortage in its first month; else 'demand' when, against the previous run's material balance (if
  given), the requirement rose more than supply fell; else 'supply'. demand_moved and
  supply_moved are the units moved since the previous run (0 without one, basis says which),
  as in sop.alerts.lifecycle.shortage_split; lead_time_moved_days is the current supplier's lag over
  contract.
- lead_time_increase: a supplier's (or supplier x material's) median recent lag above its
  contract lead time, or above its own trailing median, by more than lead_time_increase_pct
  (20%); high at twice the threshold.
- price_spike: quantity-weighted PO price up more than price_spike_pct (10%) recent vs earlier
  months; high at twice the threshold. Where the material has a market index
  (sop.planning.market), the message says how the market moved in the same months.
- price_above_market: a material with a market index whose price paid, not a spike, moved more
  than market_gap_pct (5) points above the index's move, recent vs earlier months, and whose
  recent orders cost more than a price that had followed the market; high at twice the gap.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from sop.alerts.lifecycle import alert_frame, alert_row
from sop.config import Thresholds
from sop.periods import period_end

MATERIAL_OWNERS = "procurement,supply,management"


def _plain(figures: dict) -> dict:
    """JSON-safe figures: numpy numbers as floats, NaN as None."""
    out = {}
    for k, v in figures.items():
        if isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_):
            v = None if pd.isna(v) else float(v)
        out[k] = v
    return out


def material_split(now: pd.DataFrame, previous: pd.DataFrame | None) -> dict:
    """How much the material's requirement and supply moved since the previous run, in units,
    over the months both runs cover up to the shortage month (`now` holds those rows of one
    material). demand_moved > 0: more required; supply_moved < 0: less stock plus receipts."""
    prev = None if previous is None or previous.empty else previous[
        (previous["material_id"] == now["material_id"].iloc[0])
        & previous["ds"].isin(set(now["ds"]))]
    if prev is None or prev.empty:
        return {"demand_moved": 0.0, "supply_moved": 0.0, "basis": "no previous run"}
    now = now[now["ds"].isin(set(prev["ds"]))].sort_values("ds")
    prev = prev.sort_values("ds")
    return {"demand_moved": float(now["gross_requirement"].sum()
                                  - prev["gross_requirement"].sum()),
            "supply_moved": float(now["opening"].iloc[0] + now["expected_receipts"].sum()
                                  - prev["opening"].iloc[0] - prev["expected_receipts"].sum()),
            "basis": "previous run"}


def material_shortage_alerts(balance: pd.DataFrame, period: str, thresholds: Thresholds,
                             previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """One alert per material whose projected on hand goes below zero (see module doc).

    `balance` is sop.planning.materials.material_balance's frame, `previous` the same from the previous
    run (for the demand/supply split; None on a first run). The balance's drift_days is only
    non-zero above lead_time_increase_pct (sop.planning.procurement.material_lead_times).
    """
    short = balance[balance["shortage"] > 1e-9].sort_values(["material_id", "ds"])
    act_by = period_end(period) + pd.Timedelta(weeks=thresholds.stockout_weeks)
    rows = []
    for mid, m in short.groupby("material_id", sort=True):
        hit = m.iloc[0]
        if hit.ds >= act_by + pd.Timedelta(days=float(hit.lead_time_days)):
            continue  # an ordinary order to place later, not an alert
        upto = balance[(balance["material_id"] == mid) & (balance["ds"] <= hit.ds)]
        need, got = upto["gross_requirement"].sum(), upto["expected_receipts"].sum()
        stock = upto.sort_values("ds")["opening"].iloc[0]
        late = round(max(0.0, hit.shortage - hit.shortage_on_promise), 6)
        split = material_split(upto, previous)
        if hit.drift_days > 0 and late >= hit.shortage / 2:
            cause = "lead_time"
        elif split["basis"] == "previous run" and split["demand_moved"] > 0 and (
                split["demand_moved"] >= -split["supply_moved"]):
            cause = "demand"
        else:
            cause = "supply"
        unit, lead = hit.unit, hit.lead_time_days
        when = (f"within its {lead:.0f}-day lead time, too late for a new order"
                if hit.within_lead_time else f"beyond its {lead:.0f}-day lead time")
        why = (f"; {late:,.0f} {unit} of it because deliveries running {hit.drift_days:.0f} "
               "days over contract push open orders back" if late > 0 else "")
        message = (f"{hit.material} runs short in {hit.ds:%Y-%m} by {hit.shortage:,.0f} "
                   f"{unit}: requirement {need:,.0f} {unit} through {hit.ds:%Y-%m} against stock "
                   f"{stock:,.0f} {unit} and open orders {got:,.0f} {unit}, {when}{why}.")
        figures = {"month": f"{hit.ds:%Y-%m}", "shortage": hit.shortage,
                   "max_shortage": m["shortage"].max(), "requirement": need, "stock": stock,
                   "receipts": got, "shortage_on_promise": hit.shortage_on_promise,
                   "late_receipt_units": late, "lead_time_days": lead,
                   "lead_time_moved_days": hit.drift_days, "name": hit.material,
                   "code": mid, "unit": unit, **split}
        rows.append(alert_row("material_shortage", mid,
                              "high" if hit.within_lead_time else "medium", message, cause,
                              MATERIAL_OWNERS, _plain(figures), period))
    return alert_frame(rows)


def lead_time_alerts(drift: pd.DataFrame, period: str, thresholds: Thresholds,
                     material_names: dict[str, str] | None = None) -> pd.DataFrame:
    """One alert per supplier (or supplier/material) whose recent median lag exceeds its
    contract lead time or its own trailing median by more than lead_time_increase_pct.
    `drift` is sop.planning.procurement.lead_time_drift's frame."""
    limit = thresholds.lead_time_increase_pct
    material_names = material_names or {}
    rows = []
    for r in drift.itertuples(index=False):
        if not r.recent_lines or pd.isna(r.recent_lag_days):
            continue
        fired = {name: (pct, days) for name, pct, days in (
            ("contract", r.vs_contract_pct, r.vs_contract_days),
            ("trailing median", r.change_pct, r.change_days)) if pd.notna(pct) and pct > limit}
        if not fired:
            continue
        basis, (pct, days) = max(fired.items(), key=lambda kv: kv[1][0])
        by_material = isinstance(r.material_id, str)
        entity = f"{r.supplier_id}/{r.material_id}" if by_material else r.supplier_id
        who = r.supplier if isinstance(r.supplier, str) and r.supplier else r.supplier_id
        what = who + (f" ({material_names.get(r.material_id, r.material_id)})"
                      if by_material else "")
        base_text = (f"its {r.contract_days:.0f}-day contract lead time" if basis == "contract"
                     else f"its trailing median of {r.trailing_lag_days:.0f} days "
                          f"({r.trailing_window})")
        message = (f"{what} now takes {r.recent_lag_days:.0f} days from order to receipt "
                   f"(median of {int(r.recent_lines)} lines received {r.recent_window}), "
                   f"{days:+.0f} days ({pct:+.0f}%) over {base_text}.")
        figures = {"recent_lag_days": r.recent_lag_days, "recent_lines": r.recent_lines,
                   "contract_days": r.contract_days, "trailing_lag_days": r.trailing_lag_days,
                   "vs_contract_pct": r.vs_contract_pct, "vs_trailing_pct": r.change_pct,
                   "late_share": r.late_share, "basis": basis, "lead_time_moved_days": days,
                   "name": what, "code": entity, "supplier_id": r.supplier_id}
        rows.append(alert_row("lead_time_increase", entity,
                              "high" if pct >= 2 * limit else "medium", message, "lead_time",
                              "procurement,supply", _plain(figures), period))
    return alert_frame(rows)


def price_spike_alerts(trend: pd.DataFrame, period: str, thresholds: Thresholds,
                       market: pd.DataFrame | None = None) -> pd.DataFrame:
    """One alert per material whose quantity-weighted PO price rose more than price_spike_pct,
    recent vs earlier months. `trend` is sop.planning.procurement.price_trend's frame,
    `market` sop.planning.market.market_comparison's (the index's move, where there is one)."""
    limit = thresholds.price_spike_pct
    moved = ({} if market is None or market.empty else
             market.dropna(subset=["market_change_pct"]).set_index("material_id"))
    rows = []
    for r in trend.itertuples(index=False):
        if pd.isna(r.change_pct) or r.change_pct <= limit:
            continue
        message = (f"{r.material} costs {r.change_pct:.1f}% more: "
                   f"{r.recent_price:,.2f} per {r.unit} on orders placed {r.recent_window} "
                   f"against {r.earlier_price:,.2f} in {r.earlier_window} "
                   f"({r.recent_qty:,.0f} {r.unit} ordered recently).")
        figures = {"recent_price": r.recent_price, "earlier_price": r.earlier_price,
                   "change_pct": r.change_pct, "recent_qty": r.recent_qty,
                   "earlier_qty": r.earlier_qty, "recent_window": r.recent_window,
                   "earlier_window": r.earlier_window, "price_moved_pct": r.change_pct,
                   "name": r.material, "code": r.material_id, "unit": r.unit}
        if r.material_id in getattr(moved, "index", ()):
            m = moved.loc[r.material_id]
            message += f" The market ({m.index_name}) moved {m.market_change_pct:+.1f}%."
            figures |= {"market_change_pct": m.market_change_pct, "index_name": m.index_name}
        rows.append(alert_row("price_spike", r.material_id,
                              "high" if r.change_pct >= 2 * limit else "medium", message,
                              "price", "procurement,management", _plain(figures), period))
    return alert_frame(rows)


def market_gap_alerts(market: pd.DataFrame, period: str, thresholds: Thresholds
                      ) -> pd.DataFrame:
    """One alert per material whose price paid moved more than market_gap_pct points above its
    market index (not a price spike: that rule says so itself) and whose recent orders cost
    more than at the market's move. `market` is sop.planning.market.market_comparison's."""
    gap, spike = thresholds.market_gap_pct, thresholds.price_spike_pct
    rows = []
    for r in market.itertuples(index=False):
        if (pd.isna(r.gap_pp) or r.gap_pp <= gap or r.paid_change_pct > spike
                or not r.excess_value > 0):
            continue
        message = (f"{r.material}: the price paid moved {r.paid_change_pct:+.1f}% "
                   f"({r.paid_recent:,.2f} per {r.unit} on orders placed {r.recent_window} "
                   f"against {r.paid_earlier:,.2f} in {r.earlier_window}) while the market "
                   f"({r.index_name}) moved {r.market_change_pct:+.1f}%; it now pays "
                   f"{r.premium_pct:.0f}% over the market.")
        figures = {"paid_recent": r.paid_recent, "paid_earlier": r.paid_earlier,
                   "paid_change_pct": r.paid_change_pct, "market_change_pct": r.market_change_pct,
                   "gap_pp": r.gap_pp, "premium_pct": r.premium_pct, "recent_qty": r.recent_qty,
                   "excess_value": r.excess_value, "index_name": r.index_name,
                   "price_moved_pct": r.gap_pp, "name": r.material, "code": r.material_id,
                   "unit": r.unit}
        rows.append(alert_row("price_above_market", r.material_id,
                              "high" if r.gap_pp >= 2 * gap else "medium", message, "price",
                              "procurement,management", _plain(figures), period))
    return alert_frame(rows)
