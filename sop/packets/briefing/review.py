"""The demand review in the packets: what the supply side is planned on (every packet says
it), and the value each step of the review added (sales administration and management):
the stairstep from the naive forecast to the approved plan, and per submitting department
whether its adjustments helped."""

from __future__ import annotations

import math

from sop.config import DEPARTMENT_TITLES
from sop.consensus.fva import head_value, stairstep
from sop.packets.briefing.common import Col, Window, table
from sop.plan import Plan

STEP_NAMES = {"naive": "Naive: the same month last year", "statistical": "Statistical forecast",
              "sales": "Sales' numbers", "marketing": "Marketing's numbers",
              "consensus": "Consensus", "approved": "Approved plan"}


def basis_text(plan: Plan, w: Window) -> str:
    """One sentence: the forecast the supply side of this packet is planned on."""
    b = plan.basis or {}
    if b.get("kind") == "approved":
        return (f"Planned on the {w.period} consensus, approved by {b['author']} on "
                f"{b['date']} (revision {b['revision']}).")
    return (f"Planned on the statistical forecast: the {w.period} consensus is not approved "
            "yet.")


def _points(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v * 100.0


def _words(dept: str, added: float, better: int, periods: int) -> str:
    who = DEPARTMENT_TITLES[dept]
    if abs(added) < 0.0005:
        return f"{who}: as accurate as the statistical forecast"
    verb = "improved" if added > 0 else "worsened"
    return (f"{who}: adjustments {verb} the forecast by {abs(added) * 100:.1f} points "
            f"({better} of {periods} months better)")


def review_tables(plan: Plan, w: Window) -> dict[str, dict]:
    """review_stairstep (one month ahead), review_stairstep_3 (three months ahead) and
    review_heads, from the scores of earlier reviews (Plan.review_scores)."""
    scores = plan.review_scores
    cols = [Col("step", "Step"), Col("periods", "Months scored", "count"),
            Col("wape", "Error (WAPE)", "share"), Col("bias", "Bias", "pct"),
            Col("added_vs_statistical", "Better than the statistical by", "pp"),
            Col("added_vs_naive", "Better than naive by", "pp")]
    out = {}
    for key, lag, ahead in (("review_stairstep", 1, "one month"),
                            ("review_stairstep_3", 3, "three months")):
        s = stairstep(scores, "total", lag)
        s = s.assign(step=s["step"].map(STEP_NAMES), wape=s["wape"] * 100.0,
                     bias=s["bias"] * 100.0,
                     added_vs_statistical=[_points(v) for v in s["added_vs_statistical"]],
                     added_vs_naive=[_points(v) for v in s["added_vs_naive"]])
        out[key] = table(
            s, cols, title=f"Forecast value added, {ahead} ahead",
            unit="error as a share of actual units, all products; points of error",
            period=f"reviews before {w.period}",
            empty="No demand review scored yet: a review is scored once its months have "
                  "actuals.",
            note="Each step is compared with the statistical forecast on the months it exists "
                 "for; positive points: the step made the forecast better.")
    heads = head_value(scores, plan.review_authors, "total", 1)
    heads = heads.assign(
        words=[_words(r.department, r.added, r.better, r.periods)
               for r in heads.itertuples(index=False)],
        department=heads["department"].map(DEPARTMENT_TITLES),
        wape=heads["wape"] * 100.0, wape_statistical=heads["wape_statistical"] * 100.0,
        added=[_points(v) for v in heads["added"]])
    out["review_heads"] = table(
        heads, [Col("department", "Department"), Col("authors", "Submitted by"),
                Col("periods", "Months scored", "count"), Col("better", "Months better", "count"),
                Col("worse", "Months worse", "count"), Col("wape", "Error (WAPE)", "share"),
                Col("wape_statistical", "Statistical, same months", "share"),
                Col("added", "Value added", "pp"), Col("words", "In words")],
        title="Did the adjustments help?", unit="all products, one month ahead",
        period="the last six reviews scored", empty="No submission scored yet.")
    return out

