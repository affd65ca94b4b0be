"""Alert life cycle and the pieces every rule shares.

Each rule (sop/alerts/stock.py, sop/alerts/demand.py, sop/alerts/supply.py) returns rows of
ALERT_COLUMNS with a stable key `rule:entity`. `alert_states` carries state across
periods: a new key opens an alert, a key seen again keeps `first_seen` (and an
acknowledgement), a stored open key that no longer fires is resolved.
"""

from __future__ import annotations

import json

import pandas as pd

from sop.plan import ALERT_COLUMNS

SEVERITY_RANK = {"minor": 0, "low": 1, "medium": 2, "high": 3}
NO_SPLIT = {"demand_moved": 0.0, "supply_moved": 0.0, "lead_time_moved_days": 0.0,
            "price_moved_pct": 0.0}


def alert_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def alert_row(rule: str, entity: str, severity: str, message: str, cause: str, owners: str,
              figures: dict, period: str) -> dict:
    """One alert row; `figures` always carries the root-cause split keys, and `name` (what a
    head reads: a product at a warehouse, a material, a category, a customer; the entity
    when the rule names none)."""
    clean = {k: (round(float(v), 2) if isinstance(v, (int, float)) else v)
             for k, v in {**NO_SPLIT, "name": entity, **figures}.items()}
    return {"alert_key": f"{rule}:{entity}", "rule": rule, "entity": entity,
            "severity": severity, "state": "open", "message": message, "cause": cause,
            "owners": owners, "figures": json.dumps(clean, sort_keys=True),
            "first_seen": period, "last_seen": period}


def alert_states(stored: pd.DataFrame, fired: pd.DataFrame, period: str) -> pd.DataFrame:
    """Fired alerts merged with stored ones: first_seen kept, no-longer-firing ones resolved.

    Re-running the same period gives the same result (idempotent). An alert resolved earlier
    that fires again opens anew with this period as first_seen.
    """
    stored = stored if not stored.empty else alert_frame([])
    live = stored[stored["state"] != "resolved"].set_index("alert_key")
    out = fired.copy()
    if not out.empty and len(live):
        kept = out["alert_key"].map(live["first_seen"])
        out["first_seen"] = kept.where(kept.notna() & (kept <= period), out["first_seen"])
        acked = out["alert_key"].map(live["state"])
        out["state"] = acked.where(acked == "acknowledged", "open").fillna("open")
    # a stored alert first seen this period (an earlier run of the same period) keeps its
    # first_seen even when it was resolved in between
    if not out.empty and len(stored):
        same = stored[stored["first_seen"] == period].set_index("alert_key")["first_seen"]
        out["first_seen"] = out["alert_key"].map(same).fillna(out["first_seen"])
    gone = stored[~stored["alert_key"].isin(fired["alert_key"]) & (stored["state"] != "resolved")]
    gone = gone[gone["first_seen"] <= period]
    resolved = gone.assign(state="resolved")
    return pd.concat([out, resolved[list(ALERT_COLUMNS)]], ignore_index=True)[list(ALERT_COLUMNS)]


def growth_by_category(history: pd.DataFrame) -> pd.Series:
    """Last 3 months vs the same months a year earlier, % per category (0 when unknown)."""
    cat = history[history["level"] == "category"].sort_values("ds")
    out = {}
    for category, g in cat.groupby("category"):
        y = g["y"].to_numpy()
        base = y[-15:-12].sum() if len(y) >= 15 else 0.0
        out[category] = (y[-3:].sum() / base - 1) * 100 if base > 0 else 0.0
    return pd.Series(out, dtype="float64")


def shortage_split(now: pd.DataFrame, previous: pd.DataFrame | None) -> dict:
    """How much demand and supply moved since the previous run's projection, in units.

    `now` and `previous` are balance rows of the same entity and months. demand_moved > 0
    means more demand than last time; supply_moved < 0 means less stock plus receipts.
    """
    if previous is None or previous.empty:
        return {"demand_moved": 0.0, "supply_moved": 0.0, "basis": "no previous run"}
    months = set(now["ds"])
    prev = previous[previous["ds"].isin(months)]
    if prev.empty:
        return {"demand_moved": 0.0, "supply_moved": 0.0, "basis": "no previous run"}
    first_now = now.sort_values("ds").groupby(["sku", "warehouse_id"]).head(1)["opening"].sum()
    first_prev = prev.sort_values("ds").groupby(["sku", "warehouse_id"]).head(1)["opening"].sum()
    return {
        "demand_moved": float(now["demand"].sum() - prev["demand"].sum()),
        "supply_moved": float((first_now + now["receipts"].sum())
                              - (first_prev + prev["receipts"].sum())),
        "basis": "previous run",
    }


def shortage_cause(split: dict, growth_pct: float, threshold_pct: float) -> str:
    """'demand' when rising demand explains more of a shortage than falling supply."""
    if split.get("basis") == "previous run" and (split["demand_moved"] or split["supply_moved"]):
        return "demand" if split["demand_moved"] >= -split["supply_moved"] else "supply"
    return "demand" if growth_pct >= threshold_pct else "supply"
