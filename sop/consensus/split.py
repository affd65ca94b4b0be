"""Adjustments split down to cells, versions summed up from them, submissions merged.

The rule for overlapping adjustments (one month at a time): adjustments are applied finest
level first (model.PRECEDENCE: product x region, product, customer, category x region,
category, region, total; at one level in the order given). Each sets its group's number:
the group's cells not fixed by an earlier adjustment share what the earlier ones left of
it, in proportion to their statistical forecast (equally when that is zero everywhere), and
are then fixed. So a finer number always holds inside a coarser one, and the coarser number
holds for the group as a whole wherever the finer ones leave room; when they exceed it, the
rest of the group goes to zero and the log says the coarser number could not be met.
Revenue follows the units at each cell's statistical price (its product's average price in
the month where the cell had no forecast).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sop.consensus.model import CELL_COLUMNS, GROUP_KEYS, PRECEDENCE, Submission, level_of

LOG_COLUMNS = ("source_ref", "level", "ds", *GROUP_KEYS, "statistical", "target", "result",
               "note")
_LEVEL_COLUMNS = {"total": [], "category": ["category"], "region": ["region"],
                  "category_region": ["category", "region"], "sku_region": ["sku", "region"],
                  "customer": ["customer_id"]}


def _text(v: object) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or str(v) == "" \
        else str(v)


def _ordered(adjustments: pd.DataFrame) -> pd.DataFrame:
    rank = {lv: i for i, lv in enumerate(PRECEDENCE)}
    levels = [level_of(r) for r in adjustments.to_dict("records")]
    return adjustments.assign(_level=levels, _rank=[rank[lv] for lv in levels],
                              _order=np.arange(len(adjustments))).sort_values(
        ["ds", "_rank", "_order"], kind="stable")


def adjusted_cells(cells: pd.DataFrame, adjustments: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`cells` (model.CELL_COLUMNS, the statistical forecast) with every adjustment applied
    by the rule above, and a log with one row per adjustment (LOG_COLUMNS): its group's
    statistical units, the number asked for, the units the group ends with, and a note when
    they differ. Inputs are not mutated."""
    out = cells[list(CELL_COLUMNS)].reset_index(drop=True).copy()
    qty = out["qty"].to_numpy(dtype=float).copy()
    stat = qty.copy()
    fixed = np.zeros(len(out), dtype=bool)
    month = pd.to_datetime(out["ds"]).to_numpy()
    cols = {k: out[k].astype(object).to_numpy() for k in GROUP_KEYS}
    log = []
    todo = _ordered(adjustments) if len(adjustments) else adjustments
    for r in todo.to_dict("records"):
        mask = month == np.datetime64(pd.Timestamp(r["ds"]))
        for k in GROUP_KEYS:
            if _text(r.get(k)) is not None:
                mask &= cols[k] == r[k]
        before = float(stat[mask].sum())
        target = (float(r["qty"]) if _text(r.get("qty")) is not None
                  else before * (1.0 + float(r["change_pct"]) / 100.0))
        free, locked = mask & ~fixed, mask & fixed
        rest = target - float(qty[locked].sum())
        note = ""
        if not mask.any():
            note = "no forecast in this group to adjust"
        elif not free.any():
            note = "set entirely by finer adjustments"
        else:
            if rest < 0:
                note, rest = "finer adjustments exceed this number", 0.0
            base = stat[free]
            qty[free] = base * rest / base.sum() if base.sum() > 0 else rest / free.sum()
        fixed |= mask
        log.append({"source_ref": r.get("source_ref"), "level": r["_level"], "ds": r["ds"],
                    **{k: _text(r.get(k)) for k in GROUP_KEYS}, "statistical": before,
                    "target": target, "_mask": mask, "note": note})
    price = _prices(out, stat)
    out["qty"], out["revenue"] = qty, qty * price
    frame = pd.DataFrame([{**{k: v for k, v in e.items() if k != "_mask"},
                           "result": float(qty[e["_mask"]].sum())} for e in log],
                         columns=list(LOG_COLUMNS))
    return out, frame


