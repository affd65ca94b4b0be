"""The pull, end to end on generated ERPs no other test uses: the computed actions close the
alerts they answer (entered into the ERP data and the balance re-run), and alerts rank by
the money at stake, with planted shortages of known sizes."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from sop.config import PlanningConfig, Thresholds
from sop.demo import erp_tables
from sop.forecast.hierarchy import reconciled_forecast
from sop.ingest.staging import staged_as_of
from sop.packets.briefing.alerts import alerts_table, ranked_alerts
from sop.plan import History
from sop.planning.actions import with_actions_applied
from sop.planning.build import demand_history, plan_from_forecast, supply_view

WORD = re.compile(r"[A-Za-z]{3,}")
KEEP = {"SKU", "SKUs", "BOM", "ERP", "OTIF"}  # kept in English in Chinese business text
FG_RULES = {"stockout", "below_safety_stock", "demand_supply_divergence"}
CASES = [(23, "2025-09"), (41, "2026-03")]  # seeds and months no other test plans


def _cycle(data, period, planning, thresholds):
    monthly, series = demand_history(data, period, planning)
    rec = reconciled_forecast(series, h=planning.horizon_months)
    plan = plan_from_forecast(data, period, monthly, series, rec, planning, thresholds,
                              History())
    return plan, series


@pytest.fixture(scope="module", params=CASES, ids=[f"seed{s}-{p}" for s, p in CASES])
def cycle(request):
    seed, period = request.param
    data = staged_as_of(erp_tables("small", seed=seed, end=period), period)
    planning, thresholds = PlanningConfig(), Thresholds()
    plan, series = _cycle(data, period, planning, thresholds)
    return data, period, plan, series, planning, thresholds


def _figures(alerts: pd.DataFrame) -> list[dict]:
    return [json.loads(f) for f in alerts["figures"]]


def test_every_alert_is_valued_named_and_has_an_action(cycle):
    data, period, plan, *_ = cycle
    assert len(plan.alerts) > 0
    codes = set(data["products"]["sku"]) | set(data["materials"]["material_id"])
    for r, f in zip(plan.alerts.itertuples(), _figures(plan.alerts), strict=True):
        assert f["value"] >= 0 and f["units"] >= 0 and f["value_basis"], r.alert_key
        assert f["action"] and f["action_owner"] in {"supply", "procurement", "sales",
                                                     "sales_admin"}, r.alert_key
        assert f["group"] and f["group_value"] >= f["value"] - 0.01, r.alert_key
        # names, not codes, in what a head reads
        assert "@" not in r.message and not any(c in r.message.split() for c in codes)
        assert "@" not in f["name"]


def test_entering_the_actions_closes_the_alerts_they_answer(cycle):
    data, period, plan, series, planning, thresholds = cycle
    before = plan.alerts
    assert before["rule"].isin(FG_RULES | {"material_shortage"}).any()
    after_data = with_actions_applied(data, plan.actions, period)
    view = supply_view(after_data, period, plan.forecast, series, plan.budget, planning,
                       thresholds, History())
    after = view.alerts
    assert not after["rule"].isin(FG_RULES).any(), after[after["rule"].isin(FG_RULES)]
    # every warehouse at or above safety stock over the horizon once the pull is entered
    gap = view.balance["safety_stock"] - view.balance["closing"]
    assert gap.max() <= 1e-6
    # a material shortage stays only where no order can arrive in time (the action says so)
    late = set(plan.actions.purchases.loc[plan.actions.purchases["late"], "material_id"])
    left = set(after.loc[after["rule"] == "material_shortage", "entity"])
    assert left <= late
    was = set(before.loc[before["rule"] == "material_shortage", "entity"])
    assert was - late, "the case should hold shortages an order placed now closes"
    # and entering the late orders too (were they possible) would close those as well
    all_in = with_actions_applied(data, plan.actions, period, include_late=True)
    again = supply_view(all_in, period, plan.forecast, series, plan.budget, planning,
                        thresholds, History())
    assert not again.material_balance["shortage"].gt(1e-6).any()


def test_the_inputs_of_the_what_if_are_not_mutated(cycle):
    data, period, plan, *_ = cycle
    copies = {k: v.copy() for k, v in data.items()}
    with_actions_applied(data, plan.actions, period, include_late=True)
    for k, v in data.items():
        pd.testing.assert_frame_equal(v, copies[k])


def _plant(data, period, plan, sku_wh, units):
    """Lower the latest snapshot's on hand of sku x warehouse so its lowest projected closing
    in the first two months is exactly -units."""
    sku, wh = sku_wh
    b = plan.balance
    start = pd.Timestamp(period + "-01")
    window = b[(b["sku"] == sku) & (b["warehouse_id"] == wh) & (b["ds"] > start)
               & (b["ds"] <= start + pd.DateOffset(months=2))]
    cut = float(window["closing"].min()) + units
    inv = data["inventory"]
    day = inv.loc[inv["item_type"] == "finished", "snapshot_date"].max()
    at = ((inv["snapshot_date"] == day) & (inv["item_id"] == sku) & (inv["warehouse_id"] == wh)
          ).to_numpy().nonzero()[0][0]
    out = inv.copy()
    out.loc[out.index[at], "on_hand"] -= cut
    return {**data, "inventory": out}


def test_planted_shortages_rank_by_money_and_a_one_unit_one_is_folded(cycle):
    data, period, plan, series, planning, thresholds = cycle
    b = plan.balance
    start = pd.Timestamp(period + "-01")
    window = b[(b["ds"] > start) & (b["ds"] <= start + pd.DateOffset(months=2))]
    low = window.groupby(["sku", "warehouse_id"])["closing"].min()
    healthy = low[low > window.groupby(["sku", "warehouse_id"])["safety_stock"].max() + 5]
    assert len(healthy) >= 2
    prices = data["products"].set_index("sku")["list_price"]
    big, small = healthy.index[0], healthy.index[-1]
    planted = _plant(_plant(data, period, plan, big, 600.0), period, plan, small, 1.0)
    view = supply_view(planted, period, plan.forecast, series, plan.budget, planning,
                       thresholds, History())
    alerts = view.alerts.set_index("alert_key")
    f_big = json.loads(alerts.loc[f"stockout:{big[0]}@{big[1]}", "figures"])
    f_small = json.loads(alerts.loc[f"stockout:{small[0]}@{small[1]}", "figures"])
    assert f_big["units"] == pytest.approx(600.0)
    assert f_big["value"] == pytest.approx(600.0 * prices[big[0]], rel=1e-6)
    assert f_small["units"] == pytest.approx(1.0)
    assert alerts.loc[f"stockout:{small[0]}@{small[1]}", "severity"] == "minor"
    # the packet's groups are ordered by money at stake; nothing minor is listed
    shown = alerts_table(view.alerts, None, period)
    values = [r["value"] for r in shown["rows"]]
    assert values == sorted(values, reverse=True)
    assert "minor" not in {r["severity"] for r in shown["rows"]}
    assert "below materiality" in shown["note"]
    ranked = ranked_alerts(view.alerts)
    assert shown["rows"][0]["value"] == pytest.approx(ranked["group_value"].max())
    groups = {r["name"] for r in shown["rows"]}
    big_group = ranked.loc[ranked["alert_key"] == f"stockout:{big[0]}@{big[1]}", "group_name"]
    assert big_group.item() in groups
    # unit-sized stock-outs come after every group worth more
    assert all(r["value"] >= f_small["value"] for r in shown["rows"])


def test_material_shortage_is_valued_by_the_products_it_blocks(cycle):
    data, period, plan, *_ = cycle
    shortages = plan.alerts[plan.alerts["rule"] == "material_shortage"]
    assert len(shortages)
    bom, prices = data["bom"], data["products"].set_index("sku")["list_price"]
    for r, f in zip(shortages.itertuples(), _figures(shortages), strict=True):
        users = set(bom.loc[bom["material_id"] == r.entity, "sku"])
        assert set(f["blocked_skus"]) <= users
        top = max(prices[list(users)]) if users else 0.0
        assert f["value"] <= f["units"] * top * 1.0001 + 1  # no unit above its list price (2-dp rounding)
        assert f["material_units"] > 0


def test_planned_purchases_answer_the_plans_material_balance(cycle):
    data, period, plan, *_ = cycle
    assert set(plan.actions.purchases["material_id"]) <= set(
        plan.material_balance.loc[plan.material_balance["shortage"] > 0, "material_id"])


def _data_words(data) -> set[str]:
    """Every word of a name or code from the data (kept as it is in any language)."""
    texts = []
    for name, cols in {"products": ("sku", "name", "category"),
                       "warehouses": ("warehouse_id", "name", "region"),
                       "customers": ("customer_id", "name", "region"),
                       "materials": ("material_id", "name", "unit", "category"),
                       "suppliers": ("supplier_id", "name"),
                       "purchase_orders": ("po_id",), "invoices": ("invoice_id",),
                       "production_plan": ("line_id",),
                       "market_prices": ("index_name",)}.items():
        for c in cols:
            texts += data[name][c].dropna().astype(str).tolist()
    return {w for t in texts for w in WORD.findall(t)}


@pytest.mark.parametrize("department", ["supply", "procurement", "sales_admin", "management"])
def test_a_chinese_packet_leaves_no_english_in_alerts_actions_and_notes(cycle, department):
    from reports.i18n import Locale, localized
    from sop.packets.briefing import packet_context

    data, period, plan, *_ = cycle
    zh = localized(packet_context(department, period, data, plan, []), Locale("zh"))
    allowed = _data_words(data) | KEEP
    texts = list(zh["planning_notes"])
    for t in (zh["alerts"], zh["alerts_all"], *zh["actions"].values()):
        texts += [t["title"], t["unit"], t.get("note") or ""]
        texts += [c["label"] for c in t["columns"]]
        for r in t["rows"]:
            texts += [v for k, v in r.items() if isinstance(v, str) and k not in (
                "code", "product", "material", "supplier", "customer", "from_warehouse",
                "to_warehouse", "line_id", "po_id", "sku", "material_id", "supplier_id",
                "customer_id", "from_warehouse_id", "to_warehouse_id", "unit", "alternatives")]
    left = {t: sorted(set(WORD.findall(t)) - allowed) for t in texts}
    left = {t: w for t, w in left.items() if w}
    assert not left, list(left.items())[:5]
    assert len(texts) > 50
