"""Alerts grouped by root cause: one parent per cause, its children beneath it.

- a stock-out (or fall below safety stock) of a product belongs to its category's
  supply-short-of-demand alert when there is one, else to the material shortage that blocks
  the product from the month of the stock-out or earlier (the largest by value), else stands
  alone;
- a material shortage caused by late deliveries belongs to its current supplier's lead-time
  alert (supplier, or supplier x material);
- a problem invoice belongs to its customer's credit-limit alert, else to a group of that
  customer's invoices (`customer:<id>`, a group with no alert of its own);
- demand off forecast belongs to the same category's sustained divergence.
Chains resolve to the top parent. Every alert keeps its own key (nothing is pushed twice);
`figures` gains group (the parent's key), group_name, group_value (the larger of the parent's
value and the sum of its children's: they overlap, so they are never added), group_size and
group_severity (the highest member's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from sop.alerts.lifecycle import SEVERITY_RANK

DIVERGENCE, SHORTAGE, LEAD_TIME = "demand_supply_divergence", "material_shortage", "lead_time_increase"
TITLES = {
    DIVERGENCE: "{name}: supply short of demand",
    SHORTAGE: "{name}: material shortage",
    LEAD_TIME: "{name}: late deliveries",
    "credit_limit": "{name}: over credit limit",
    "sustained_divergence": "{name}: demand off forecast for months running",
}


def _parent_of(rule: str, entity: str, f: dict, keys: set[str], shortages: list[tuple],
               material_supplier: Mapping[str, str]) -> str | None:
    if rule in ("stockout", "below_safety_stock"):
        if f"{DIVERGENCE}:{f.get('category')}" in keys:
            return f"{DIVERGENCE}:{f.get('category')}"
        sku, month = entity.partition("@")[0], str(f.get("month"))
        blocking = [(v, k) for k, v, skus, m in shortages if sku in skus and m <= month]
        return max(blocking)[1] if blocking else None
    if rule == SHORTAGE and f.get("cause") == "lead_time":
        sup = material_supplier.get(entity)
        for key in (f"{LEAD_TIME}:{sup}/{entity}", f"{LEAD_TIME}:{sup}"):
            if key in keys:
                return key
    if rule == "invoice":
        cid = f.get("customer_id")
        return f"credit_limit:{cid}" if f"credit_limit:{cid}" in keys else f"customer:{cid}"
    if rule == "demand_moved" and f"sustained_divergence:{entity}" in keys:
        return f"sustained_divergence:{entity}"
    return None


def _title(rule: str, name: str) -> str:
    return TITLES.get(rule, "{name}").format(name=name)


def grouped_alerts(alerts: pd.DataFrame, material_supplier: Mapping[str, str] | None = None
                   ) -> pd.DataFrame:
    """`alerts` (valued: figures.value) with the group fields above added to figures."""
    if alerts.empty:
        return alerts.copy()
    material_supplier = material_supplier or {}
    recs = [(r.alert_key, r.rule, r.entity, r.severity,
             {**json.loads(r.figures), "cause": r.cause}) for r in alerts.itertuples(index=False)]
    keys = {k for k, *_ in recs}
    shortages = [(k, float(f.get("value") or 0.0), set(f.get("blocked_skus") or ()),
                  str(f.get("month"))) for k, rule, _, _, f in recs if rule == SHORTAGE]
    parent = {k: _parent_of(rule, e, f, keys, shortages, material_supplier)
              for k, rule, e, _, f in recs}

    def top(key: str) -> str:
        seen = {key}
        while parent.get(key) and parent[key] not in seen:
            key = parent[key]
            seen.add(key)
        return key

    group = {k: top(k) for k in keys}
    info = {k: (rule, f) for k, rule, _, _, f in recs}
    members: dict[str, list[str]] = {}
    for k in [k for k, *_ in recs]:
        members.setdefault(group[k], []).append(k)
    sev = {k: s for k, _, _, s, _ in recs}
    summary = {}
    for g, ks in members.items():
        own = float(info[g][1].get("value") or 0.0) if g in info else 0.0
        kids = sum(float(info[k][1].get("value") or 0.0) for k in ks if k != g)
        if g in info:
            name = _title(info[g][0], info[g][1].get("name", g))
        else:  # a customer's invoices, with no alert of their own
            name = f"{info[ks[0]][1].get('customer', g)}: {len(ks)} problem invoice(s)"
        summary[g] = {"group": g, "group_name": name, "group_value": round(max(own, kids), 2),
                      "group_size": len(ks),
                      "group_severity": max((sev[k] for k in ks),
                                            key=lambda s: SEVERITY_RANK.get(s, 0))}
    figures = []
    for k, _, _, _, f in recs:
        f = {key: v for key, v in f.items() if key != "cause"}
        figures.append(json.dumps({**f, **summary[group[k]]}, sort_keys=True))
    return alerts.assign(figures=figures)


def alert_summary(alerts: pd.DataFrame) -> list[dict]:
    """One plain row per alert for the operators' run artifact: key, severity, state, name,
    value, group and action, largest group first."""
    rows = []
    for r in alerts.itertuples(index=False):
        f = json.loads(r.figures) if isinstance(r.figures, str) and r.figures else {}
        rows.append({"alert_key": r.alert_key, "severity": r.severity, "state": r.state,
                     "name": f.get("name", r.entity), "value": f.get("value"),
                     "group": f.get("group_name", ""), "group_value": f.get("group_value"),
                     "action": f.get("action", ""), "message": r.message})
    return sorted(rows, key=lambda x: (-(x["group_value"] or 0.0), x["group"],
                                       -(x["value"] or 0.0)))