def _prices(cells: pd.DataFrame, stat: np.ndarray) -> np.ndarray:
    """Each cell's statistical price; its product's average in the month where it had none."""
    rev = cells["revenue"].to_numpy(dtype=float)
    own = np.divide(rev, stat, out=np.full(len(stat), np.nan), where=stat > 0)
    g = pd.DataFrame({"ds": cells["ds"], "sku": cells["sku"], "rev": rev, "qty": stat}).groupby(
        ["ds", "sku"])[["rev", "qty"]].transform("sum")
    avg = np.divide(g["rev"].to_numpy(), g["qty"].to_numpy(), out=np.zeros(len(stat)),
                    where=g["qty"].to_numpy() > 0)
    return np.where(np.isnan(own), avg, own)


def series_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells summed to every level a version is stored at (model.VERSION_LEVELS): level,
    unique_id (as the forecast's series ids), region, category, sku, ds, forecast, revenue."""
    parts = []
    for level, keys in _LEVEL_COLUMNS.items():
        g = cells.groupby([*keys, "ds"], as_index=False, dropna=False)[["qty", "revenue"]].sum()
        parts.append(g.assign(level=level, unique_id=_ids(level, g)))
    out = pd.concat(parts, ignore_index=True).rename(columns={"qty": "forecast"})
    for col in ("region", "category", "sku"):
        out[col] = out[col].astype(object).where(out[col].notna(), None) if col in out else None
    return out[["level", "unique_id", "region", "category", "sku", "ds", "forecast", "revenue"]]


def _ids(level: str, g: pd.DataFrame) -> pd.Series | str:
    if level == "total":
        return "total"
    if level == "category_region":
        return "category=" + g["category"].astype(str) + "|region=" + g["region"].astype(str)
    if level == "sku_region":
        return "sku=" + g["sku"].astype(str) + "|region=" + g["region"].astype(str)
    key = {"category": "category", "region": "region", "customer": "customer_id"}[level]
    return f"{level}=" + g[key].astype(str)


def merged_adjustments(submissions: Sequence[Submission]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The consensus's adjustments: every submission's, in the order given (oldest first),
    with department and author; where two name the same group and month, the later one wins.
    Returns (adjustments, overridden): the second lists the ones that lost, and to whom."""
    frames = [s.adjustments.assign(department=s.department, author=s.author)
              for s in submissions if len(s.adjustments)]
    if not frames:
        cols = [*(submissions[0].adjustments.columns if submissions else ()), "department",
                "author"]
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=[*cols, "replaced_by"])
    allrows = pd.concat([f.astype(object) for f in frames], ignore_index=True)
    key = allrows[["ds", *GROUP_KEYS]].astype(object).where(allrows[["ds", *GROUP_KEYS]]
                                                               .notna(), None)
    ident = key.apply(lambda r: tuple(_text(v) for v in r), axis=1)
    last = ~ident.duplicated(keep="last")
    winner = dict(zip(ident[last], allrows.loc[last, "department"], strict=True))
    lost = allrows[~last].assign(replaced_by=ident[~last].map(winner))
    return allrows[last].reset_index(drop=True), lost.reset_index(drop=True)


def forecast_with_version(forecast: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`forecast` (the plan's, every level) with a version's rows (series_rows' shape) in
    place of its own for the same level, series and month: units and revenue taken from the
    version, each interval moved by the same factor as its point. A new frame."""
    if rows is None or rows.empty:
        return forecast.copy()
    key = ["level", "unique_id", "ds"]
    v = rows[[*key, "forecast", "revenue"]].rename(columns={"forecast": "_f", "revenue": "_r"})
    out = forecast.merge(v.assign(ds=pd.to_datetime(v["ds"])), on=key, how="left")
    hit = out["_f"].notna()
    factor = np.divide(out["_f"], out["forecast"], out=np.ones(len(out)),
                       where=hit & (out["forecast"] > 0))
    for col in ("lo_80", "hi_80", "lo_95", "hi_95"):
        if col in out:
            out[col] = np.where(hit, out[col] * factor, out[col])
    out["forecast"] = out["_f"].where(hit, out["forecast"])
    out["revenue"] = out["_r"].where(hit & out["_r"].notna(), out["revenue"])
    return out.drop(columns=["_f", "_r"])
