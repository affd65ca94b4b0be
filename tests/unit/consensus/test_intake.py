"""The forecast-review workbook read back: exactly what a head filled, or one error listing
every problem with its sheet and cell; the same row checks for a second source."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest

from reports.i18n import Locale
from reports.review_workbook import review_workbook
from reports.workbook import as_text
from sop.consensus.intake import NOT_A_REVIEW, checked_adjustments, workbook_adjustments
from sop.consensus.model import ADJUSTMENT_COLUMNS, REASONS, ReviewError
from sop.consensus.scope import REVIEW_ROW_COLUMNS, ReviewScope, review_months

SHEET = "sheet 'Forecast review', cell"


def spellings(names: dict[str, str]) -> dict[str, str]:
    """code -> name as a scope holds it: every name and every code -> the code."""
    return {**{n: c for c, n in names.items()}, **{c: c for c in names}}


def make_scope(period: str = "2026-10") -> ReviewScope:
    return ReviewScope(
        period=period, months=review_months(period, 2), categories=("Gadgets", "Widgets"),
        regions=("North", "South"),
        customers=spellings({"CU-001": "Acme Ltd", "CU-002": "Beta Stores"}),
        products=spellings({"SKU-W1": "Blue widget", "SKU-G1": "Red gadget"}),
        key_accounts=("CU-001",))


def make_rows(scope: ReviewScope) -> pd.DataFrame:
    """Category x region x month rows (rows 6 to 13), then the key account's (14, 15)."""
    rows = [{"category": c, "region": r, "customer": None, "customer_id": None, "ds": ds,
             "statistical": 100.0 + k, "statistical_revenue": 1000.0 + k, "last_year": 90.0,
             "budget": 110.0, "budget_revenue": 1100.0}
            for ds in scope.months for c in scope.categories for k, r in enumerate(scope.regions)]
    rows += [{"category": None, "region": None, "customer": "Acme Ltd", "customer_id": "CU-001",
              "ds": ds, "statistical": 50.0, "statistical_revenue": 500.0,
              "last_year": float("nan"), "budget": None, "budget_revenue": None}
             for ds in scope.months]
    return pd.DataFrame(rows, columns=list(REVIEW_ROW_COLUMNS))


