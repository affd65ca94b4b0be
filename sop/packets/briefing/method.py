"""How the forecast was made, in a head's words (the sales-administration packet's accuracy
section): which methods forecast how many series at each level, how the levels were made to
add up and why (the reconciliation chosen on the backtest), and the backtest's error by level
beside the same-month-last-year forecast. Model names never reach a head: `model_words`."""

from __future__ import annotations

import re

import pandas as pd

from sop.forecast.hierarchy import LEVEL_WORDS
from sop.packets.briefing.common import Col, Window, table
from sop.plan import Plan

MODEL_WORDS = {
    "AutoETS": "exponential smoothing", "AutoTheta": "the Theta method",
    "DynamicOptimizedTheta": "the Theta method", "AutoARIMA": "ARIMA",
    "AutoCES": "complex exponential smoothing", "SeasonalNaive": "the same month last year",
    "CrostonSBA": "Croston's method for occasional sales",
    "TSB": "Croston's method for occasional sales",
    "ADIDA": "occasional sales added up over time", "IMAPA": "occasional sales added up over time",
    "Zero": "no sales expected", "Level*Profile": "recent level with its group's seasons",
}
LEVEL_ORDER = ("total", "category", "region", "category_region", "sku_region", "customer")
_SPEC = re.compile(r"^(median|weighted)\((.*)\)$")


def model_words(model: str) -> str:
    """A model or combination name (e.g. 'median(AutoETS, AutoTheta, AutoCES)',
    'weighted(AutoETS 0.55, AutoTheta 0.45)', 'AutoETS+AutoTheta') in plain words."""
    m = _SPEC.match(model or "")
    if m:
        members = [p.strip().split(" ")[0] for p in m.group(2).split(",")]
        how = "the middle of" if m.group(1) == "median" else "a weighted mix of"
    elif "+" in (model or ""):
        members, how = model.split("+"), "the average of"
    else:
        return MODEL_WORDS.get(model, model)
    words = list(dict.fromkeys(MODEL_WORDS.get(x, x) for x in members))
    if len(words) == 1:
        return words[0]
    if len(words) > 3:
        return f"{how} {len(words)} methods"
    return f"{how} {', '.join(words[:-1])} and {words[-1]}"


def method_mix(choice: pd.DataFrame) -> pd.DataFrame:
    """Per level: the methods in words and how many series each forecasts, most first."""
    cols = ["level", "method", "series"]
    if choice is None or choice.empty:
        return pd.DataFrame(columns=cols)
    out = choice.assign(method=choice["model"].map(model_words))
    out = out.groupby(["level", "method"], as_index=False)["series"].sum()
    out = out.assign(_o=out["level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)}))
    out = out.sort_values(["_o", "series", "method"], ascending=[True, False, True])
    return out.assign(level=out["level"].map(LEVEL_WORDS).fillna(out["level"]))[cols]


def backtest_by_level(backtest: pd.DataFrame) -> pd.DataFrame:
    """The chosen method's backtest error by level (MASE, before and after the levels were
    made to add up, and the same month last year's), top level first."""
    cols = ["level", "mase", "mase_base", "mase_snaive", "origins"]
    if backtest is None or backtest.empty:
        return pd.DataFrame(columns=cols)
    out = backtest.assign(_o=backtest["level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)}))
    out = out.sort_values("_o")
    return out.assign(level=out["level"].map(LEVEL_WORDS).fillna(out["level"]))[cols]


def method_tables(plan: Plan, w: Window) -> dict[str, dict]:
    """forecast_methods and forecast_backtest for the packet's accuracy section."""
    mix = method_mix(plan.forecast_choice)
    return {
        "forecast_methods": table(
            mix, [Col("level", "Level"), Col("method", "Method"),
                  Col("series", "Series", "count")],
            title="How this forecast was made", unit="series forecast by each method",
            period=f"forecast made after {w.period}",
            note=(f"forecasts adjusted so that all levels add up: {plan.reconciliation_reason}"
                  if plan.reconciliation_reason else None),
            empty="No method record for this forecast."),
        "forecast_backtest": table(
            backtest_by_level(plan.forecast_backtest),
            [Col("level", "Level"), Col("mase", "Error of this forecast (MASE)", "ratio"),
             Col("mase_base", "Before the levels add up", "ratio"),
             Col("mase_snaive", "Same month last year", "ratio"),
             Col("origins", "Past forecasts", "count")],
            title="Backtest: the same method on past months", unit="scaled error (MASE): 1 = "
            "as far off as the same month last year was in the past; lower is better",
            period=f"months before {w.period}",
            empty="Too little history to backtest."),
    }
