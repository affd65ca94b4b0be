"""Promotions and the order lines of one month, sampled from the demand model.

Each month's lines are drawn independently (their own random stream), so the
fact tables can be produced month by month with bounded memory. A line gets a
day (weekdays busy, weekends quiet, promotion days lifted), a sku by its share
of the category that month, a customer among those of the region that buy the
sku, a quantity and a price (list price less the customer's and the promotion's
discount).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.demo import catalog as cat
from sop.demo.masters import QTY_SIGMA, Company, grouped_cdf, pick
from sop.demo.timeline import HISTORY_MONTHS, as_dates, rng, weekday

PROMO_KIND_LABEL = {"price_off": "price off", "bundle": "bundle deal", "display": "display"}


@dataclass
class Promotions:
    frame: pd.DataFrame
    ids: np.ndarray  # object, promo_id by index
    uplift: np.ndarray
    disc: np.ndarray
    pmap: np.ndarray  # [region, category, history day] -> promotion index or -1


def make_promotions(co: Company) -> Promotions:
    """Three or four promotions a year per region x category, 1-3 weeks each, none overlapping
    (at most one per calendar quarter); the calendar runs two quarters past `end`."""
    g = rng(co.seed, 5)
    cal = co.cal
    first_q = pd.Period(cal.labels[0], "M").asfreq("Q")
    last_q = pd.Period(cal.end, "M").asfreq("Q") + 2
    quarters = pd.period_range(first_q, last_q, freq="Q")
    q_start = np.array([pd.Timestamp(q.start_time).value // 86_400_000_000_000 for q in quarters])
    q_len = np.array([q.end_time.dayofyear - q.start_time.dayofyear + 1 for q in quarters])
    n_r, n_c = len(co.regions), len(co.categories)
    qi, r, c = (a.ravel() for a in np.meshgrid(np.arange(len(quarters)), np.arange(n_r),
                                               np.arange(n_c), indexing="ij"))
    keep = g.random(len(qi)) < 0.8
    duration = g.integers(7, 22, len(qi))
    start = q_start[qi] + (g.random(len(qi)) * (q_len[qi] - duration + 1)).astype(np.int64)
    end = start + duration - 1
    kind = g.choice(len(cat.PROMO_KINDS), size=len(qi), p=cat.PROMO_KIND_P)
    lo, hi = np.array(cat.PROMO_DISCOUNT).T
    disc = np.round(g.uniform(lo[kind], hi[kind]), 3)
    uplift = np.round(g.uniform(0.15, 0.40, len(qi)), 3)
    budget_share = g.uniform(0.06, 0.14, len(qi))
    keep &= end >= cal.first_day
    order = np.lexsort((c[keep], r[keep], start[keep]))
    qi, r, c, start, end, kind, disc, uplift, budget_share = (
        a[keep][order] for a in (qi, r, c, start, end, kind, disc, uplift, budget_share))

    m = np.clip(cal.month_of(start), 0, HISTORY_MONTHS - 1)
    days_m = np.diff(cal.month_start)[m]
    avg_price = np.bincount(co.sku_cat, co.price) / np.bincount(co.sku_cat)
    line_value = co.base_q * avg_price
    expected = co.lam[m, r, c] / days_m * (end - start + 1) * (1 + uplift) * line_value[c]
    budget = np.maximum(500.0, np.round(expected * budget_share, -2))
    ids = np.array([f"PR{i + 1:05d}" for i in range(len(r))], dtype=object)
    kinds = np.array(cat.PROMO_KINDS, dtype=object)[kind]
    names = [f"{co.categories[ci].name} {PROMO_KIND_LABEL[k]} {co.regions[ri].code} {quarters[q]}"
             for ci, k, ri, q in zip(c, kinds, r, qi, strict=True)]
    frame = pd.DataFrame({
        "promo_id": ids, "name": names, "start_date": as_dates(start), "end_date": as_dates(end),
        "region": [co.regions[i].name for i in r], "category": [co.categories[i].name for i in c],
        "kind": kinds, "budget": budget,
    })

    n_days = cal.end_day - cal.first_day + 1
    pmap = np.full((n_r, n_c, n_days), -1, dtype=np.int32)
    lo_d = np.clip(start - cal.first_day, 0, n_days)
    hi_d = np.clip(end - cal.first_day + 1, 0, n_days)
    length = hi_d - lo_d
    idx = np.repeat(np.arange(len(r)), length)
    day = np.repeat(lo_d, length) + (np.arange(length.sum()) - np.repeat(np.cumsum(length) - length,
                                                                          length))
    pmap[r[idx], c[idx], day] = idx
    return Promotions(frame=frame, ids=ids, uplift=uplift, disc=disc, pmap=pmap)


@dataclass
class Lines:
    """Order lines of one month as parallel arrays (indices into the masters)."""
    day: np.ndarray
    region: np.ndarray
    category: np.ndarray
    sku: np.ndarray
    customer: np.ndarray
    qty: np.ndarray
    unit_price: np.ndarray
    promo: np.ndarray  # -1: no promotion

    def take(self, order: np.ndarray) -> Lines:
        return Lines(*(getattr(self, f)[order] for f in self.__dataclass_fields__))


def month_lines(co: Company, promos: Promotions, m: int) -> Lines:
    g = rng(co.seed, 20, m)
    cal = co.cal
    n_r, n_c = len(co.regions), len(co.categories)
    d0, nd = int(cal.month_start[m]), cal.days_in(m)
    days = np.arange(d0, d0 + nd)
    wk = np.where(weekday(days) >= 5, 0.15, 1.0)
    pm = promos.pmap[:, :, d0 - cal.first_day: d0 - cal.first_day + nd]
    w = wk * (1.0 + np.where(pm >= 0, promos.uplift[pm], 0.0))
    n = g.poisson(co.lam[m] * w.sum(axis=2) / wk.sum())
    cells = n_r * n_c
    cell = np.repeat(np.arange(cells), n.ravel())
    day_cdf = grouped_cdf(np.repeat(np.arange(cells), nd), w.ravel())
    day_idx = pick(day_cdf, cell, g) - cell * nd
    region, category = cell // n_c, cell % n_c

    sku_cdf = grouped_cdf(co.sku_cat, co.share[m])
    sku = pick(sku_cdf, category, g)
    customer = co.carrier_cust[pick(co.carrier_cum, region * co.n_skus + sku, g)]

    channel = co.cust_channel[customer]
    mean = co.base_q[category] * np.array(cat.CHANNEL_QTY)[channel]
    noise = g.lognormal(-QTY_SIGMA ** 2 / 2, QTY_SIGMA, len(cell))
    qty = np.maximum(1.0, np.rint(mean * noise))
    promo = pm[region, category, day_idx].astype(np.int64)
    disc = co.cust_disc[customer] + np.where(promo >= 0, promos.disc[promo], 0.0)
    unit_price = np.round(co.price[sku] * (1.0 - disc), 2)
    return Lines(day=d0 + day_idx, region=region, category=category, sku=sku,
                 customer=customer, qty=qty, unit_price=unit_price, promo=promo)
