"""Which alerts a department sees, grouped by root cause and ordered by money at stake.

Owners are department keys here; the report layer names them in the reader's language.
The packet opens with the department's alert groups (sop.alerts.groups: one row per cause,
its value the group's, the action its parent's), largest value first; groups whose alerts
are all below materiality (severity `minor`, sop.alerts.impact) are folded into one counted
line. The workbook's sheet lists every open alert, grouped, with its own value and action.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from sop.packets.briefing.common import Col, table

SEVERITY_RANK = {"critical": 0, "high": 1, "error": 1, "warning": 2, "medium": 2, "low": 3,
                 "info": 4, "minor": 5}
CLOSED_STATES = frozenset({"resolved", "closed"})


def alert_owners(value: object) -> frozenset[str]:
    """The departments in an alert's `owners`: a list/tuple/array, or a comma-separated str."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series):
        items = [str(v) for v in value if v is not None]
    else:
        try:
            if pd.isna(value):
                return frozenset()
        except (TypeError, ValueError):
            pass
        items = [str(value)]
    return frozenset(i.strip().lower() for i in items if i and i.strip())


def _figures(value: object) -> dict:
    if isinstance(value, dict):
        return value
    try:
        out = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def ranked_alerts(alerts: pd.DataFrame, department: str | None = None) -> pd.DataFrame:
    """Open alerts (not resolved) whose owners include `department` (or "all"; every alert
    when None), with their figures spread into columns (name, value, units, action, group,
    group_name, group_value, group_severity), ordered by group value and the group's
    severity, then within a group the parent first, then by value and severity."""
    cols = ["severity", "entity", "name", "message", "cause", "owners", "first_seen", "rule",
            "value", "units", "value_basis", "action", "action_owner", "group", "group_name",
            "group_value", "group_severity", "alert_key", "code"]
    if alerts is None or alerts.empty:
        return pd.DataFrame(columns=cols)
    out = alerts.copy()
    state = out.get("state", pd.Series("", index=out.index)).astype("string").str.lower()
    out = out[~state.fillna("").isin(CLOSED_STATES)]
    owners = out["owners"].map(alert_owners) if "owners" in out else pd.Series(
        [frozenset()] * len(out), index=out.index, dtype=object)
    if department is not None:
        mine = owners.map(lambda o: department.lower() in o or "all" in o).astype(bool)
        out, owners = out[mine], owners[mine]
    f = out["figures"].map(_figures) if "figures" in out else pd.Series(
        [{}] * len(out), index=out.index, dtype=object)
    key = out["alert_key"] if "alert_key" in out else pd.Series(out.index.astype(str),
                                                               index=out.index)
    out = out.assign(
        owners=owners.map(lambda o: ",".join(sorted(o))),
        name=[g.get("name") or e for g, e in zip(f, out["entity"], strict=True)],
        code=f.map(lambda g: g.get("code")),
        value=f.map(lambda g: float(g.get("value") or 0.0)),
        units=f.map(lambda g: float(g.get("units") or 0.0)),
        value_basis=f.map(lambda g: g.get("value_basis") or ""),
        action=f.map(lambda g: g.get("action") or ""),
        action_owner=f.map(lambda g: g.get("action_owner") or ""),
        group=[g.get("group") or k for g, k in zip(f, key, strict=True)],
        alert_key=key)
    out["group_name"] = [g.get("group_name") or n for g, n in zip(f, out["name"], strict=True)]
    out["group_value"] = [float(g.get("group_value") or v) for g, v in zip(f, out["value"],
                                                                          strict=True)]
    out["group_severity"] = [g.get("group_severity") or s for g, s in zip(
        f, out["severity"], strict=True)]
    sev = out["severity"].astype("string").str.lower()
    out["_rank"] = sev.map(SEVERITY_RANK).fillna(len(SEVERITY_RANK)).astype(float)
    out["_grank"] = out["group_severity"].astype("string").str.lower().map(
        SEVERITY_RANK).fillna(len(SEVERITY_RANK)).astype(float)
    out["_child"] = (out["group"] != out["alert_key"]).astype(int)
    out["_last"] = out["last_seen"].astype("string").fillna("") if "last_seen" in out else ""
    out = out.sort_values(["group_value", "_grank", "group", "_child", "value", "_rank", "_last"],
                          ascending=[False, True, True, True, False, True, False], kind="stable")
    return out.drop(columns=["_rank", "_grank", "_child", "_last"]).reset_index(drop=True)


