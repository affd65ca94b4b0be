"""Which alerts a department sees, most severe first, and how they are tabled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.packets.briefing.common import Col, table

SEVERITY_RANK = {"critical": 0, "high": 1, "error": 1, "warning": 2, "medium": 2, "low": 3,
                 "info": 4}
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


def ranked_alerts(alerts: pd.DataFrame, department: str | None = None) -> pd.DataFrame:
    """Open alerts (not resolved), most severe first, then newest; only those whose owners
    include `department` (or "all") unless `department` is None."""
    if alerts is None or alerts.empty:
        return pd.DataFrame(columns=["severity", "entity", "message", "cause", "owners",
                                     "first_seen", "rule"])
    out = alerts.copy()
    state = out.get("state", pd.Series("", index=out.index)).astype("string").str.lower()
    out = out[~state.fillna("").isin(CLOSED_STATES)]
    owners = out["owners"].map(alert_owners) if "owners" in out else pd.Series(
        [frozenset()] * len(out), index=out.index, dtype=object)
    if department is not None:
        mine = owners.map(lambda o: department.lower() in o or "all" in o)
        out, owners = out[mine.astype(bool)], owners[mine.astype(bool)]
    out = out.assign(owners=owners.map(lambda o: ", ".join(sorted(o))))
    sev = out["severity"].astype("string").str.lower()
    out["_rank"] = sev.map(SEVERITY_RANK).fillna(len(SEVERITY_RANK)).astype(float)
    last = out["last_seen"].astype("string").fillna("") if "last_seen" in out else ""
    out["_last"] = last
    out = out.sort_values(["_rank", "_last"], ascending=[True, False], kind="stable")
    return out.drop(columns=["_rank", "_last"]).reset_index(drop=True)


def alerts_table(alerts: pd.DataFrame, department: str | None, period: str,
                 limit: int | None = None, title: str = "Alerts for this department") -> dict:
    ranked = ranked_alerts(alerts, department)
    shown = ranked.head(limit) if limit else ranked
    note = (f"{len(shown)} of {len(ranked)} open alerts shown; the workbook lists all."
            if limit and len(ranked) > limit else None)
    cols = [Col("severity", "Severity"), Col("entity", "Entity"), Col("message", "Message"),
            Col("cause", "Cause"), Col("first_seen", "Since")]
    if department is None:
        cols.insert(4, Col("owners", "Owners"))
    return table(shown, cols, title=title, unit="alerts (open, most severe first)",
                 period=f"open after {period}", empty="No open alerts.", note=note)