def filled(data: bytes, cells: dict[str, object], percent: tuple[str, ...] = ()) -> bytes:
    """The workbook as a head returns it: `cells` typed in, `percent` ones typed as 10%."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
        as_text(ws[ref])
        if ref in percent:
            ws[ref].number_format = "0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def adjustment(ref, ds, category=None, region=None, customer_id=None, sku=None, qty=None,
               change_pct=None, reason=None, comment=None) -> dict:
    return {"source_ref": ref, "ds": pd.Timestamp(ds), "category": category, "region": region,
            "customer_id": customer_id, "sku": sku, "qty": qty, "change_pct": change_pct,
            "reason": reason, "comment": comment}


def records_of(frame: pd.DataFrame) -> list[dict]:
    assert tuple(frame.columns) == ADJUSTMENT_COLUMNS
    return frame.to_dict("records")


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_round_trip_gives_exactly_what_the_head_filled(locale):
    scope = make_scope()
    book = review_workbook(make_rows(scope), scope, "sales", locale)
    wb = openpyxl.load_workbook(io.BytesIO(book))
    sheet, labels = wb.sheetnames[0], [c.value for c in wb.worksheets[1]["A"][1:]]
    by_code = dict(zip(REASONS, labels, strict=True))
    cells = {
        "K6": 120, "M6": by_code["promotion"],  # Gadgets North 2026-11: a number
        "L9": 0.1, "M9": by_code["price_change"], "N9": "list price up",  # Widgets South: 10%
        "M10": by_code["promotion"],  # a reason without a number changes nothing
        "L14": -20, "M14": "Customer order or commitment",  # key account, English label
        # empty rows: the total, a customer by code, a product in a region, in another case
        "E16": "2026-12", "K16": 1500.5, "M16": "market_trend",
        "C17": "CU-002", "E17": "2026-11", "K17": 0, "M17": "其他（请在备注中说明原因）",
        "N17": "lost the account",
        "B18": "south", "D18": "red gadget", "E18": "2026-12", "L18": 5, "M18": "Other (say why in the comment)", "N18": "=launch",
    }
    got = workbook_adjustments(filled(book, cells, percent=("L9",)), scope, "sales")
    assert records_of(got) == [
        adjustment(f"{sheet}!K6", "2026-11-01", "Gadgets", "North", qty=120.0,
                   reason="promotion"),
        adjustment(f"{sheet}!L9", "2026-11-01", "Widgets", "South", change_pct=10.0,
                   reason="price_change", comment="list price up"),
        adjustment(f"{sheet}!L14", "2026-11-01", customer_id="CU-001", change_pct=-20.0,
                   reason="customer_order"),
        adjustment(f"{sheet}!K16", "2026-12-01", qty=1500.5, reason="market_trend"),
        adjustment(f"{sheet}!K17", "2026-11-01", customer_id="CU-002", qty=0.0,
                   reason="other", comment="lost the account"),
        adjustment(f"{sheet}!L18", "2026-12-01", region="South", sku="SKU-G1", change_pct=5.0,
                   reason="other", comment="=launch"),
    ]
    assert str(got["ds"].dtype).startswith("datetime64")


def test_an_untouched_workbook_gives_no_adjustments():
    scope = make_scope()
    got = workbook_adjustments(review_workbook(make_rows(scope), scope, "marketing"), scope,
                               "marketing")
    assert len(got) == 0 and tuple(got.columns) == ADJUSTMENT_COLUMNS


def test_every_problem_is_listed_at_once_with_its_sheet_and_cell():
    scope = make_scope()
    book = review_workbook(make_rows(scope), scope, "sales")
    cells = {
        "K6": "abc", "M6": "promotion",
        "K7": -5, "M7": "promotion",
        "L8": -150, "M8": "promotion",
        "K9": 10, "L9": 5, "M9": "promotion",
        "K10": 10,
        "K11": 10, "M11": "Weather",
        "K12": 10, "M12": "other",
        "K13": 0.1, "M13": "promotion",  # 10% typed where units go
        "K14": 60, "M14": "promotion",
        "A16": "Toys", "E16": "2026-11", "K16": 1, "M16": "promotion",
        "B17": "West", "E17": "2026-11", "K17": 1, "M17": "promotion",
        "C18": "Nobody", "E18": "2026-11", "K18": 1, "M18": "promotion",
        "D19": "Pink widget", "E19": "2026-11", "K19": 1, "M19": "promotion",
        "A20": "Gadgets", "C20": "Acme Ltd", "E20": "2026-11", "K20": 1, "M20": "promotion",
        "K21": 1, "M21": "promotion",
        "E22": "Dec 2026", "K22": 1, "M22": "promotion",
        "E23": "2027-06", "K23": 1, "M23": "promotion",
        "C24": "acme ltd", "E24": "2026-11", "L24": 3, "M24": "promotion",  # = row 14
    }
    with pytest.raises(ReviewError) as e:
        workbook_adjustments(filled(book, cells, percent=("K13",)), scope, "sales")
    expected = [
        f"{SHEET} K6: 'abc' is not a number",
        f"{SHEET} K7: -5 is negative",
        f"{SHEET} L8: -150 % is below -100 %",
        f"{SHEET} L9: both a number ({SHEET} K9) and a change are filled",
        f"{SHEET} M10: a number or a change needs a reason",
        f"{SHEET} M11: 'Weather' is not one of the reasons",
        f"{SHEET} N12: the reason is 'other': say why in the comment",
        f"{SHEET} K13: '10%' is not a number",
        f"{SHEET} A16: 'Toys' is not a category of this review",
        f"{SHEET} B17: 'West' is not a region of this review",
        f"{SHEET} C18: 'Nobody' is not a customer of this review",
        f"{SHEET} D19: 'Pink widget' is not a product of this review",
        f"{SHEET} A20: a category and a customer together name no level",
        f"{SHEET} E21: the month is missing",
        f"{SHEET} E22: 'Dec 2026' is not a month (YYYY-MM)",
        f"{SHEET} E23: 2027-06 is not a month of this review (2026-11 to 2026-12)",
        f"{SHEET} E14 and {SHEET} E24: the same group and month twice (acme ltd, 2026-11)",
    ]
    problems = e.value.problems
    assert len(problems) == len(expected), problems
    for want, got in zip(expected, problems, strict=True):
        assert got.startswith(want), (want, got)


def test_a_workbook_for_another_period_or_department_says_which():
    scope = make_scope("2026-10")
    book = filled(review_workbook(make_rows(scope), scope, "marketing"),
                  {"K6": 120, "M6": "promotion"})
    with pytest.raises(ReviewError) as e:
        workbook_adjustments(book, make_scope("2026-11"), "sales")
    assert e.value.problems == [
        "this workbook is the review of period 2026-10, not 2026-11: send back the one "
        "attached to the 2026-11 packet",
        "this workbook is the marketing department's review, not the sales department's: "
        "send back the one attached to the sales packet"]
    assert len(workbook_adjustments(book, scope, "marketing")) == 1


def test_a_file_that_is_not_a_review_workbook_is_refused():
    scope = make_scope()
    with pytest.raises(ReviewError, match=r"cannot be read as an Excel workbook"):
        workbook_adjustments(b"PK\x03\x04 not really a zip", scope, "sales")
    plain = openpyxl.Workbook()
    plain.active.title = "Forecast review"
    out = io.BytesIO()
    plain.save(out)
    with pytest.raises(ReviewError) as e:
        workbook_adjustments(out.getvalue(), scope, "sales")
    assert e.value.problems == [NOT_A_REVIEW]


def dataset_place(i: int, field: str) -> str:
    return f"forecast_adjustments row {i + 1}, column {field}"


def test_the_row_checks_serve_another_source():
    scope = make_scope()
    base = {"category": None, "region": None, "customer": None, "product": None,
            "month": "2026-11", "qty": None, "change_pct": None, "reason": "promotion",
            "comment": None}
    good = [{**base, "qty": np.int64(1200)},
            {**base, "customer": "Beta Stores", "change_pct": "12.5%", "month": "2026-12",
             "source_ref": "forecast_adjustments id 7"},
            {**base, "product": "SKU-W1", "region": "North", "qty": Decimal("10.5"),
             "reason": "Aktion"},
            {**base, "region": "North", "qty": "1,000", "month": pd.Timestamp("2026-12-01")}]
    got = checked_adjustments(good, scope, dataset_place, reasons={"Aktion": "promotion",
                                                                   "Bogus": "no_such_code"})
    assert records_of(got) == [
        adjustment("forecast_adjustments row 1, column qty", "2026-11-01", qty=1200.0,
                   reason="promotion"),
        adjustment("forecast_adjustments id 7", "2026-12-01", customer_id="CU-002",
                   change_pct=12.5, reason="promotion"),
        adjustment("forecast_adjustments row 3, column qty", "2026-11-01", region="North",
                   sku="SKU-W1", qty=10.5, reason="promotion"),
        adjustment("forecast_adjustments row 4, column qty", "2026-12-01", region="North",
                   qty=1000.0, reason="promotion")]
    bad = [{**base, "qty": 1}, {**base, "region": "North", "qty": float("inf")},
           {**base, "region": "South", "qty": "abc"},
           {**base, "category": "Gadgets", "change_pct": 1, "reason": "Bogus"},
           {**base, "qty": 2}]
    with pytest.raises(ReviewError) as e:
        checked_adjustments(bad, scope, dataset_place)
    assert [p.split(":")[0] for p in e.value.problems] == [
        "forecast_adjustments row 2, column qty", "forecast_adjustments row 3, column qty",
        "forecast_adjustments row 4, column reason",
        "forecast_adjustments row 1, column month and forecast_adjustments row 5, column month"]
    assert e.value.problems[1].endswith(": 'abc' is not a number")
    assert e.value.problems[2].endswith(": 'Bogus' is not one of the reasons; pick one from "
                                        "the list")  # a spelling of an unknown code


def test_a_random_review_reads_back_what_was_typed():
    rng = np.random.default_rng(1811)
    names = iter(sorted({"".join(rng.choice(list("bcdfghklmnprst"), 7)).capitalize()
                         for _ in range(60)}))
    cats = tuple(next(names) for _ in range(rng.integers(1, 4)))
    regions = (*(next(names) for _ in range(rng.integers(1, 4))), "-East")  # read as text
    customers = {f"K{k:03d}": f"{next(names)} Ltd" for k in range(rng.integers(2, 6))}
    products = {f"P{k:03d}": f"{next(names)} kit" for k in range(rng.integers(2, 6))}
    scope = ReviewScope("2027-03", review_months("2027-03", int(rng.integers(1, 6))),
                        tuple(sorted(cats)), tuple(sorted(regions)), spellings(customers),
                        spellings(products),
                        tuple(sorted(rng.choice(sorted(customers), 2, replace=False))))
    grid = [{"category": c, "region": r, "customer_id": None, "ds": ds}
            for ds in scope.months for c in scope.categories for r in scope.regions]
    accounts = [{"category": None, "region": None, "customer_id": k, "ds": ds}
                for k in scope.key_accounts for ds in scope.months]
    rows = pd.DataFrame([{**r, "customer": customers.get(r["customer_id"]),
                          **dict(zip(REVIEW_ROW_COLUMNS[5:], rng.integers(0, 999, 5) * 1.0,
                                     strict=True))} for r in grid + accounts],
                        columns=list(REVIEW_ROW_COLUMNS))
    locale = str(rng.choice(["en", "zh"]))
    book = review_workbook(rows, scope, "marketing", locale)
    sheet = openpyxl.load_workbook(io.BytesIO(book)).sheetnames[0]
    zh = {c: Locale("zh").t(label) for c, label in REASONS.items()}
    cells, percent, expected, used = {}, [], [], set()

    def typed_in(row: int, keys: dict, ds: pd.Timestamp) -> None:
        code = str(rng.choice(list(REASONS)))
        cells[f"M{row}"] = str(rng.choice([code, REASONS[code], zh[code]]))
        comment = f"because {row}" if code == "other" or rng.random() < 0.3 else None
        cells[f"N{row}"] = comment
        if rng.random() < 0.5:
            qty = float(rng.integers(0, 5000))
            cells[f"K{row}"], ref, change = qty, f"{sheet}!K{row}", None
        else:
            qty, change, ref = None, float(rng.integers(-100, 300)), f"{sheet}!L{row}"
            cells[f"L{row}"] = change / 100 if rng.random() < 0.5 else change
            percent.extend([f"L{row}"] if cells[f"L{row}"] != change else [])
        expected.append(adjustment(ref, ds, **keys, qty=qty, change_pct=change, reason=code,
                                   comment=comment))

    for i, r in enumerate(grid + accounts):
        keys = {k: r[k] for k in ("category", "region", "customer_id")}
        used.add((r["ds"], *keys.values(), None))
        if rng.random() < 0.3:
            typed_in(6 + i, keys, r["ds"])
    row = 6 + len(rows)
    for _ in range(40):
        ds = scope.months[rng.integers(len(scope.months))]
        level = str(rng.choice(["total", "category", "region", "customer", "sku", "sku_region"]))
        pick = {"category": ("category",), "region": ("region", "sku_region"),
                "customer_id": ("customer",), "sku": ("sku", "sku_region")}
        pool = {"category": scope.categories, "region": scope.regions,
                "customer_id": sorted(customers), "sku": sorted(products)}
        keys = {k: str(rng.choice(pool[k])) if level in pick[k] else None for k in pick}
        if (ds, *keys.values()) in used:
            continue
        used.add((ds, *keys.values()))
        cells.update({f"A{row}": keys["category"], f"B{row}": keys["region"],
                      f"E{row}": ds.strftime("%Y-%m")})
        if keys["customer_id"]:
            cells[f"C{row}"] = str(rng.choice([keys["customer_id"], customers[keys["customer_id"]]]))
        if keys["sku"]:
            cells[f"D{row}"] = str(rng.choice([keys["sku"], products[keys["sku"]]]))
        typed_in(row, keys, ds)
        row += 1
    got = workbook_adjustments(filled(book, cells, tuple(percent)), scope, "marketing")
    assert len(expected) > 10 and records_of(got) == expected