def alert_groups(ranked: pd.DataFrame) -> pd.DataFrame:
    """One row per group of `ranked_alerts`: its name, value, highest severity among the
    department's members, the parent's message and action, member count."""
    if ranked.empty:
        return pd.DataFrame(columns=["group", "severity", "name", "value", "message", "action",
                                     "action_owner", "members", "first_seen", "minor"])
    rows = []
    for g, m in ranked.groupby("group", sort=False):
        head = m[m["alert_key"] == g]
        head = head.iloc[0] if len(head) else m.iloc[0]
        sevs = m["severity"].astype(str).str.lower()
        top = min(sevs, key=lambda s: SEVERITY_RANK.get(s, len(SEVERITY_RANK)))
        rows.append({"group": g, "severity": top, "name": head["group_name"],
                     "value": head["group_value"], "units": m["units"].max(),
                     "message": head["message"], "action": head["action"],
                     "action_owner": head["action_owner"], "members": len(m),
                     "first_seen": m["first_seen"].min(), "minor": bool((sevs == "minor").all())})
    return pd.DataFrame(rows)


def alerts_table(alerts: pd.DataFrame, department: str | None, period: str,
                 limit: int | None = None, title: str = "Alerts for this department",
                 compact: bool = False) -> dict:
    """The department's alert groups (minor ones folded into the note), largest value first;
    `compact`: what, money, action and owner only (management's first page)."""
    groups = alert_groups(ranked_alerts(alerts, department))
    minor = groups[groups["minor"]] if len(groups) else groups
    shown = groups[~groups["minor"]] if len(groups) else groups
    total = len(shown)
    shown = shown.head(limit) if limit else shown
    notes = []
    if limit and total > limit:
        notes.append(f"{len(shown)} of {total} alert groups shown, the workbook lists all")
    if len(minor):
        notes.append(f"{int(minor['members'].sum())} minor alert(s) below materiality, "
                     f"{minor['value'].sum():,.0f} at stake in all, are in the workbook only")
    cols = [Col("severity", "Severity"), Col("name", "What"), Col("value", "At stake", "money"),
            Col("action", "Action"), Col("action_owner", "Owner"),
            Col("message", "Why"), Col("members", "Alerts", "count"),
            Col("first_seen", "Since")]
    if compact:
        cols = [c for c in cols if c.key in ("severity", "name", "value", "action",
                                             "action_owner")]
    return table(shown, cols, title=title,
                 unit="alert groups (open, largest money at stake first)",
                 period=f"open after {period}", empty="No open alerts.",
                 note="; ".join(notes) or None)


def all_alerts_table(alerts: pd.DataFrame, department: str | None, period: str) -> dict:
    """Every open alert of the department, grouped (the workbook's sheet)."""
    ranked = ranked_alerts(alerts, department)
    cols = [Col("group_name", "Group"), Col("severity", "Severity"), Col("name", "What"),
            Col("code", "Code"), Col("value", "At stake", "money"), Col("units", "Units", "qty"),
            Col("value_basis", "Valued as"), Col("message", "Why"), Col("action", "Action"),
            Col("action_owner", "Owner"), Col("owners", "Owners"),
            Col("first_seen", "Since")]
    return table(ranked, cols, title="All open alerts",
                 unit="alerts (open, by group, largest money at stake first)",
                 period=f"open after {period}", empty="No open alerts.")
