"""Checks across datasets or runs, which a GX suite on one frame cannot express.

- references: every sku, customer_id, material_id, supplier_id, warehouse_id,
  promo_id exists in its master (inventory.item_id in products for finished goods,
  in materials for materials); order_id of shipments, returns, invoices in the orders;
- date order across datasets: nothing ships (or comes back) before it was ordered;
- freshness: the newest date of each fact dataset reaches the period being planned;
- volume: each row count within a band of the previous successful run's count.

Each returns `Finding`s in the same structure as the suites (`sop.quality.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sop.contracts import CONTRACTS, contract_for
from sop.ingest.staging import cast_series
from sop.periods import parse_period, period_end
from sop.quality.checks import Finding, Severity, finding

IN_MASTER = "expect_column_values_to_be_in_master"
NOT_BEFORE_ORDER = "expect_column_values_to_not_be_before_order_date"
FRESH = "expect_newest_date_to_reach_period"
NEAR_PREVIOUS = "expect_table_row_count_to_be_near_previous_run"

WARNING_REFERENCES = {("sales_orders", "promo_id")}
ORDER_REFERENCES: dict[str, Severity] = {"shipments": "critical", "returns": "warning",
                                         "invoices": "warning"}
ORDER_DATES: dict[str, tuple[str, Severity]] = {"shipments": ("ship_date", "critical"),
                                                "returns": ("return_date", "warning")}
STALE_CRITICAL = ("sales_orders", "inventory")


def as_text(values: pd.Series) -> pd.Series:
    """Values as strings (one conversion per distinct value), missing stays missing."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = cast_series(pd.Series(uniques, dtype=object), "string").to_numpy(dtype=object)
    out = np.where(codes >= 0, texts[np.maximum(codes, 0)] if len(texts) else None, None)
    return pd.Series(out, index=values.index, dtype=object)


def _unknown(frame: pd.DataFrame, column: str, known: pd.Series,
             rows: pd.Series | None = None) -> np.ndarray:
    values = as_text(frame[column])
    bad = values.notna() & ~values.isin(as_text(known).dropna().unique())
    if rows is not None:
        bad &= rows
    return bad.to_numpy()


def _reference(name: str, frame: pd.DataFrame, column: str, master: str, master_col: str,
               frames: Mapping[str, pd.DataFrame], severity: Severity,
               rows: pd.Series | None = None) -> Finding | None:
    target = frames.get(master)
    if column not in frame.columns or target is None or master_col not in target.columns:
        return None  # the schema checks report missing columns; masters may be absent
    bad = _unknown(frame, column, target[master_col], rows)
    shown = ", ".join(repr(v) for v in pd.unique(as_text(frame[column])[bad])[:3])
    return finding(name, IN_MASTER, column, severity, frame, contract_for(name).key, bad,
                   f"not in {master}.{master_col}: {shown}")


def reference_findings(frames: Mapping[str, pd.DataFrame]) -> list[Finding]:
    """Every reference column of every dataset against its master's key."""
    out: list[Finding | None] = []
    for name, frame in frames.items():
        contract = contract_for(name)
        for column, master in contract.references.items():
            severity: Severity = "warning" if (name, column) in WARNING_REFERENCES else "critical"
            out.append(_reference(name, frame, column, master, CONTRACTS[master].key[0],
                                  frames, severity))
        if name in ORDER_REFERENCES:
            out.append(_reference(name, frame, "order_id", "sales_orders", "order_id", frames,
                                  ORDER_REFERENCES[name]))
        if name == "inventory" and "item_type" in frame.columns:
            kind = frame["item_type"]
            out.append(_reference(name, frame, "item_id", "products", "sku", frames, "critical",
                                  kind == "finished"))
            out.append(_reference(name, frame, "item_id", "materials", "material_id", frames,
                                  "critical", kind == "material"))
    return [f for f in out if f is not None]


def date_order_findings(frames: Mapping[str, pd.DataFrame]) -> list[Finding]:
    """Shipments (critical) and returns (warning) dated before their order's order_date."""
    orders = frames.get("sales_orders")
    if orders is None or not {"order_id", "order_date"} <= set(orders.columns):
        return []
    ordered = (pd.DataFrame({"order_id": as_text(orders["order_id"]),
                             "order_date": cast_series(orders["order_date"], "date")})
               .groupby("order_id")["order_date"].min())
    out = []
    for name, (column, severity) in ORDER_DATES.items():
        frame = frames.get(name)
        if frame is None or not {"order_id", column} <= set(frame.columns):
            continue
        when = cast_series(frame[column], "date")
        placed = as_text(frame["order_id"]).map(ordered)
        bad = (when < placed).to_numpy()  # NaT on either side compares False
        out.append(finding(name, NOT_BEFORE_ORDER, column, severity, frame,
                           contract_for(name).key, bad,
                           f"{column} before the order's order_date in sales_orders"))
    return out


def freshness_findings(frames: Mapping[str, pd.DataFrame], period: str,
                       tolerance_days: int) -> list[Finding]:
    """Fact datasets must have rows dated within `period` (sales orders and inventory
    critical, the others a warning); empty tables are the suites' row-count check."""
    out = []
    start = parse_period(period)
    limit = period_end(period) + pd.Timedelta(days=tolerance_days)
    for name, frame in frames.items():
        contract = CONTRACTS[name]
        col = contract.date_column
        if contract.kind != "fact" or col not in frame.columns or frame.empty:
            continue
        dates = cast_series(frame[col], "date")
        newest = dates[dates <= limit].max()
        stale = pd.isna(newest) or newest < start
        detail = (f"newest {col} is {newest:%Y-%m-%d}, before {period}"
                  if stale and not pd.isna(newest) else
                  f"no {col} on or before {period}" if stale else "")
        severity: Severity = "critical" if name in STALE_CRITICAL else "warning"
        out.append(finding(name, FRESH, col, severity, frame, contract.key, None, detail,
                           failed=stale))
    return out


def volume_findings(frames: Mapping[str, pd.DataFrame], previous: Mapping[str, int] | None,
                    band_pct: float) -> list[Finding]:
    """Row counts within +/- band_pct of the previous successful run (facts critical);
    nothing on a first run or for a dataset that had no rows before."""
    out = []
    for name, frame in frames.items():
        before = int((previous or {}).get(name) or 0)
        if before <= 0:
            continue
        low, high = before * (1 - band_pct / 100), before * (1 + band_pct / 100)
        now = len(frame)
        severity: Severity = "critical" if CONTRACTS[name].kind == "fact" else "warning"
        detail = (f"{now:,} rows against {before:,} in the previous successful run "
                  f"(allowed {low:,.0f}-{high:,.0f}, +/-{band_pct:g}%)")
        out.append(finding(name, NEAR_PREVIOUS, None, severity, frame, (), None, detail,
                           failed=not low <= now <= high))
    return out
