"""Finished-goods stock, production, maintenance and shipping plans, channel stock.

Stock at each distribution centre follows stock(t) = stock(t-1) + production(t)
- shipments(t) and never goes negative. Planners replenish toward a cover of
1-1.6 months of recent demand; for the planted category they keep producing at
the pre-jump level while demand is up by PLANTED_JUMP, so its stock runs low and
its future production plan stays below demand. Every other category's plan follows
its demand (same months a year earlier, scaled to the recent level).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.demo.commerce import CHANNEL_INVENTORY_MONTHS, Totals
from sop.demo.masters import JUMP_MONTHS, Company
from sop.demo.timeline import HISTORY_MONTHS as T
from sop.demo.timeline import as_dates, rng

STOCK_MONTHS = 12  # month-end snapshots kept
FUTURE_MONTHS = 8  # months of planned production computed after `end`


def finished_inventory(co: Company, totals: Totals) -> tuple[pd.DataFrame, np.ndarray]:
    """Month-end stock per distribution centre x sku (last 12 months) and production [12, sku]."""
    g = rng(co.seed, 30)
    ordered, shipped = totals.ordered, totals.shipped
    n_r, n_s = ordered.shape[1:]
    planted = co.sku_cat == co.planted
    t0 = T - STOCK_MONTHS
    expected = co.lam[:, :, co.sku_cat] * co.share[:, None, :]  # [month, region, sku]
    cover = g.uniform(1.0, 1.6, (n_r, n_s))
    # the planted category's production stays at its pre-jump total, split by the current mix,
    # and below that while planners draw its stock down (to ~0.25 month by the end)
    in_cat = ordered[:, :, planted]
    pre_jump = in_cat[T - JUMP_MONTHS - 12: T - JUMP_MONTHS].sum(axis=2).mean(axis=0)  # [region]
    glide = np.linspace(0.9, 0.25, JUMP_MONTHS)
    stock = np.rint(cover * ordered[t0 - 3: t0].mean(axis=0))
    inbound = np.zeros((STOCK_MONTHS, n_r, n_s))
    on_hand = np.zeros((STOCK_MONTHS, n_r, n_s))
    for i, t in enumerate(range(t0, T)):  # 12 months, vectorised over region x sku
        # planners' forecast: the last 3 months' level, seasonally adjusted
        fc = ordered[t - 3: t].sum(axis=0) * np.divide(
            expected[t], expected[t - 3: t].sum(axis=0),
            out=np.zeros((n_r, n_s)), where=expected[t - 3: t].sum(axis=0) > 0)
        want = (fc + 0.5 * (cover * fc - stock)) * g.uniform(0.95, 1.05, (n_r, n_s))
        if t >= T - JUMP_MONTHS:
            mix = in_cat[t] / np.maximum(in_cat[t].sum(axis=1, keepdims=True), 1.0)
            path = shipped[t] + glide[t - (T - JUMP_MONTHS)] * ordered[t] - stock
            want[:, planted] = np.minimum(pre_jump[:, None] * mix, path[:, planted])
        need = shipped[t] - stock + 0.03 * fc
        inbound[i] = np.rint(np.maximum(np.maximum(want, need), 0.0))
        stock = stock + inbound[i] - shipped[t]
        on_hand[i] = stock
    in_transit = np.rint(inbound * g.uniform(0.05, 0.2, inbound.shape))
    allocated = np.minimum(on_hand, totals.backlog[t0:])
    demand3 = np.stack([ordered[t - 2: t + 1].mean(axis=0) for t in range(t0, T)])
    safety = np.rint(0.5 * demand3)
    t, r, s = np.nonzero((on_hand + in_transit + safety + allocated) > 0)
    frame = pd.DataFrame({
        "snapshot_date": as_dates(co.cal.month_start[t0 + 1 + t] - 1),
        "warehouse_id": co.dc_ids[r], "item_id": co.sku_ids[s], "item_type": "finished",
        "on_hand": on_hand[t, r, s], "allocated": allocated[t, r, s],
        "in_transit": in_transit[t, r, s], "safety_stock": safety[t, r, s],
    })
    return frame, inbound.sum(axis=1)


def future_demand(co: Company, totals: Totals) -> tuple[np.ndarray, np.ndarray]:
    """Planned production per future month x sku, and the regions' share of each sku."""
    g = rng(co.seed, 31)
    nat = totals.ordered.sum(axis=1)  # [month, sku]
    n_c = len(co.categories)
    by_cat = np.zeros((T, n_c))
    np.add.at(by_cat.T, co.sku_cat, nat.T)
    recent = by_cat[T - 3:].sum(axis=0)
    # seasonality and trend from the (noise-free) demand model, level from recent actuals
    lam = co.lam.sum(axis=1)  # [month, category] expected lines
    per_line = by_cat[T - 6:].sum(axis=0) / lam[T - 6:].sum(axis=0)
    growth = lam[T - 12:].sum(axis=0) / lam[T - 24: T - 12].sum(axis=0)
    k = np.arange(FUTURE_MONTHS)
    fc_cat = lam[T - 12 + k % 12] * per_line * growth
    fc_cat[:, co.planted] = by_cat[T - JUMP_MONTHS - 12: T - JUMP_MONTHS, co.planted].mean()
    share = nat[T - 3:].sum(axis=0) / np.maximum(recent[co.sku_cat], 1.0)
    fc = fc_cat[:, co.sku_cat] * share * g.uniform(1.0, 1.04, len(share))
    reg = totals.ordered[T - 3:].sum(axis=0)
    return fc, reg / np.maximum(reg.sum(axis=0), 1.0)


