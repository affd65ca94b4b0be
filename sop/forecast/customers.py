"""The reconciled sku x region forecast split to customers (`customer_allocation`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.forecast.series import forecast_series


def customer_allocation(forecast: pd.DataFrame, monthly: pd.DataFrame,
                        key_accounts: tuple[str, ...] | list[str] = (), months: int = 12,
                        n_jobs: int = 1) -> pd.DataFrame:
    """Split the sku x region forecast to customers (ds, region, category, sku, customer_id,
    forecast, revenue, basis), summing back exactly to each sku x region forecast.

    Shares: each customer's units over the trailing `months` months of `monthly` (ds, region,
    category, sku, customer_id, qty) within its sku x region (all history when the trailing
    window sold nothing). Key accounts are forecast directly (`forecast_series` on their own
    sku x region x customer history) and the rest goes to the other customers by share; key
    accounts are scaled down when they exceed the parent and take the whole parent when no
    other customer has a share. A parent with no customer history goes to "(unallocated)".
    Revenue is split like the units.
    """
    parent = forecast[forecast["level"] == "sku_region"][
        ["region", "category", "sku", "ds", "forecast", "revenue"]]
    end = monthly["ds"].max()
    keys = ["sku", "region"]
    recent = monthly[monthly["ds"] > end - pd.DateOffset(months=months)]
    shares = _shares(recent, keys)
    older = _shares(monthly, keys)
    older = older[~older.set_index(keys).index.isin(shares.set_index(keys).index)]
    shares = pd.concat([shares, older], ignore_index=True)
    key_set = set(key_accounts)
    direct = pd.DataFrame(columns=[*keys, "customer_id", "ds", "key_fc"])
    key_hist = monthly[monthly["customer_id"].isin(key_set)]
    if not key_hist.empty:
        uid = key_hist["sku"] + "|" + key_hist["region"] + "|" + key_hist["customer_id"]
        fc = forecast_series(key_hist.assign(unique_id=uid, y=key_hist["qty"]),
                             h=parent["ds"].nunique(), n_jobs=n_jobs, end=end)
        direct = fc["unique_id"].str.split("|", expand=True).set_axis(
            [*keys, "customer_id"], axis=1).assign(ds=fc["ds"], key_fc=fc["forecast"])
    cells = parent.merge(shares, on=keys, how="left").merge(
        direct, on=[*keys, "customer_id", "ds"], how="left")
    cells["customer_id"] = cells["customer_id"].fillna("(unallocated)")
    cells["share"] = cells["share"].fillna(1.0)
    is_key = cells["customer_id"].isin(key_set).to_numpy()
    by = [cells[k] for k in [*keys, "ds"]]
    total = lambda v: pd.Series(v, index=cells.index).groupby(by).transform("sum")  # noqa: E731
    parent_fc = cells["forecast"].to_numpy()
    share = cells["share"].to_numpy()
    key_fc = np.where(is_key, pd.to_numeric(cells["key_fc"]).fillna(0.0).to_numpy(), 0.0)
    key_sum, key_share = total(key_fc).to_numpy(), total(np.where(is_key, share, 0.0)).to_numpy()
    other_share = total(np.where(is_key, 0.0, share)).to_numpy()
    has_other = other_share > 0
    scale = _div(parent_fc, key_sum)
    key_part = np.where(key_sum > 0, key_fc * np.where(has_other, np.minimum(1.0, scale), scale),
                        np.where(has_other, 0.0, parent_fc * _div(share, key_share)))
    key_part = np.where(is_key, key_part, 0.0)
    rest = parent_fc - total(key_part).to_numpy()
    qty = np.where(is_key, key_part, rest * _div(share, other_share))
    price = _div(cells["revenue"].to_numpy(), parent_fc)
    out = cells.assign(forecast=qty, revenue=qty * price,
                       basis=np.where(is_key, "key_account", np.where(
                           cells["customer_id"] == "(unallocated)", "unallocated", "share")))
    return out[["ds", "region", "category", "sku", "customer_id", "forecast", "revenue",
                "basis"]].sort_values(["ds", "region", "sku", "customer_id"], ignore_index=True)


def _shares(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    units = frame.groupby([*keys, "customer_id"], as_index=False)["qty"].sum()
    units = units[units["qty"] > 0]
    units["share"] = units["qty"] / units.groupby(keys)["qty"].transform("sum")
    return units[[*keys, "customer_id", "share"]]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, 0 where b is 0."""
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)
