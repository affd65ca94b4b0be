"""Every candidate reconciliation of one set of base forecasts, for choosing by backtest.

The hierarchy is grouped (category and region both under the total, category_region under
both), so the library's TopDown / MiddleOut, which need a strict tree, do not apply; they are
computed here with the summing matrix (`sop.forecast.reconcile.summing_matrix`: rows are every
series, the bottom series last and in the columns' order):

- BottomUp: the bottom base forecasts added up.
- TopDown(forecast_proportions): the top base forecast split down the chain total ->
  category (region when there is no category level) -> category_region -> bottom, each
  series' share of its parent being its base forecast's share of its siblings' (negative
  base forecasts count 0; siblings all at 0 share equally); every other series = the sum of
  the resulting bottoms.
- MiddleOut(category_region): the category_region base forecasts kept, the bottoms split from
  them by forecast proportions, everything above added up (only when category_region is
  above the bottom: otherwise it is BottomUp).
- MinTrace(ols / wls_struct / wls_var): MinT with a diagonal W (1; the number of bottoms a
  series adds up; its mean squared in-sample residual + 2e-8, as `WlsVarSparse`), solved
  exactly in projection form without series x series matrices, at any size.
- MinTrace(mint_shrink): hierarchicalforecast's MinTrace (dense: only up to
  `DENSE_MAX_SERIES` series).

After any method, negative bottoms are set to 0 (when asked) and every series is re-added
from its bottoms, so the result is coherent exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.linalg
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import MinTrace
from hierarchicalforecast.utils import SMatrix

from sop.forecast.demand import LEVEL_KEYS, LEVELS
from sop.forecast.reconcile import DENSE_MAX_SERIES

BOTTOM_UP = "BottomUp"
TOP_DOWN = "TopDown(forecast_proportions)"
MIDDLE_OUT = "MiddleOut(category_region)"
# simplest first: ties in the backtest go to the earlier one
RECONCILIATION_METHODS = (BOTTOM_UP, TOP_DOWN, MIDDLE_OUT, "MinTrace(ols)",
                          "MinTrace(wls_struct)", "MinTrace(wls_var)", "MinTrace(mint_shrink)")
DENSE_ONLY = ("MinTrace(mint_shrink)",)


def _wide(frame: pd.DataFrame, col: str, labels: np.ndarray) -> pd.DataFrame:
    """`col` as series (rows, in `labels` order) x ds."""
    wide = frame.pivot(index="unique_id", columns="ds", values=col)
    missing = set(labels) - set(wide.index)
    if missing:
        raise ValueError(f"{len(missing)} series of the hierarchy have no {col}, "
                         f"e.g. {sorted(missing)[:3]}")
    return wide.reindex(labels)


def _parent_ids(attrs: pd.DataFrame, child: str, parent: str) -> pd.Series:
    """For each series of level `child` (index unique_id), its series at level `parent`."""
    keys = LEVEL_KEYS[parent]
    kids = attrs[attrs["level"] == child]
    ups = attrs[attrs["level"] == parent][["unique_id", *keys]]
    pairs = (kids[["unique_id", *keys]].merge(ups, on=keys, suffixes=("", "_up")) if keys
             else kids[["unique_id"]].merge(ups.add_suffix("_up"), how="cross"))
    if len(pairs) != len(kids):
        raise ValueError(f"not every {child} series has exactly one {parent} series")
    return pairs.set_index("unique_id")["unique_id_up"]


def _split(parent_values: pd.DataFrame, child_base: pd.DataFrame,
           parent_of: pd.Series) -> pd.DataFrame:
    """Children's values: their parent's value x their base's share among their siblings."""
    parent_of = parent_of.reindex(child_base.index)
    groups = parent_of.to_numpy()
    b = child_base.clip(lower=0.0)
    total = b.groupby(groups).transform("sum").to_numpy()
    count = pd.Series(1.0, index=b.index).groupby(groups).transform("sum").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, b.to_numpy() / total, 1.0 / count[:, None])
    up = parent_values.reindex(groups).to_numpy()
    return pd.DataFrame(share * up, index=child_base.index, columns=child_base.columns)


def _chain(attrs: pd.DataFrame, start: str) -> list[str]:
    """The levels from `start` down to the bottom along total -> category (else region) ->
    category_region -> bottom, those present only."""
    present = [lv for lv in LEVELS if lv in set(attrs["level"])]
    second = "category" if "category" in present else "region"
    path = [lv for lv in ("total", second, "category_region", present[-1]) if lv in present]
    return list(dict.fromkeys(path[path.index(start):]))