def _future_month(co: Company, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([co.cal.future_month_start(k) for k in range(FUTURE_MONTHS + 1)])
    k = np.searchsorted(starts, days, side="right") - 1
    return k, np.diff(starts)[k]


def maintenance_plan(co: Company, n_lines: int) -> pd.DataFrame:
    """A shutdown (100%, 1-2 weeks) and a partial stop (30%) in the next 3 months, none on
    the planted category's line, plus two past preventive stops."""
    g = rng(co.seed, 32)
    f = co.cal.next_monday
    start = [f + 7 * int(g.integers(4, 10)), f + 7 * int(g.integers(4, 12)) + int(g.integers(0, 3))]
    end = [start[0] + 7 * int(g.integers(1, 3)) - 1, start[1] + int(g.integers(3, 6)) - 1]
    lines = [1, 2 % n_lines]
    for i in range(2):
        start.append(f - 7 * int(g.integers(5 + 20 * i, 25 + 20 * i)))
        end.append(start[-1] + 1)
        lines.append(int(g.integers(0, n_lines)))
    return pd.DataFrame({
        "line_id": [f"L{i + 1}" for i in lines], "start_date": as_dates(np.array(start)),
        "end_date": as_dates(np.array(end)),
        "kind": ["shutdown", "partial", "preventive", "preventive"],
        "capacity_lost_pct": [100.0, 30.0, 50.0, 50.0],
    })


def production_plan(co: Company, produced: np.ndarray, fc: np.ndarray,
                    maintenance: pd.DataFrame, n_lines: int) -> pd.DataFrame:
    """Weekly plan per line x sku, 13 weeks back (what was produced) to 26 weeks ahead.

    Planned quantities are before maintenance; the capacity a future stop takes away
    is built ahead in the three weeks before it.
    """
    f = co.cal.next_monday
    weeks = f + 7 * np.arange(-13, 26)
    past = weeks < f
    m = co.cal.month_of(weeks[past])
    qty = np.zeros((len(weeks), co.n_skus))
    qty[past] = produced[m - (T - STOCK_MONTHS)] * (7.0 / np.diff(co.cal.month_start)[m])[:, None]
    k, days = _future_month(co, weeks[~past])
    qty[~past] = fc[k] * (7.0 / days)[:, None]
    line_of_sku = co.sku_cat % n_lines
    for mt in maintenance.itertuples(index=False):  # a handful of stops
        s_day = int(mt.start_date.value // 86_400_000_000_000)
        e_day = int(mt.end_date.value // 86_400_000_000_000)
        if s_day < f:
            continue
        overlap = np.clip(np.minimum(weeks + 6, e_day) - np.maximum(weeks, s_day) + 1, 0, 7)
        lost = (overlap / 7.0 * mt.capacity_lost_pct / 100.0)[:, None] * qty
        on_line = line_of_sku == int(mt.line_id[1:]) - 1
        before = (weeks < s_day) & (weeks >= s_day - 21)
        qty[np.ix_(before, on_line)] += lost[:, on_line].sum(axis=0) / before.sum()
    qty = np.rint(qty)
    w, s = np.nonzero(qty > 0)
    return pd.DataFrame({
        "plan_week": as_dates(weeks[w]), "line_id": [f"L{i + 1}" for i in line_of_sku[s]],
        "sku": co.sku_ids[s], "planned_qty": qty[w, s],
    })


def shipping_plan(co: Company, totals: Totals, fc: np.ndarray, reg: np.ndarray) -> pd.DataFrame:
    """Next 8 weeks per distribution centre x sku: the regions' expected demand."""
    g = rng(co.seed, 33)
    weeks = co.cal.next_monday + 7 * np.arange(8)
    k, days = _future_month(co, weeks)
    monthly = fc[k][:, None, :] * reg[None]  # [week, region, sku]
    planted = co.sku_cat == co.planted
    monthly[:, :, planted] = totals.ordered[T - 3:, :, planted].mean(axis=0)[None]
    qty = np.rint(monthly * (7.0 / days)[:, None, None] * g.uniform(0.97, 1.03, monthly.shape))
    w, r, s = np.nonzero(qty > 0)
    return pd.DataFrame({
        "ship_week": as_dates(weeks[w]), "warehouse_id": co.dc_ids[r],
        "region": np.array([x.name for x in co.regions], dtype=object)[r],
        "sku": co.sku_ids[s], "qty": qty[w, r, s],
    })


def channel_inventory(co: Company, totals: Totals) -> pd.DataFrame:
    """Distributors' monthly sell-out and stock per sku they buy (last 24 months)."""
    g = rng(co.seed, 34)
    cols = ["period", "customer_id", "sku", "sell_out_qty", "stock_qty"]
    if not totals.distributor:
        return pd.DataFrame(columns=cols)
    buys = pd.concat(totals.distributor).groupby(["customer", "sku", "month"])["qty"].sum()
    n0 = T - CHANNEL_INVENTORY_MONTHS - 1
    grid = buys.unstack("month").reindex(columns=range(n0, T)).fillna(0.0)
    p = grid.to_numpy()
    stock = np.rint(p[:, 0] * g.uniform(0.8, 1.2, len(p)))
    sell, held = np.zeros_like(p), np.zeros_like(p)
    for i in range(1, p.shape[1]):  # 24 months, vectorised over customer x sku
        want = np.rint((0.6 * p[:, i - 1] + 0.4 * p[:, i]) * g.uniform(0.85, 1.1, len(p)))
        sell[:, i] = np.minimum(want, stock + p[:, i])
        stock = stock + p[:, i] - sell[:, i]
        held[:, i] = stock
    pair, i = np.nonzero((held[:, 1:] + sell[:, 1:]) > 0)
    i = i + 1
    cust = grid.index.get_level_values("customer").to_numpy()[pair]
    sku = grid.index.get_level_values("sku").to_numpy()[pair]
    frame = pd.DataFrame({
        "period": as_dates(co.cal.month_start[n0 + i]), "customer_id": co.cust_ids[cust],
        "sku": co.sku_ids[sku], "sell_out_qty": sell[pair, i], "stock_qty": held[pair, i],
    })
    return frame.sort_values(["period", "customer_id", "sku"], ignore_index=True)
