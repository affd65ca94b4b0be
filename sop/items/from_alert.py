"""Turning an open high-severity alert into a draft coordination item: what it prefills."""

from __future__ import annotations

from collections.abc import Mapping

from sop.config import DEPARTMENTS
from sop.items.model import Heads, ItemError

# root-cause split keys every alert carries; shown only when they moved
_SPLIT = ("demand_moved", "supply_moved", "lead_time_moved_days", "price_moved_pct")


def figures_text(figures: Mapping[str, object]) -> str:
    """`k=v, ...` in key order, root-cause figures left out when zero."""
    shown = {k: v for k, v in sorted(figures.items())
             if v not in (None, "") and not (k in _SPLIT and v in (0, 0.0))}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "none"


def prefill_from_alert(alert: Mapping[str, object], requesting: str, heads: Heads,
                       responsible: str | None = None) -> dict:
    """The draft fields an alert gives (requirement, responsible, standard, owner, alert_key)
    and the note for the item's history. Only an open, high-severity alert qualifies; the
    responsible department is the alert's first owner other than the requesting department,
    unless `responsible` is given; the owner is that department's first head."""
    key = alert["alert_key"]
    if alert.get("state") != "open":
        raise ItemError(f"alert {key} is {alert.get('state')}; only an open alert becomes an "
                        "item")
    if alert.get("severity") != "high":
        raise ItemError(f"alert {key} is {alert.get('severity')} severity; only a high-severity "
                        "alert becomes an item")
    owners = [o.strip() for o in str(alert.get("owners") or "").split(",") if o.strip()]
    fig = alert.get("figures") or {}
    acting = fig.get("action_owner")  # the department the computed action names, first
    candidates = [o for o in dict.fromkeys([acting, *owners])
                  if o in DEPARTMENTS and o != requesting]
    if responsible is None and not candidates:
        raise ItemError(f"alert {key}: its owners ({', '.join(owners) or 'none'}) give no "
                        f"department other than {requesting}; name one with --to")
    responsible = responsible or candidates[0]
    figures = figures_text(fig)
    note = (f"from alert {key} ({alert['severity']}, cause {alert.get('cause') or 'unknown'}); "
            f"figures: {figures}")
    owner = next(iter(heads.get(responsible, ())), "")
    if fig.get("action"):  # a valued alert with its computed action: said as a head reads it
        stake = (f", {float(fig['value']):,.0f} at stake when raised in {alert['first_seen']}"
                 if fig.get("value") else "")
        return {"requirement": str(fig["action"]), "responsible": responsible,
                "standard": f"{fig.get('name') or alert['entity']}: the alert is closed by the "
                            f"due date ({alert['message']}{stake})",
                "owner": str(owner), "alert_key": key, "note": note}
    standard = (f"Alert {key} no longer open by the due date (rule {alert['rule']} on "
                f"{alert['entity']}); figures when raised in {alert['first_seen']}: {figures}")
    return {"requirement": str(alert["message"]), "responsible": responsible,
            "standard": standard, "owner": str(owner), "alert_key": key, "note": note}
