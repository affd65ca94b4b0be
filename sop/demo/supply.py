"""Procurement: materials, bills of materials, suppliers, purchase orders, material stock.

POs go out monthly per supplier, one line per material, sized to the material
needs (production through the BOM) of the month they arrive in. One supplier went
inactive about 11 months before `end` and a new one took over its materials; one
or two suppliers deliver later and later; one or two materials get clearly dearer
over the last 6 months. External market prices (an index per commodity material, in the
material's unit) run a few per cent below the prices paid; the market rises more slowly than
the dearer materials' prices, and PET granulate's market falls over the last 6 months while
the price paid for it does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.demo import catalog as cat
from sop.demo.masters import Company
from sop.demo.timeline import HISTORY_MONTHS as T
from sop.demo.timeline import as_dates, rng

SWITCH_MONTH = T - 11  # first month the new supplier replaces the one going inactive


def materials_and_bom(co: Company) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """materials, bom, material -> category index (-1 shared), dense bom [sku, material]."""
    g = rng(co.seed, 40)
    spec = [(nm, unit, ci) for ci, c in enumerate(co.categories) for nm, unit in c.materials]
    spec += [(nm, unit, -1) for nm, unit in cat.SHARED_MATERIALS]
    names = [x[0] for x in spec]
    units = np.array([x[1] for x in spec], dtype=object)
    mcat = np.array([x[2] for x in spec])
    ids = np.array([f"M{i + 1:04d}" for i in range(len(names))], dtype=object)
    materials = pd.DataFrame({
        "material_id": ids, "name": names,
        "category": [co.categories[c].name if c >= 0 else cat.SHARED_CATEGORY for c in mcat],
        "unit": units,
    })
    own_first = np.searchsorted(mcat[mcat >= 0], np.arange(len(co.categories)))
    own_count = np.bincount(mcat[mcat >= 0], minlength=len(co.categories))
    n_s = co.n_skus
    n_own = np.minimum(g.integers(1, 4, n_s), own_count[co.sku_cat])
    keys = g.random((n_s, 4))  # a random order of the category's (up to 4) own materials
    keys[np.arange(4)[None, :] >= own_count[co.sku_cat][:, None]] = 2.0
    rank = np.argsort(keys, axis=1)
    take = np.arange(4)[None, :] < n_own[:, None]
    sku_i, slot = np.nonzero(take)
    mat = own_first[co.sku_cat[sku_i]] + rank[sku_i, slot]
    shared = (mcat < 0).nonzero()[0]
    sku_i = np.concatenate([sku_i, np.arange(n_s)])
    mat = np.concatenate([mat, g.choice(shared, n_s)])
    order = np.lexsort((mat, sku_i))
    sku_i, mat = sku_i[order], mat[order]
    unit = units[mat]
    qpu = np.select(
        [unit == "kg", unit == "m", unit == "l", mcat[mat] >= 0],
        [np.round(g.uniform(0.05, 1.5, len(mat)), 3), np.round(g.uniform(0.2, 4.0, len(mat)), 2),
         np.round(g.uniform(0.05, 1.0, len(mat)), 3), g.integers(1, 5, len(mat)).astype(float)],
        np.round(1.0 / g.integers(4, 25, len(mat)), 4))
    bom = pd.DataFrame({"sku": co.sku_ids[sku_i], "material_id": ids[mat], "qty_per_unit": qpu})
    dense = np.zeros((n_s, len(ids)))
    dense[sku_i, mat] = qpu
    return materials, bom, mcat, dense


def suppliers(co: Company) -> tuple[pd.DataFrame, np.ndarray]:
    g = rng(co.seed, 41)
    n = co.params["suppliers"]
    lead = g.integers(14, 91, n)
    lead[n - 1] = min(90, lead[n - 2] + 7)  # the newcomer quotes a little longer
    words = g.permutation(np.array(cat.SUPPLIER_WORDS, dtype=object))[:n]
    suffix = np.array(cat.SUPPLIER_SUFFIXES, dtype=object)[g.integers(0, 5, n)]
    status = np.full(n, "active", dtype=object)
    status[n - 2] = "inactive"
    frame = pd.DataFrame({
        "supplier_id": [f"S{i + 1:03d}" for i in range(n)],
        "name": [f"{w} {s} Pty Ltd" for w, s in zip(words, suffix, strict=True)],
        "contract_lead_time_days": lead.astype(np.int64), "status": status,
    })
    return frame, lead


def purchase_orders(co: Company, dense_bom: np.ndarray, production: np.ndarray,
                    lead: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """POs for every history month, the material needs [T + 4 months, material] and the
    materials whose price rises over the last 6 months.

    `production` is [T + 4, sku]: what was (or will be) produced each month.
    """
    g = rng(co.seed, 42)
    cal = co.cal
    n_m, n_sup = dense_bom.shape[1], len(lead)
    need = production @ dense_bom
    sup = np.r_[np.arange(n_sup - 1), g.integers(0, n_sup - 1, max(0, n_m - n_sup + 1))]
    sup = g.permutation(sup)[:n_m]
    drifting = [0, 1] if n_sup >= 8 else [0]
    rising = g.choice(n_m, size=1 if co.scale == "small" else 2, replace=False)
    base_price = np.round(g.uniform(0.5, 12.0, n_m), 2)

    t, mt = (a.ravel() for a in np.meshgrid(np.arange(T), np.arange(n_m), indexing="ij"))
    s = np.where((sup[mt] == n_sup - 2) & (t >= SWITCH_MONTH), n_sup - 1, sup[mt])
    arrive = t + np.rint(lead[s] / 30.0).astype(int)
    want = need[arrive, mt] * g.uniform(0.92, 1.12, len(t))
    pack = 10.0 ** np.floor(np.log10(np.maximum(want / 20.0, 1.0)))
    qty = np.ceil(want / pack) * pack
    keep = qty > 0
    t, mt, s, qty = t[keep], mt[keep], s[keep], qty[keep]
    order = np.lexsort((mt, s, t))
    t, mt, s, qty = t[order], mt[order], s[order], qty[order]
    n = len(t)

    order_offset = g.integers(0, 10, (T, n_sup))
    order_day = cal.month_start[t] + order_offset[t, s]
    promised = order_day + lead[s]
    ramp = np.clip((t - 28) / (T - 1 - 28), 0.0, 1.0)
    drift = np.where(np.isin(s, drifting), ramp * g.uniform(15, 25), 0.0)
    delay = np.maximum(np.rint(g.normal(0.5, 2.5, n) + drift * g.uniform(0.7, 1.3, n)), -5)
    received = np.maximum(promised + delay, order_day + 1)
    done = received <= cal.end_day
    short = g.random(n) < 0.08
    got = np.where(short, np.rint(qty * g.uniform(0.8, 0.98, n)), qty)
    trend = 1.002 ** t * (1 + g.normal(0.0, 0.015, n))
    trend *= np.where(np.isin(mt, rising), 1.045 ** np.maximum(0, t - (T - 7)), 1.0)
    new_po = np.r_[True, (t[1:] != t[:-1]) | (s[1:] != s[:-1])]
    starts = np.flatnonzero(new_po)
    line_no = np.arange(n) - starts[np.cumsum(new_po) - 1] + 1
    tags = np.array([lb.replace("-", "") for lb in cal.labels], dtype=object)
    frame = pd.DataFrame({
        "po_id": "PO" + tags[t] + "-" + np.char.mod("%03d", s + 1).astype(object),
        "line_no": line_no.astype(np.int64),
        "supplier_id": np.char.mod("S%03d", s + 1).astype(object),
        "material_id": np.char.mod("M%04d", mt + 1).astype(object),
        "order_date": as_dates(order_day), "promised_date": as_dates(promised),
        "received_date": as_dates(np.where(done, received, np.nan)), "qty": qty,
        "received_qty": np.where(done, got, np.nan),
        "unit_price": np.round(base_price[mt] * trend, 3),
    })
    return frame, need, rising


MARKET_DISCOUNT = 0.93  # the market index against the price paid, before the planted moves


def market_prices(co: Company, pos: pd.DataFrame, materials: pd.DataFrame,
                  rising: np.ndarray) -> pd.DataFrame:
    """A monthly index price per commodity material (catalog.MARKET_INDEX, plus the materials
    whose price rises), in the material's unit: MARKET_DISCOUNT x the median price paid before
    the last 6 months (without the paid prices' drift), moved with that drift; the rising
    materials' market climbs a third as fast as their price, and MARKET_FALLING's market drops
    3% a month over the last 6 months."""
    g = rng(co.seed, 44)
    names = materials["name"].to_numpy()
    ids = materials["material_id"].to_numpy()
    index = {i: cat.MARKET_INDEX[n] for i, n in enumerate(names) if n in cat.MARKET_INDEX}
    index.update({int(i): f"{names[i]} market price" for i in rising if int(i) not in index})
    t_of = co.cal.month_of(pos["order_date"].to_numpy("datetime64[D]").astype("int64"))
    pre = t_of < T - 6  # before the planted moves: the paid price without its drift
    base = (pos["unit_price"][pre] / 1.002 ** (t_of[pre] - 5.5)).groupby(
        pos["material_id"][pre]).median()
    t = np.arange(T)
    last6 = np.maximum(0, t - (T - 7))
    rows = []
    for i, label in sorted(index.items()):
        if ids[i] not in base.index:
            continue
        move = np.where(i in set(rising.tolist()), 1.015 ** last6,
                        0.97 ** last6 if names[i] == cat.MARKET_FALLING else 1.0)
        level = base[ids[i]] * MARKET_DISCOUNT * 1.002 ** (t - 5.5) * move
        price = np.round(level * (1 + g.normal(0.0, 0.01, T)), 3)
        rows.append(pd.DataFrame({"period": as_dates(co.cal.month_start[:T]),
                                  "material_id": ids[i], "index_name": label, "price": price}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["period", "material_id", "index_name", "price"])


def material_inventory(co: Company, pos: pd.DataFrame, need: np.ndarray, mcat: np.ndarray,
                       n_lines: int) -> pd.DataFrame:
    """Month-end material stock at the plants for the last 12 months."""
    g = rng(co.seed, 43)
    cal = co.cal
    n_m = need.shape[1]
    mat = pos["material_id"].str[1:].astype(int).to_numpy() - 1
    rec_day = pos["received_date"].to_numpy("datetime64[D]").astype("int64")
    received = pos["received_date"].notna().to_numpy()
    ord_day = pos["order_date"].to_numpy("datetime64[D]").astype("int64")
    t0 = T - 12
    rec_month = np.where(received, cal.month_of(rec_day), -1)
    receipts = np.zeros((T + 1, n_m))
    np.add.at(receipts, (rec_month[received], mat[received]),
              pos["received_qty"].to_numpy()[received])
    stock = np.rint(1.5 * need[t0 - 1] * g.uniform(0.9, 1.2, n_m))
    rows = []
    for t in range(t0, T):  # 12 month-ends, vectorised over materials
        stock = np.maximum(0.0, stock + receipts[t] - np.rint(need[t]))
        month_end = cal.month_start[t + 1] - 1
        pending = (ord_day <= month_end) & (~received | (rec_day > month_end))
        transit = np.bincount(mat[pending], pos["qty"].to_numpy()[pending], minlength=n_m)
        rows.append((np.full(n_m, month_end), stock.copy(), transit,
                     np.minimum(stock, np.rint(0.4 * need[t + 1])),
                     np.rint(0.5 * need[t - 2: t + 1].mean(axis=0))))
    day, on_hand, transit, allocated, safety = (np.concatenate(x) for x in zip(*rows, strict=True))
    m_idx = np.tile(np.arange(n_m), 12)
    plant = np.where(mcat >= 0, (mcat % n_lines) % len(co.plant_ids), 0)
    frame = pd.DataFrame({
        "snapshot_date": as_dates(day),
        "warehouse_id": np.array(co.plant_ids, dtype=object)[plant[m_idx]],
        "item_id": np.char.mod("M%04d", m_idx + 1).astype(object), "item_type": "material",
        "on_hand": on_hand, "allocated": allocated, "in_transit": transit, "safety_stock": safety,
    })
    live = (frame[["on_hand", "in_transit", "safety_stock"]] > 0).any(axis=1)
    return frame[live].reset_index(drop=True)
