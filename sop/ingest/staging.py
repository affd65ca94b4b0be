"""Staging: cast contract frames to their logical types (after the quality gate).

Like a dbt staging model: one function, a new frame, no rows dropped. Values that
do not cast become missing here only because the quality gate has already
stopped the cycle on them (critical) or reported them (warning).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sop.contracts import DONE_STATUSES, LogicalType, contract_for
from sop.periods import period_end


def cast_series(values: pd.Series, logical: LogicalType) -> pd.Series:
    """`values` cast to `logical`; uncastable entries become missing (NaN/NaT/<NA>)."""
    if logical == "string":
        text = values.astype(object).where(values.notna(), None)
        if pd.api.types.infer_dtype(text, skipna=True) in ("string", "empty"):
            return text  # already text: no per-row conversion
        return text.map(lambda v: v if v is None or isinstance(v, str) else _as_text(v))
    if logical == "number":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if logical == "int":
        num = pd.to_numeric(values, errors="coerce")
        return num.where(num.isna() | (num == num.round())).astype("Int64")
    if logical == "date":
        return pd.to_datetime(values, errors="coerce").dt.normalize()
    raise ValueError(f"unknown logical type {logical!r}")


def _as_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def staged(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """A new frame with every contract column cast to its contract type."""
    contract = contract_for(dataset)
    out = pd.DataFrame(index=frame.index)
    for col in contract.columns:
        out[col.name] = cast_series(frame[col.name], col.type) if col.name in frame else None
    return out.reset_index(drop=True)


def as_of(frame: pd.DataFrame, dataset: str, period: str) -> pd.DataFrame:
    """Fact rows dated up to the end of `period` (so a past period can be re-planned as it was)."""
    contract = contract_for(dataset)
    if contract.kind != "fact" or contract.date_column is None:
        return frame
    dates = frame[contract.date_column]
    return frame[dates <= period_end(period)].reset_index(drop=True)


def orders_as_of(sales_orders: pd.DataFrame, shipments: pd.DataFrame,
                 period: str) -> pd.DataFrame:
    """Order lines with the status they had at the end of `period`: the ERP's status is
    today's, so a line it now calls done (shipped, invoiced, ...) whose order still shipped
    after the period end was open then. Without this, a month's open orders would read 0 in
    its own packet (the later shipments cut away) and non-zero in the next month's."""
    end = period_end(period)
    later = set(shipments.loc[shipments["ship_date"] > end, "order_id"])
    if not later:
        return sales_orders
    status = sales_orders["status"].astype("string").str.strip().str.lower()
    reopen = status.isin(DONE_STATUSES) & sales_orders["order_id"].isin(later) & (
        sales_orders["order_date"] <= end)
    return sales_orders.assign(status=sales_orders["status"].where(~reopen, "open"))


def staged_as_of(frames: Mapping[str, pd.DataFrame], period: str) -> dict[str, pd.DataFrame]:
    """Every dataset cast to its contract types, fact rows dated up to the end of `period`,
    order lines with their status at the period end (`orders_as_of`)."""
    out = {name: staged(frame, name) for name, frame in frames.items()}
    return {name: _at_period_end(out, name, period) for name in out}


def staged_dataset(frames: Mapping[str, pd.DataFrame], name: str, period: str) -> pd.DataFrame:
    """`staged_as_of(frames, period)[name]` alone (what a resumed run computes again when it
    is first asked for one dataset of a stage it persisted as a recipe)."""
    needed = [n for n in frames if n == name or (name, n) == ("sales_orders", "shipments")]
    return _at_period_end({n: staged(frames[n], n) for n in needed}, name, period)


def _at_period_end(staged_frames: Mapping[str, pd.DataFrame], name: str,
                   period: str) -> pd.DataFrame:
    """Dataset `name` of `staged_frames` as of the end of `period`: fact rows dated up to it,
    order lines with the status they had then (given the shipments)."""
    frame = staged_frames[name]
    if name == "sales_orders" and "shipments" in staged_frames:
        frame = orders_as_of(frame, staged_frames["shipments"], period)
    return as_of(frame, name, period)
