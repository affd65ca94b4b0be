"""From one month's order lines to sales_orders, shipments, returns and invoices.

An order is one customer's lines of one day. Orders ship whole from the region's
distribution centre 1-10 days after the order date; a few lines ship in two parts.
Orders of the last three weeks may still be open at the end of the history, a
small share of lines is cancelled. `Totals` accumulates what the supply side and
the channel need (ordered, shipped and backlog quantities), chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop.demo import catalog as cat
from sop.demo.demand import Lines, Promotions
from sop.demo.masters import Company
from sop.demo.timeline import HISTORY_MONTHS, as_dates, rng

CHANNEL_INVENTORY_MONTHS = 24
LAG_P = 0.7 ** np.arange(10) / (0.7 ** np.arange(10)).sum()  # ship lag 1..10 days


@dataclass
class Totals:
    """Quantities by month x region x sku, summed over all chunks."""
    ordered: np.ndarray  # by order month, not cancelled
    shipped: np.ndarray  # by ship month
    backlog: np.ndarray  # ordered, not yet shipped at the month's end
    distributor: list[pd.DataFrame] = field(default_factory=list)  # month, customer, sku, qty

    @classmethod
    def empty(cls, co: Company) -> Totals:
        shape = (HISTORY_MONTHS, len(co.regions), co.n_skus)
        return cls(np.zeros(shape), np.zeros(shape), np.zeros(shape))

    def add(self, target: np.ndarray, month: np.ndarray, region: np.ndarray, sku: np.ndarray,
            qty: np.ndarray) -> None:
        _, n_r, n_s = target.shape
        flat = (month * n_r + region) * n_s + sku
        target += np.bincount(flat, qty, minlength=target.size).reshape(target.shape)


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.char.mod(f"{prefix}%06d", numbers).astype(object)


def month_facts(co: Company, promos: Promotions, m: int, lines: Lines,
                totals: Totals) -> dict[str, pd.DataFrame]:
    g = rng(co.seed, 21, m)
    cal = co.cal
    end_day, month_end = cal.end_day, int(cal.month_start[m + 1]) - 1
    tag = cal.labels[m].replace("-", "")
    lines = lines.take(np.lexsort((lines.sku, lines.customer, lines.day)))
    same = ((lines.day[1:] == lines.day[:-1]) & (lines.customer[1:] == lines.customer[:-1])
            & (lines.sku[1:] == lines.sku[:-1]))
    first = np.r_[True, ~same]  # one line per sku and order: same-day repeats are merged
    qty = np.bincount(np.cumsum(first) - 1, lines.qty)
    lines = lines.take(np.flatnonzero(first))
    lines.qty = qty
    n = len(lines.day)
    new = np.r_[True, (lines.day[1:] != lines.day[:-1]) | (lines.customer[1:] != lines.customer[:-1])]
    order = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    n_orders = len(starts)
    line_no = np.arange(n) - starts[order] + 1
    order_ids = _ids(f"SO{tag}", np.arange(1, n_orders + 1))
    suffix = np.char.mod(f"{tag}%06d", np.arange(1, n_orders + 1)).astype(object)

    o_day = lines.day[starts]
    lag = 1 + g.choice(10, size=n_orders, p=LAG_P)
    o_ship = o_day + lag
    held = (o_day >= end_day - 20) & (g.random(n_orders) < 0.35)
    o_shipped = ~held & (o_ship <= end_day)
    requested = o_day + g.integers(3, 22, n_orders)
    cancelled = g.random(n) < 0.012
    shipped = o_shipped[order] & ~cancelled
    status = np.where(cancelled, "cancelled", np.where(shipped, "shipped", "open")).astype(object)
    sales = pd.DataFrame({
        "order_id": order_ids[order], "line_no": line_no, "order_date": as_dates(lines.day),
        "requested_date": as_dates(requested[order]), "customer_id": co.cust_ids[lines.customer],
        "sku": co.sku_ids[lines.sku], "qty": lines.qty, "unit_price": lines.unit_price,
        "status": status, "promo_id": np.where(lines.promo >= 0, promos.ids[lines.promo], None),
    })

    # shipments: one per shipped order, a second one for lines shipped in two parts
    room = np.minimum(10 - lag, end_day - o_ship)
    o_second = o_ship + 1 + (g.random(n_orders) * np.minimum(5, np.maximum(room, 1))).astype(int)
    split = shipped & (lines.qty >= 2) & (room[order] >= 1) & (g.random(n) < 0.06)
    first_qty = np.where(split, np.clip(np.floor(lines.qty * g.uniform(0.4, 0.8, n)), 1,
                                        lines.qty - 1), lines.qty)
    s1, s2 = np.flatnonzero(shipped), np.flatnonzero(split)
    ship_ids = np.concatenate([("SH" + suffix)[order[s1]], ("SH" + suffix + "-2")[order[s2]]])
    ship_day = np.concatenate([o_ship[order[s1]], o_second[order[s2]]])
    both = np.concatenate([s1, s2])
    ship_qty = np.concatenate([first_qty[s1], (lines.qty - first_qty)[s2]])
    shipments = pd.DataFrame({
        "shipment_id": ship_ids, "line_no": line_no[both], "order_id": order_ids[order[both]],
        "ship_date": as_dates(ship_day), "sku": co.sku_ids[lines.sku[both]], "qty": ship_qty,
        "warehouse_id": co.dc_ids[lines.region[both]],
    })

    # returns: 1-3% of shipped lines by category, after the last shipment, up to the end
    rate = rng(co.seed, 6).uniform(0.01, 0.03, len(co.categories))
    ret = s1[g.random(len(s1)) < rate[lines.category[s1]]]
    last_ship = np.where(split[ret], o_second[order[ret]], o_ship[order[ret]])
    r_day = last_ship + g.integers(2, 46, len(ret))
    r_qty = np.minimum(lines.qty[ret], 1 + np.floor(g.beta(1.2, 4.0, len(ret)) * lines.qty[ret]))
    reason = g.choice(len(cat.RETURN_REASONS), size=len(ret), p=cat.RETURN_REASON_P)
    keep = r_day <= end_day
    ret, r_day, r_qty, reason = ret[keep], r_day[keep], r_qty[keep], reason[keep]
    returns = pd.DataFrame({
        "return_id": ("RT" + suffix)[order[ret]] + "-" + line_no[ret].astype(str).astype(object),
        "order_id": order_ids[order[ret]], "sku": co.sku_ids[lines.sku[ret]], "qty": r_qty,
        "return_date": as_dates(r_day),
        "reason": np.array(cat.RETURN_REASONS, dtype=object)[reason],
    })

    # invoices: one per shipped order, dated at its (first) shipment
    amount = np.round(np.bincount(order[s1], (lines.qty * lines.unit_price)[s1],
                                  minlength=n_orders), 2)
    inv = np.flatnonzero(np.bincount(order[s1], minlength=n_orders) > 0)
    cust = lines.customer[starts[inv]]
    inv_day = o_ship[inv]
    due = inv_day + np.array(cat.CHANNEL_TERMS)[co.cust_channel[cust]]
    delay = np.where(co.cust_late[cust], g.integers(5, 41, len(inv)),
                     np.clip(np.rint(g.normal(-2.0, 5.0, len(inv))), -20, 15)).astype(int)
    paid_day = np.maximum(due + delay, inv_day + 1)
    u = np.where(inv_day > end_day - 120, g.random(len(inv)), 1.0)  # older disputes are settled
    paid = (paid_day <= end_day) & (u >= 0.015)
    inv_status = np.where(u < 0.012, "disputed", np.where(u < 0.015, "refused",
                                                          np.where(paid, "paid", "open")))
    invoices = pd.DataFrame({
        "invoice_id": ("IN" + suffix)[inv], "customer_id": co.cust_ids[cust],
        "order_id": order_ids[inv], "invoice_date": as_dates(inv_day), "due_date": as_dates(due),
        "amount": amount[inv], "paid_amount": np.where(paid, amount[inv], 0.0),
        "status": inv_status.astype(object),
        "paid_date": as_dates(np.where(paid, paid_day, np.nan)),
    })

    live = ~cancelled
    totals.add(totals.ordered, np.full(live.sum(), m), lines.region[live], lines.sku[live],
               lines.qty[live])
    totals.add(totals.shipped, cal.month_of(ship_day), lines.region[both], lines.sku[both],
               ship_qty)
    waiting = live & ((status == "open") | (o_ship[order] > month_end))
    totals.add(totals.backlog, np.full(waiting.sum(), m), lines.region[waiting],
               lines.sku[waiting], lines.qty[waiting])
    still_open = live & (status == "open") & (m < HISTORY_MONTHS - 1)
    totals.add(totals.backlog, np.full(still_open.sum(), HISTORY_MONTHS - 1),
               lines.region[still_open], lines.sku[still_open], lines.qty[still_open])
    dist = s1[co.cust_channel[lines.customer[s1]] == cat.CHANNELS.index("distributor")]
    if m >= HISTORY_MONTHS - CHANNEL_INVENTORY_MONTHS - 1 and len(dist):
        frame = pd.DataFrame({"month": cal.month_of(o_ship[order[dist]]),
                              "customer": lines.customer[dist], "sku": lines.sku[dist],
                              "qty": lines.qty[dist]})
        totals.distributor.append(frame.groupby(["month", "customer", "sku"], as_index=False)
                                  ["qty"].sum())
    return {"sales_orders": sales, "shipments": shipments, "returns": returns,
            "invoices": invoices}
