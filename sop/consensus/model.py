"""The demand review's shapes, levels and reason codes, declared once.

An adjustment is a department head's number for one group of the forecast in one month:
the group is given by the keys it names (none = the total; category; region; category and
region; customer; product; product and region), the number either as units (`qty`) or as a
change against the statistical forecast (`change_pct`), with a reason code and a comment.

Cells are the statistical forecast at its finest grain: month x region x category x sku x
customer (the reconciled sku x region forecast split to customers), in units and revenue;
every level a packet shows is a sum of cells, so a version built on cells adds up at every
level by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

CELL_KEYS = ("ds", "region", "category", "sku", "customer_id")
CELL_COLUMNS = (*CELL_KEYS, "qty", "revenue")
GROUP_KEYS = ("category", "region", "customer_id", "sku")
ADJUSTMENT_COLUMNS = ("source_ref", "ds", *GROUP_KEYS, "qty", "change_pct", "reason",
                      "comment")

# level of an adjustment by the keys it names; PRECEDENCE: finest first (an adjustment fixes
# its cells, and a later, coarser one spreads its number over the cells not yet fixed)
LEVEL_OF_KEYS: dict[frozenset[str], str] = {
    frozenset({"sku", "region"}): "sku_region",
    frozenset({"sku"}): "sku",
    frozenset({"customer_id"}): "customer",
    frozenset({"category", "region"}): "category_region",
    frozenset({"category"}): "category",
    frozenset({"region"}): "region",
    frozenset(): "total",
}
PRECEDENCE: tuple[str, ...] = tuple(LEVEL_OF_KEYS.values())

# the levels a version is stored and scored at (sop.forecast.demand's, and customer)
VERSION_LEVELS = ("total", "category", "region", "category_region", "sku_region", "customer")

REASONS: dict[str, str] = {  # code -> what a head reads (Chinese in reports.catalog_zh_review)
    "promotion": "Promotion or campaign",
    "customer_order": "Customer order or commitment",
    "new_customer": "New customer or listing",
    "lost_customer": "Lost customer or delisting",
    "price_change": "Price change",
    "market_trend": "Market trend",
    "product_change": "New product or phase-out",
    "supply_constraint": "Supply constraint",
    "other": "Other (say why in the comment)",
}

DEPARTMENTS_THAT_SUBMIT = ("sales", "marketing")
APPROVER = "management"
SUPPLY_SIDE = ("supply", "procurement", "management")  # the packets sent again on approval

# version ids: the statistical forecast, each submission, the consensus and the approved plan
STATISTICAL, CONSENSUS, APPROVED = "statistical", "consensus", "approved"


class ReviewError(ValueError):
    """A submission or approval that cannot be taken; `problems` lists each one, naming
    where (a workbook's sheet and cell, or a dataset's row) and why. Nothing is stored."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        super().__init__("; ".join(shown) + (f"; and {more} more" if more > 0 else ""))


def level_of(row: dict | pd.Series) -> str | None:
    """The level an adjustment's keys name, or None for a combination no level has."""
    named = frozenset(k for k in GROUP_KEYS if _given(row.get(k)))
    return LEVEL_OF_KEYS.get(named)


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and \
        str(value).strip() != ""


@dataclass(frozen=True)
class Submission:
    """One department's adjustments for a period, as taken in: who, when, from where."""

    period: str
    department: str
    author: str
    adjustments: pd.DataFrame  # ADJUSTMENT_COLUMNS
    source: str  # the file name, or the dataset it came from
