"""Master data of the demo company: scales, products, customers, warehouses.

`build_company` also lays out the demand model every fact table is sampled from:
expected order lines per month x region x category (`lam`, shaped by the real
retail turnover), each sku's share of its category per month (launches ramp up,
discontinued products fade to zero) and which customers of a region buy a sku.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.demo import catalog as cat
from sop.demo.timeline import HISTORY_MONTHS, Calendar, as_dates, make_calendar, retail_cube, rng

# order_lines: lines drawn; repeats of a sku by one customer on one day merge into one line,
# so about 80% remain (small ~28k, medium ~4.8M, large ~20M).
SCALES: dict[str, dict[str, int]] = {
    "small": {"regions": 4, "categories": 5, "skus": 15, "customers": 24,
              "order_lines": 36_000, "plants": 1, "lines": 3, "suppliers": 5},
    "medium": {"regions": 8, "categories": 15, "skus": 600, "customers": 400,
               "order_lines": 6_600_000, "plants": 2, "lines": 6, "suppliers": 12},
    "large": {"regions": 8, "categories": 15, "skus": 2000, "customers": 800,
              "order_lines": 24_500_000, "plants": 2, "lines": 8, "suppliers": 20},
}
PLANTED_CATEGORY: str = cat.CATEGORIES[0].name
PLANTED_JUMP: float = 1.5
JUMP_MONTHS = 3  # the jump covers the last 3 months of history
QTY_SIGMA = 0.4  # log-normal spread of an order line's quantity


@dataclass
class Company:
    seed: int
    scale: str
    params: dict[str, int]
    cal: Calendar
    regions: tuple[cat.Region, ...]
    categories: tuple[cat.Category, ...]
    products: pd.DataFrame
    sku_ids: np.ndarray  # object
    sku_cat: np.ndarray  # category index per sku
    price: np.ndarray
    base_q: np.ndarray  # typical line quantity per category
    share: np.ndarray  # [month, sku] share of its category's lines
    customers: pd.DataFrame
    cust_ids: np.ndarray
    cust_region: np.ndarray
    cust_channel: np.ndarray
    cust_disc: np.ndarray
    cust_late: np.ndarray  # pays late
    carrier_cust: np.ndarray  # customers buying each (region, sku), grouped by r * S + s
    carrier_cum: np.ndarray  # group + cumulative share within the group
    lam: np.ndarray  # [month, region, category] expected order lines before promotions
    warehouses: pd.DataFrame
    dc_ids: np.ndarray  # distribution centre per region
    plant_ids: tuple[str, ...]

    @property
    def planted(self) -> int:
        return 0  # PLANTED_CATEGORY is the first category of every scale

    @property
    def n_skus(self) -> int:
        return len(self.sku_ids)


def check_scale(scale: str) -> dict[str, int]:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return SCALES[scale]


def _largest_remainder(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    base = np.full(len(weights), minimum)
    rest = total - base.sum()
    raw = weights / weights.sum() * rest
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: rest - out.sum()]] += 1
    return base + out


def _products(cal: Calendar, cats, turnover: np.ndarray, n_skus: int, seed: int):
    g = rng(seed, 1)
    counts = _largest_remainder(np.sqrt(turnover.sum(axis=(0, 1))), n_skus, 3)
    sku_cat = np.repeat(np.arange(len(cats)), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    n = len(sku_cat)
    n_new, n_disc = max(2, round(0.05 * n)), max(1, round(0.03 * n))
    candidates = np.setdiff1d(np.arange(n), first)
    picked = g.permutation(candidates)[: n_new + n_disc]
    status = np.full(n, "active", dtype=object)
    status[picked[:n_new]] = "new"
    status[picked[n_new:]] = "discontinued"
    launch_m = np.where(g.random(n) < 0.2, g.integers(1, 31, n), -100)  # -100: before history
    launch_m[first] = -100  # every category has a product on sale since before the history
    launch_m[status == "new"] = g.integers(HISTORY_MONTHS - 9, HISTORY_MONTHS - 1, n_new)
    launch_m[status == "discontinued"] = -100
    disc_m = np.where(status == "discontinued", g.integers(30, 43, n), 10_000)
    launch_day = np.where(launch_m >= 0, cal.month_start[np.maximum(launch_m, 0)],
                          cal.first_day - g.integers(60, 2900, n))
    months = np.arange(HISTORY_MONTHS)[:, None]
    life = np.where(months >= launch_m, 1 - np.exp(-(months - launch_m + 1) / 2.5), 0.0)
    life *= np.clip((disc_m - months) / 3.0, 0.0, 1.0)
    share = g.gamma(0.8, size=n) * (1.0 + (status == "new")) * life
    totals = np.zeros((HISTORY_MONTHS, len(cats)))
    np.add.at(totals.T, sku_cat, share.T)
    share = share / totals[:, sku_cat]
    price_level = np.array([c.price for c in cats])
    price = np.round(price_level[sku_cat] * g.lognormal(0.0, 0.35, n), 1) - 0.01
    cost = np.round(price * g.uniform(0.45, 0.7, n), 2)
    fams = [cats[c].families[g.integers(len(cats[c].families))] for c in sku_cat]
    letters = np.array(list("ABCDEFGHJKLMNPRSTVWXZ"))
    models = [f"{a}{b}-{k}" for a, b, k in zip(
        letters[g.integers(0, len(letters), n)], letters[g.integers(0, len(letters), n)],
        g.integers(100, 1000, n), strict=True)]
    idx_in_cat = np.arange(n) - first[sku_cat]
    sku_ids = np.array([f"{cats[c].code}-{i + 1:04d}" for c, i in zip(sku_cat, idx_in_cat,
                                                                       strict=True)], dtype=object)
    frame = pd.DataFrame({
        "sku": sku_ids, "name": [f"{f} {m}" for f, m in zip(fams, models, strict=True)],
        "category": [cats[c].name for c in sku_cat], "family": fams,
        "unit_cost": cost, "list_price": price, "status": status,
        "launch_date": as_dates(launch_day),
    })
    return frame, sku_ids, sku_cat, price, share


def _customers(regions, n_per: int, seed: int):
    g = rng(seed, 2)
    counts = _largest_remainder(np.array(cat.CHANNEL_SHARE), n_per, 1)
    channel = np.concatenate([g.permutation(np.repeat(np.arange(3), counts))
                              for _ in regions])
    region = np.repeat(np.arange(len(regions)), n_per)
    size = g.lognormal(0.0, 0.9, len(region))
    lo, hi = np.array(cat.CHANNEL_DISCOUNT).T
    disc = np.round(g.uniform(lo[channel], hi[channel]), 3)
    words = np.array(cat.CUSTOMER_WORDS, dtype=object)
    first = words[g.integers(0, len(words), len(region))]
    second = [cat.CHANNEL_WORDS[c][g.integers(len(cat.CHANNEL_WORDS[c]))] for c in channel]
    names = [f"{a} {b} {regions[r].code}" for a, b, r in zip(first, second, region, strict=True)]
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):  # master data: a few hundred rows at most
        seen[nm] = seen.get(nm, 0) + 1
        if seen[nm] > 1:
            names[i] = f"{nm} {seen[nm]}"
    return region, channel, size, disc, names


def _carriers(region_size: np.ndarray, n_regions: int, n_per: int, n_skus: int, seed: int):
    """Which customers of each region buy each sku, with their share of its lines."""
    g = rng(seed, 3)
    p = float(np.clip(9.0 / n_per, 0.25, 0.75))
    carry = g.random((n_regions, n_skus, n_per)) < p
    w = region_size.reshape(n_regions, n_per)
    none = ~carry.any(axis=2)
    rr, ss = np.nonzero(none)
    carry[rr, ss, np.argmax(w[rr], axis=1)] = True
    r, s, k = np.nonzero(carry)
    weight = w[r, k]
    group = r * n_skus + s
    total = np.bincount(group, weight, minlength=n_regions * n_skus)
    return r * n_per + k, grouped_cdf(group, weight), weight / total[group], group


def grouped_cdf(group: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """`group + cumulative share within the group` for entries sorted by group.

    Sampling entry j of group g with probability weight_j / sum(weights of g) is then
    `searchsorted(cdf, g + u, side="right")` for u uniform in [0, 1) (see `pick`).
    """
    total = np.bincount(group, weight)
    csum = np.cumsum(weight)
    first = np.r_[True, group[1:] != group[:-1]]
    offset = np.maximum.accumulate(np.where(first, csum - weight, 0.0))
    within = np.minimum((csum - offset) / np.where(total > 0, total, 1.0)[group], 1.0)
    within[within > 1.0 - 1e-9] = 1.0
    return group + within


def pick(cdf: np.ndarray, group: np.ndarray, g: np.random.Generator) -> np.ndarray:
    """Index into `cdf` of one weighted draw per element of `group` (see `grouped_cdf`)."""
    u = np.minimum(g.random(len(group)), 1.0 - 1e-9)
    return np.searchsorted(cdf, group + u, side="right")


def build_company(scale: str, seed: int, end: str) -> Company:
    params = check_scale(scale)
    cal = make_calendar(end)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    regions = cat.REGIONS[: params["regions"]]
    cats = cat.CATEGORIES[: params["categories"]]
    turnover = retail_cube(end)[:, : len(regions), : len(cats)]
    products, sku_ids, sku_cat, price, share = _products(cal, cats, turnover, params["skus"], seed)
    n_per = params["customers"] // len(regions)
    region, channel, size, disc, names = _customers(regions, n_per, seed)
    line_w = size * np.array(cat.CHANNEL_LINES)[channel]
    carrier_cust, carrier_cum, q, group = _carriers(line_w, len(regions), n_per, len(sku_ids), seed)

    level = turnover / turnover.sum(axis=(0, 1)) * turnover.sum(axis=(0, 1)) ** 0.35
    lam = level / level.sum() * params["order_lines"] / 1.04  # ~4% more lines in promotions
    lam[-JUMP_MONTHS:, :, 0] *= PLANTED_JUMP
    base_q = np.clip(700.0 / np.array([c.price for c in cats]), 3.0, 100.0)

    # credit limits sized to the expected monthly purchases of the last 12 months
    lines_rs = np.einsum("mrs,ms->rs", lam[-12:][:, :, sku_cat], share[-12:]) / 12.0
    g = rng(seed, 4)
    s_of = group % len(sku_ids)
    value = lines_rs.ravel()[group] * q * (base_q[sku_cat] * price)[s_of]
    monthly = np.bincount(carrier_cust, value, minlength=len(region))
    monthly *= np.array(cat.CHANNEL_QTY)[channel] * (1 - disc)
    terms = np.array(cat.CHANNEL_TERMS)[channel] / 30.0
    factor = (terms + 0.8) * g.uniform(1.1, 1.8, len(region))
    key = np.argsort(-monthly, kind="stable")[:2]
    others = np.setdiff1d(np.arange(len(region)), key)
    tight = g.choice(others, size=max(2, round(0.02 * len(region))), replace=False)
    factor[tight] = terms[tight] * g.uniform(0.6, 0.95, len(tight))
    late = g.random(len(region)) < 0.08
    late[tight] = True
    for k in key:
        names[k] = f"{names[k]} (Key account)"
    cust_ids = np.array([f"C{i + 1:05d}" for i in range(len(region))], dtype=object)
    customers = pd.DataFrame({
        "customer_id": cust_ids, "name": names,
        "region": [regions[r].name for r in region],
        "channel": np.array(cat.CHANNELS, dtype=object)[channel],
        "credit_limit": np.maximum(5000.0, np.round(monthly * factor, -3)),
    })

    plant_ids = tuple(f"PL{i + 1:02d}" for i in range(params["plants"]))
    dc_ids = np.array([f"DC-{r.code}" for r in regions], dtype=object)
    warehouses = pd.DataFrame({
        "warehouse_id": list(plant_ids) + list(dc_ids),
        "name": [f"{regions[i].city} plant" for i in range(len(plant_ids))]
        + [f"{r.city} distribution centre" for r in regions],
        "region": [regions[i].name for i in range(len(plant_ids))] + [r.name for r in regions],
        "kind": ["plant"] * len(plant_ids) + ["distribution_centre"] * len(regions),
    })
    return Company(
        seed=seed, scale=scale, params=params, cal=cal, regions=regions, categories=cats,
        products=products, sku_ids=sku_ids, sku_cat=sku_cat, price=price, base_q=base_q,
        share=share, customers=customers, cust_ids=cust_ids, cust_region=region,
        cust_channel=channel, cust_disc=disc, cust_late=late, carrier_cust=carrier_cust,
        carrier_cum=carrier_cum, lam=lam, warehouses=warehouses, dc_ids=dc_ids,
        plant_ids=plant_ids,
    )
