"""Market prices against the prices paid: the optional `market_prices` dataset (an external
index per material and month, in the material's unit and the company's currency, such as a
copper or resin index) beside the purchase-order prices of the same windows.

The windows are those of sop.planning.procurement.price_trend (recent and earlier months,
counted back from the period): the index's mean over the months of each window that have an
index price, the price paid as price_trend weighs it. A material without an index is not in
the comparison; one with an index but no order in a window shows the market alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.planning.procurement import _in, _names, month_window, window_label

COLUMNS = ["material_id", "material", "unit", "index_name", "market_recent", "market_earlier",
           "market_change_pct", "paid_recent", "paid_earlier", "paid_change_pct", "gap_pp",
           "premium_pct", "recent_qty", "excess_value", "recent_window", "earlier_window"]


def market_comparison(trend: pd.DataFrame, market_prices: pd.DataFrame,
                      materials: pd.DataFrame, period: str, recent_months: int = 3
                      ) -> pd.DataFrame:
    """Per material with an index price in the recent or earlier months:

    market_recent / market_earlier (the index's mean over each window), market_change_pct,
    paid_recent / paid_earlier / paid_change_pct and recent_qty (from `trend`, the frame of
    sop.planning.procurement.price_trend for the same period and windows), gap_pp = paid change
    less market change (points), premium_pct = paid over the market in the recent months (%),
    and excess_value = recent_qty x (paid_recent - paid_earlier x the market's move): what the
    recent orders cost above a price that had followed the market (negative: below it).
    Largest excess first, then the materials without orders."""
    recent = month_window(period, 0, recent_months)
    earlier = month_window(period, recent_months, recent_months)
    mp = market_prices[market_prices["price"].notna()]
    if mp.empty:
        return pd.DataFrame(columns=COLUMNS)
    mean = {k: mp[_in(mp["period"], w)].groupby("material_id")["price"].mean()
            for k, w in (("recent", recent), ("earlier", earlier))}
    out = pd.DataFrame({"market_recent": mean["recent"], "market_earlier": mean["earlier"]})
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = out.rename_axis("material_id").reset_index()
    latest = mp.sort_values("period").drop_duplicates("material_id", keep="last")
    out["index_name"] = out["material_id"].map(latest.set_index("material_id")["index_name"])
    paid = trend.set_index("material_id")
    for col, src in (("paid_recent", "recent_price"), ("paid_earlier", "earlier_price"),
                     ("paid_change_pct", "change_pct"), ("recent_qty", "recent_qty")):
        out[col] = out["material_id"].map(paid[src]) if len(paid) else np.nan
    move = out["market_recent"] / out["market_earlier"]
    out["market_change_pct"] = (move - 1.0) * 100.0
    out["gap_pp"] = out["paid_change_pct"] - out["market_change_pct"]
    out["premium_pct"] = (out["paid_recent"] / out["market_recent"] - 1.0) * 100.0
    out["excess_value"] = out["recent_qty"] * (out["paid_recent"] - out["paid_earlier"] * move)
    out["material"] = out["material_id"].map(_names(materials, "material_id", "name")).fillna(
        out["material_id"])
    out["unit"] = out["material_id"].map(_names(materials, "material_id", "unit")).fillna("")
    out["recent_window"], out["earlier_window"] = window_label(recent), window_label(earlier)
    out = out.sort_values(["excess_value", "material_id"], ascending=[False, True],
                          na_position="last")
    return out[COLUMNS].reset_index(drop=True)