def _proportional_bottoms(base: pd.DataFrame, attrs: pd.DataFrame, start: str) -> pd.DataFrame:
    """Bottom values from the base forecasts of level `start`, split down by proportions."""
    chain = _chain(attrs, start)
    values = base.loc[attrs.loc[attrs["level"] == start, "unique_id"]]
    for parent, child in zip(chain, chain[1:], strict=False):
        kids = attrs.loc[attrs["level"] == child, "unique_id"]
        values = _split(values, base.loc[kids], _parent_ids(attrs, child, parent))
    return values


def _diagonal_mint(s: SMatrix, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """MinT bottoms with W = diag(w): y_b + W_b A' (W_a + A W_b A')^-1 (y_a - A y_b)."""
    csr = s.to_csr()
    n, n_b = csr.shape
    a = csr[: n - n_b]
    w_a, w_b = w[: n - n_b], w[n - n_b:]
    inner = np.diag(w_a) + (a.multiply(w_b[None, :]) @ a.T).toarray()
    lam = scipy.linalg.solve(inner, y[: n - n_b] - a @ y[n - n_b:], assume_a="pos")
    return y[n - n_b:] + w_b[:, None] * (a.T @ lam)


def _residual_variance(fitted: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Each series' mean squared in-sample residual (a missing one counts 0) + 2e-8."""
    res = fitted.assign(r=fitted["y"] - fitted["fitted"]).pivot(
        index="unique_id", columns="ds", values="r").reindex(labels)
    return np.nansum(res.to_numpy() ** 2, axis=1) / max(res.shape[1], 1) + 2e-8


def _mint_shrink(base: pd.DataFrame, fitted: pd.DataFrame, s: SMatrix,
                 tags: dict[str, np.ndarray]) -> np.ndarray:
    y_hat = base.stack().rename("forecast").reset_index()
    y_df = fitted[["unique_id", "ds", "y", "fitted"]].rename(columns={"fitted": "forecast"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = HierarchicalReconciliation([MinTrace(method="mint_shrink")]).reconcile(
            Y_hat_df=y_hat, Y_df=y_df, S_df=s, tags=tags)
    col = next(c for c in rec.columns if c.startswith("forecast/"))
    out = _wide(rec.rename(columns={col: "value"}), "value", s.col_labels)
    return out[base.columns].to_numpy()


def reconciled_by(method: str, base: pd.DataFrame, fitted: pd.DataFrame, s: SMatrix,
                  tags: dict[str, np.ndarray], attrs: pd.DataFrame,
                  nonnegative: bool = True) -> pd.DataFrame:
    """The base forecasts of one origin (unique_id, ds, forecast: every series of `s`)
    reconciled by `method` (one of RECONCILIATION_METHODS): a new frame unique_id, ds,
    forecast over every series, coherent (each series = the sum of its bottoms).
    `fitted`: in-sample one-step fitted values (unique_id, ds, y, fitted), used by
    MinTrace(wls_var) and MinTrace(mint_shrink) only."""
    labels, bottoms = s.row_labels, s.col_labels
    if not np.array_equal(labels[len(labels) - len(bottoms):], bottoms):
        raise ValueError("the summing matrix's last rows must be its bottom series in order")
    wide = _wide(base, "forecast", labels).astype(float)
    y = wide.to_numpy()
    if method == BOTTOM_UP:
        b = wide.loc[bottoms].to_numpy()
    elif method in (TOP_DOWN, MIDDLE_OUT):
        start = _chain(attrs, "total")[0] if method == TOP_DOWN else "category_region"
        if start not in set(attrs["level"]):
            raise ValueError(f"{method} needs the {start} level")
        b = _proportional_bottoms(wide, attrs, start).loc[bottoms].to_numpy()
    elif method in ("MinTrace(ols)", "MinTrace(wls_struct)", "MinTrace(wls_var)"):
        w = {"MinTrace(ols)": lambda: np.ones(len(labels)),
             "MinTrace(wls_struct)": lambda: np.asarray(s.to_csr().sum(axis=1)).ravel(),
             "MinTrace(wls_var)": lambda: _residual_variance(fitted, labels)}[method]()
        b = _diagonal_mint(s, y, w)
    elif method == "MinTrace(mint_shrink)":
        if len(labels) > DENSE_MAX_SERIES:
            raise ValueError(f"{method} is dense: at most {DENSE_MAX_SERIES} series")
        b = _mint_shrink(wide, fitted, s, tags)
    else:
        raise ValueError(f"unknown method {method!r}; one of {RECONCILIATION_METHODS}")
    if nonnegative:
        b = np.clip(b, 0.0, None)
    full = s.to_csr() @ b
    out = pd.DataFrame(full, index=pd.Index(labels, name="unique_id"), columns=wide.columns)
    out = out.reset_index().melt(id_vars="unique_id", var_name="ds", value_name="forecast")
    return out.astype({"ds": base["ds"].dtype})
