"""Validation wall time: the full sales_orders GX suite against the same checks in plain
pandas, on the same generated frame, in one run.

    python -m bench.validation_speed [--rows 1000000] [--repeat 3]

The frame looks like an extract from SQLite (dates as ISO text, numbers as floats).
The GX import is timed on its own (it happens once per run, not per dataset); each
side is then timed `--repeat` times and the best run is reported, on a clean frame
and on one with 0.1% bad rows (the GX path then validates the failed expectations a
second time to collect the bad rows).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sop.contracts import contract_for

LATEST = pd.Timestamp("2026-11-07")
STATUSES = ["open", "shipped", "cancelled"]


def sales_orders(rows: int, seed: int = 7) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    lines = g.integers(1, 6, rows)
    order_no = np.cumsum(lines == 1)
    day = np.sort(g.integers(0, 1460, rows)) + np.datetime64("2022-11-01")
    return pd.DataFrame({
        "order_id": np.char.mod("SO%08d", order_no).astype(object),
        "line_no": np.arange(rows) - np.maximum.accumulate(
            np.where(lines == 1, np.arange(rows), 0)) + 1,
        "order_date": np.datetime_as_string(day).astype(object),
        "requested_date": np.datetime_as_string(day + g.integers(3, 22, rows)).astype(object),
        "customer_id": np.char.mod("C%05d", g.integers(1, 800, rows)).astype(object),
        "sku": np.char.mod("SKU-%04d", g.integers(1, 2000, rows)).astype(object),
        "qty": g.integers(1, 400, rows).astype(float),
        "unit_price": np.round(g.uniform(5, 200, rows), 2),
        "status": np.array(STATUSES, dtype=object)[g.integers(0, 3, rows)],
        "promo_id": np.where(g.random(rows) < 0.15, "PR00001", None).astype(object),
    })


def broken(frame: pd.DataFrame, share: float = 0.001, seed: int = 8) -> pd.DataFrame:
    out = frame.copy()
    rows = np.random.default_rng(seed).choice(len(out), int(len(out) * share), replace=False)
    out.loc[rows, "qty"] = -1.0
    return out


def pandas_checks(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The sales_orders suite's checks by hand: positions of the bad rows per check."""
    contract = contract_for("sales_orders")
    bad: dict[str, np.ndarray] = {}
    missing = [c for c in contract.column_names if c not in frame.columns]
    bad["columns present"] = np.array(missing)
    typed = {}
    for col in contract.columns:
        raw = frame[col.name]
        if col.type == "date":
            typed[col.name] = pd.to_datetime(raw, errors="coerce")
        elif col.type in ("number", "int"):
            num = pd.to_numeric(raw, errors="coerce")
            typed[col.name] = num.where(num == num.round()) if col.type == "int" else num
        if col.type != "string":
            bad[f"castable {col.name}"] = np.flatnonzero(raw.notna() & typed[col.name].isna())
        if not col.nullable:
            bad[f"not null {col.name}"] = np.flatnonzero(raw.isna())
    keys = frame[list(contract.key)]
    bad["key unique"] = np.flatnonzero(keys.duplicated(keep=False).to_numpy())
    bad["not empty"] = np.array([]) if len(frame) else np.array([0])
    bad["line_no >= 1"] = np.flatnonzero(typed["line_no"] < 1)
    bad["qty > 0"] = np.flatnonzero(typed["qty"] <= 0)
    bad["unit_price >= 0"] = np.flatnonzero(typed["unit_price"] < 0)
    status = frame["status"]
    bad["status in set"] = np.flatnonzero(status.notna() & ~status.isin(STATUSES))
    od = typed["order_date"]
    bad["order_date in range"] = np.flatnonzero(
        od.notna() & ((od < pd.Timestamp("1990-01-01")) | (od > LATEST)))
    rd = typed["requested_date"]
    bad["requested >= ordered"] = np.flatnonzero(rd.notna() & od.notna() & (rd < od))
    return bad


def best_of(repeat: int, fn) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.validation_speed")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from sop.quality.suites import gx_module, load_suites, suite_findings

    start = time.perf_counter()
    gx_module()
    gx_import = time.perf_counter() - start
    suites = load_suites()
    params = {"latest_event_date": LATEST.isoformat()}
    clean = sales_orders(args.rows)
    dirty = broken(clean)
    n_exp = len(suites["sales_orders"]["expectations"])
    print(f"sales_orders: {len(clean):,} rows, {n_exp} expectations; "
          f"GX import (once per run) {gx_import:.2f} s; best of {args.repeat}")
    for label, frame in (("clean", clean), ("0.1% bad qty", dirty)):
        t_pd, bad = best_of(args.repeat, lambda f=frame: pandas_checks(f))
        t_gx, found = best_of(args.repeat,
                              lambda f=frame: suite_findings({"sales_orders": f}, suites, params))
        gx_bad = sum(f.result.unexpected_count for f in found if not f.result.success)
        pd_bad = sum(len(v) for v in bad.values())
        assert gx_bad == pd_bad, f"GX found {gx_bad} bad rows, pandas {pd_bad}"
        print(f"  {label:>13}: GX suite {t_gx:6.2f} s | plain pandas {t_pd:6.2f} s | "
              f"ratio {t_gx / t_pd:4.1f}x | bad rows found {gx_bad:,}")


if __name__ == "__main__":
    main()
