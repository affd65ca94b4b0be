"""The candidate models a backtest chooses from, and how a choice's forecasts are combined.

A choice ("spec") is a rule and its members: ``single`` (one model), ``median`` (the median
of the members' forecasts) or ``weighted`` (the members' forecasts weighted by the inverse of
their backtest error). Names are readable: ``AutoETS``, ``median(AutoETS, AutoTheta,
AutoCES)``, ``weighted(AutoETS 0.55, AutoTheta 0.45)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    CrostonSBA,
    DynamicOptimizedTheta,
    SeasonalNaive,
)

_FACTORIES = {
    "AutoETS": lambda s: AutoETS(season_length=s),
    "AutoTheta": lambda s: AutoTheta(season_length=s),
    "DynamicOptimizedTheta": lambda s: DynamicOptimizedTheta(season_length=s),
    "AutoARIMA": lambda s: AutoARIMA(season_length=s),
    "AutoCES": lambda s: AutoCES(season_length=s, alias="AutoCES"),
    "SeasonalNaive": lambda s: SeasonalNaive(season_length=s),
    "CrostonSBA": lambda s: CrostonSBA(),
    "TSB": lambda s: TSB(alpha_d=0.1, alpha_p=0.1),
    "ADIDA": lambda s: ADIDA(),
    "IMAPA": lambda s: IMAPA(),
}
# smooth and erratic series; AutoARIMA is added only on short lists of series (it is slow)
SMOOTH_CANDIDATES: tuple[str, ...] = ("AutoETS", "AutoTheta", "AutoCES", "SeasonalNaive")
SLOW_CANDIDATES: tuple[str, ...] = ("AutoARIMA",)
INTERMITTENT_CANDIDATES: tuple[str, ...] = ("CrostonSBA", "TSB", "ADIDA", "IMAPA")
# models statsforecast gives prediction intervals and a forward pass (refit=False) for
WITH_INTERVALS = frozenset({"AutoETS", "AutoTheta", "DynamicOptimizedTheta", "AutoARIMA",
                            "AutoCES", "SeasonalNaive"})
RULES = ("single", "median", "weighted")


def statsforecast_models(names, season_length: int) -> list:
    """statsforecast model objects whose output columns are the given names."""
    return [_FACTORIES[n](season_length) for n in names]


def spec_name(rule: str, members: tuple[str, ...], weights: tuple[float, ...] = ()) -> str:
    """The readable name of a choice."""
    if rule == "single":
        return members[0]
    if rule == "median":
        return f"median({', '.join(members)})"
    return "weighted(" + ", ".join(f"{m} {w:.2f}" for m, w in zip(members, weights, strict=True)) + ")"


def inverse_error_weights(errors) -> tuple[float, ...]:
    """Weights proportional to 1 / error, summing to 1 (equal when an error is 0 or NaN)."""
    e = np.asarray(errors, dtype=float)
    if len(e) == 0 or not np.all(np.isfinite(e)) or np.any(e <= 0):
        return tuple(np.full(len(e), 1.0 / max(len(e), 1)))
    w = 1.0 / e
    return tuple(w / w.sum())


def combined_values(frame: pd.DataFrame, rule: str, members: tuple[str, ...],
                    weights: tuple[float, ...] = (), suffix: str = "") -> np.ndarray:
    """The forecast of a choice from the member columns (``<member><suffix>``) of `frame`."""
    values = frame[[f"{m}{suffix}" for m in members]].to_numpy(dtype=float)
    if rule == "single":
        return values[:, 0]
    if rule == "median":
        return np.median(values, axis=1)
    return values @ np.asarray(weights, dtype=float)
