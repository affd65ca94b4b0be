"""Reconciliation of a grouped hierarchy's base forecasts (hierarchicalforecast).

The summing matrix is sparse (`hierarchicalforecast.utils.SMatrix`): one non-zero per
(series, bottom series it adds up), so its memory grows with the series, not their square.

The method follows the hierarchy's size (`method="auto"`):
- up to `DENSE_MAX_SERIES` reconciled series: MinTrace(mint_shrink), the shrunk covariance
  of the in-sample residuals, with the library's normal intervals. Both need dense
  series x series matrices: measured on a synthetic hierarchy of 5,126 series, 85 s and
  5.2 GB, and they grow with the square (cube for time) of the series;
- beyond it: MinTrace(wls_var) (each series weighted by its residual variance), solved
  without series x series matrices (`WlsVarSparse`: about 1 s and 0.4 GB at 4,923 series),
  and each series' interval is its own base interval moved with its reconciled point (the
  library's intervals need the dense reconciliation matrix again: 169 s, 4 GB at 5,126).
Fallbacks, in order, with the reason in the notes: mint_shrink -> BottomUp;
wls_var -> wls_struct (needs no residuals) -> BottomUp.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.linalg
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import BottomUp, MinTrace, MinTraceSparse
from hierarchicalforecast.utils import SMatrix
from scipy import sparse
from scipy.sparse import linalg as splinalg

from sop.forecast.demand import LEVEL_KEYS, LEVELS

DENSE_MAX_SERIES = 2000
DENSE_METHODS = ("mint_shrink", "mint_cov")
SPARSE_METHODS = ("wls_var", "wls_struct", "ols")
METHODS = ("auto", *DENSE_METHODS, *SPARSE_METHODS)


class WlsVarSparse(MinTraceSparse):
    """MinTrace(wls_var), solved exactly without any series x series matrix.

    The weights are the dense `MinTrace(wls_var)`'s: each series' mean squared in-sample
    residual (a missing residual counts 0) plus 2e-8 (the sparse class takes the sample
    variance instead, undefined for a product launched last month, which then fails the
    whole hierarchy). The solve is MinT's projection form: with S = [A; I] (A: the
    aggregates' rows), the incoherence d = y_a - A y_b, lambda = (W_a + A W_b A')^-1 d, and
    the reconciled bottoms y_b + W_b A' lambda: one aggregates x aggregates system (144 x 144
    at the demo's scale) whatever the number of bottom series. The sparse class's iterative
    solver, on the same weights, stops on its tolerance long before the answer (measured:
    a total of 1,420 units a month for 6.4 million)."""

    def __init__(self) -> None:
        super().__init__(method="wls_var")

    def _get_PW_matrices(self, S, y_hat, y_insample=None, y_hat_insample=None):
        if y_insample is None or y_hat_insample is None:
            raise ValueError("wls_var needs the in-sample values and fitted values (Y_df)")
        S = sparse.csr_matrix(S)
        n, n_b = S.shape
        residuals = y_insample - y_hat_insample  # (series, months)
        w = np.nansum(residuals**2, axis=1) / residuals.shape[1] + 2e-8
        a, w_a, w_b = S[: n - n_b], w[: n - n_b], w[n - n_b:]
        inner = np.diag(w_a) + (a @ sparse.diags(w_b) @ a.T).toarray()
        lu = scipy.linalg.lu_factor(inner)

        def bottoms(y):
            y = np.asarray(y, dtype=float).reshape(n, -1)
            lam = scipy.linalg.lu_solve(lu, y[: n - n_b] - a @ y[n - n_b:])
            return y[n - n_b:] + w_b[:, None] * (a.T @ lam)

        p = splinalg.LinearOperator((n_b, n), matvec=bottoms, matmat=bottoms)
        return p, sparse.diags(w)


def summing_matrix(attrs: pd.DataFrame) -> tuple[SMatrix, dict[str, np.ndarray]]:
    """(S, tags) for hierarchicalforecast from one row per series (unique_id, level, region,
    category, sku): S is sparse, rows are every series (upper levels first, in LEVELS
    order, each by unique_id, then the bottom series by unique_id), columns the bottom
    series; tags map each level to its unique_ids."""
    present = [lv for lv in LEVELS if lv in set(attrs["level"])]
    bottom_level = present[-1]
    bottom = attrs[attrs["level"] == bottom_level].sort_values("unique_id")
    bottom = bottom.reset_index(drop=True).assign(_col=lambda f: np.arange(len(f)))
    rows, cols, ids, tags = [], [], [], {}
    for lv in present[:-1]:
        part = attrs[attrs["level"] == lv].sort_values("unique_id").reset_index(drop=True)
        part = part.assign(_row=np.arange(len(ids), len(ids) + len(part)))
        keys = LEVEL_KEYS[lv]
        pairs = (part[["_row", *keys]].merge(bottom[["_col", *keys]], on=keys) if keys
                 else part[["_row"]].merge(bottom[["_col"]], how="cross"))
        rows.append(pairs["_row"].to_numpy())
        cols.append(pairs["_col"].to_numpy())
        ids.extend(part["unique_id"])
        tags[lv] = part["unique_id"].to_numpy()
    rows.append(np.arange(len(ids), len(ids) + len(bottom)))
    cols.append(bottom["_col"].to_numpy())
    ids.extend(bottom["unique_id"])
    tags[bottom_level] = bottom["unique_id"].to_numpy()
    r, c = np.concatenate(rows), np.concatenate(cols)
    s = sparse.csc_matrix((np.ones(len(r)), (r, c)), shape=(len(ids), len(bottom)))
    labels = np.array(ids, dtype=object), bottom["unique_id"].to_numpy(dtype=object)
    return SMatrix(s, *labels), tags


def live_part(s: SMatrix, live_bottom: np.ndarray) -> SMatrix:
    """The summing matrix of the bottom series where `live_bottom` is true and of the
    series that add up at least one of them."""
    sub = s.to_csr()[:, live_bottom]
    keep = np.asarray(sub.sum(axis=1)).ravel() > 0
    return SMatrix(sub[keep], s.row_labels[keep], s.col_labels[live_bottom])


def chosen_method(method: str, n_series: int) -> str:
    """The MinTrace method used for `n_series` series (see the module's notes)."""
    if method not in METHODS:
        raise ValueError(f"unknown reconciliation method {method!r}; one of {METHODS}")
    if method == "auto":
        return "mint_shrink" if n_series <= DENSE_MAX_SERIES else "wls_var"
    return method


def _attempts(method: str) -> list[tuple[str, object, bool]]:
    """(name, reconciler factory, library intervals?) in the order they are tried."""
    if method in DENSE_METHODS:
        return [(f"MinTrace({method})", lambda: MinTrace(method=method), True),
                ("BottomUp", BottomUp, True)]
    chain = dict.fromkeys([method, "wls_struct"])
    make = {"wls_var": WlsVarSparse}
    return [*((f"MinTraceSparse({m})", make.get(m, lambda m=m: MinTraceSparse(method=m)),
               False) for m in chain), ("BottomUp", BottomUp, False)]


def reconciled_values(base: pd.DataFrame, fitted: pd.DataFrame, s: SMatrix,
                      tags: dict[str, np.ndarray], level: tuple[int, ...], method: str = "auto"
                      ) -> tuple[pd.DataFrame, str, str, bool]:
    """(unique_id, ds, forecast, lo_*, hi_* reconciled; the method used; why the methods
    before it failed; whether the intervals are the base ones moved with the point).
    `base`: unique_id, ds, forecast, lo_*, hi_*; `fitted`: unique_id, ds, y, fitted
    (in-sample one-step)."""
    cols = {"forecast": "forecast"} | {f"{side}_{lv}": f"forecast-{side}-{lv}"
                                       for lv in level for side in ("lo", "hi")}
    y_hat = base[["unique_id", "ds", *cols]].rename(columns=cols)
    y_df = fitted.rename(columns={"fitted": "forecast"})
    why = ""
    for name, make, intervals in _attempts(chosen_method(method, len(s.row_labels))):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rec = HierarchicalReconciliation([make()]).reconcile(
                    Y_hat_df=y_hat, Y_df=y_df, S_df=s, tags=tags,
                    level=list(level) if intervals else None)
            model_col = next(c for c in rec.columns if c.startswith("forecast/"))
            out = rec[["unique_id", "ds"]].copy()
            out["forecast"] = rec[model_col].to_numpy()
            if intervals:
                for ours, theirs in list(cols.items())[1:]:
                    out[ours] = rec[theirs.replace("forecast", model_col, 1)].to_numpy()
            else:  # base intervals moved with the reconciled point
                shift = out["forecast"].to_numpy() - rec["forecast"].to_numpy()
                for ours, theirs in list(cols.items())[1:]:
                    out[ours] = rec[theirs].to_numpy() + shift
            if not np.isfinite(out[list(cols)].to_numpy(dtype=float)).all():
                raise FloatingPointError("non-finite reconciled values")
            return out, name, why, not intervals
        except Exception as e:  # singular matrices and the like: fall back
            why += f"{name} failed ({type(e).__name__}: {e}); "
    # last resort: the base forecasts, which `coherent_values` adds up from the bottom
    return base[["unique_id", "ds", *cols]], "BottomUp (base bottoms added up)", why, False


def summed_up(bottom: pd.DataFrame, s: SMatrix, col: str) -> pd.DataFrame:
    """Every series' `col` as S @ bottom values, long (unique_id, ds, col)."""
    wide = bottom.pivot(index="unique_id", columns="ds", values=col)
    wide = wide.reindex(s.col_labels).fillna(0.0)
    total = s.to_csr() @ wide.to_numpy()
    long = pd.DataFrame(total, index=pd.Index(s.row_labels, name="unique_id"),
                        columns=wide.columns).reset_index().melt(
        id_vars="unique_id", var_name="ds", value_name=col)
    return long.astype({"ds": "datetime64[ns]"})


def coherent_values(base: pd.DataFrame, rec: pd.DataFrame, s: SMatrix,
                    num: list[str]) -> pd.DataFrame:
    """Reconciled values for every series: bottoms clipped at 0, parents re-added from
    their bottoms; intervals clipped at 0 and widened to contain the point forecast."""
    full = base[["unique_id", "ds"]].merge(rec, on=["unique_id", "ds"], how="left")
    full[num] = full[num].fillna(0.0)  # dead series and parents of dead series only
    bottom = full[full["unique_id"].isin(s.col_labels)].copy()
    bottom["forecast"] = bottom["forecast"].clip(lower=0.0)
    point = summed_up(bottom, s, "forecast")
    out = full.drop(columns="forecast").merge(point, on=["unique_id", "ds"], how="left")
    out["forecast"] = out["forecast"].fillna(0.0).clip(lower=0.0)
    for col in num[1:]:
        out[col] = out[col].clip(lower=0.0)
        pick = np.minimum if col.startswith("lo") else np.maximum
        out[col] = pick(out[col], out["forecast"])
    return out[["unique_id", "ds", *num]]
