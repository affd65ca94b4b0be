"""The demo ERP generator: deterministic, contract-shaped, consistent, with the planted divergence."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from sop.contracts import CONTRACTS, CYCLE_DATASETS
from sop.demo import PLANTED_CATEGORY, PLANTED_JUMP, SCALES, erp_tables, generate_erp

END = "2025-06"
END_DAY = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return erp_tables("small", seed=7, end=END)


def test_same_seed_gives_identical_frames(tables):
    again = erp_tables("small", seed=7, end=END)
    assert set(again) == set(CYCLE_DATASETS)  # the demo has no forecast_adjustments table
    for name in CYCLE_DATASETS:
        pd.testing.assert_frame_equal(tables[name], again[name], check_exact=True)


def test_a_different_seed_gives_different_data(tables):
    other = erp_tables("small", seed=8, end=END)
    assert not tables["sales_orders"].equals(other["sales_orders"])
    assert not tables["products"].equals(other["products"])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        erp_tables("huge")
    for end in ("2025-13", "2025/06", "June", "25-06", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            erp_tables("small", end=end)
    with pytest.raises(ValueError, match="unknown scale"):
        generate_erp("sqlite://", scale="tiny")
    assert set(SCALES) == {"small", "medium", "large"}


def test_every_contract_column_is_present_with_castable_types(tables):
    for name in CYCLE_DATASETS:
        contract, frame = CONTRACTS[name], tables[name]
        assert tuple(frame.columns) == contract.column_names, name
        assert len(frame) > 0, name
        for col in contract.columns:
            s = frame[col.name]
            if not col.nullable:
                assert s.notna().all(), f"{name}.{col.name} has nulls"
            if col.type == "date":
                assert pd.api.types.is_datetime64_any_dtype(s), f"{name}.{col.name}"
            elif col.type == "int":
                assert pd.api.types.is_integer_dtype(s), f"{name}.{col.name}"
            elif col.type == "number":
                assert np.isfinite(s.dropna().astype(float)).all(), f"{name}.{col.name}"
            else:
                assert s.dropna().map(type).eq(str).all(), f"{name}.{col.name}"


def test_contract_keys_are_unique(tables):
    for name in CYCLE_DATASETS:
        contract = CONTRACTS[name]
        dup = tables[name].duplicated(list(contract.key))
        assert not dup.any(), f"{name}: duplicate keys {tables[name][dup].head()}"


def test_every_reference_exists_in_its_master(tables):
    masters = {"sku": set(tables["products"]["sku"]),
               "customer_id": set(tables["customers"]["customer_id"]),
               "warehouse_id": set(tables["warehouses"]["warehouse_id"]),
               "material_id": set(tables["materials"]["material_id"]),
               "supplier_id": set(tables["suppliers"]["supplier_id"]),
               "promo_id": set(tables["promotions"]["promo_id"])}
    for name, frame in tables.items():
        for col, known in masters.items():
            if col in frame and name not in ("products", "customers", "warehouses",
                                             "materials", "suppliers", "promotions"):
                values = set(frame[col].dropna())
                assert values <= known, f"{name}.{col}: unknown {sorted(values - known)[:5]}"
    inv = tables["inventory"]
    fin = inv["item_type"] == "finished"
    assert set(inv.loc[fin, "item_id"]) <= masters["sku"]
    assert set(inv.loc[~fin, "item_id"]) <= masters["material_id"]
    orders = set(tables["sales_orders"]["order_id"])
    for name in ("shipments", "returns", "invoices"):
        assert set(tables[name]["order_id"]) <= orders, name


def test_masters_are_plausible(tables):
    p = tables["products"]
    assert (p["unit_cost"] < p["list_price"]).all()
    assert set(p["status"]) == {"active", "new", "discontinued"}
    assert set(tables["customers"]["channel"]) == {"direct", "distributor", "retail"}
    assert tables["customers"]["name"].str.contains("Key account").sum() == 2
    w = tables["warehouses"]
    assert (w["kind"] == "plant").sum() >= 1
    assert (w["kind"] == "distribution_centre").sum() == tables["customers"]["region"].nunique()
    bom = tables["bom"].merge(p[["sku", "status"]], on="sku")
    per_sku = bom[bom["status"] != "discontinued"].groupby("sku").size()
    assert per_sku.between(2, 4).all() and len(per_sku) == (p["status"] != "discontinued").sum()
    s = tables["suppliers"]
    assert s["contract_lead_time_days"].between(14, 90).all()
    assert set(s["status"]) == {"active", "inactive"}


def test_orders_shipments_returns_and_invoices_agree(tables):
    so, sh = tables["sales_orders"], tables["shipments"]
    assert (so["qty"] > 0).all()
    assert ((so["requested_date"] - so["order_date"]).dt.days.between(3, 21)).all()
    assert so["order_date"].max() <= END_DAY
    assert set(so["status"]) == {"shipped", "open", "cancelled"}
    open_lines = so[so["status"] == "open"]
    assert (open_lines["order_date"] >= END_DAY - pd.Timedelta(days=21)).all()
    assert so["promo_id"].notna().mean() > 0.05
    joined = sh.merge(so, on=["order_id", "line_no"], suffixes=("", "_order"))
    assert len(joined) == len(sh)
    lag = (joined["ship_date"] - joined["order_date"]).dt.days
    assert lag.between(1, 10).all() and joined["ship_date"].max() <= END_DAY
    assert (joined["sku"] == joined["sku_order"]).all()
    shipped = joined.groupby(["order_id", "line_no"])["qty"].sum()
    ordered = so[so["status"] == "shipped"].set_index(["order_id", "line_no"])["qty"]
    pd.testing.assert_series_equal(shipped.sort_index(), ordered.sort_index(), check_names=False)
    assert sh.groupby(["order_id", "line_no"]).size().max() == 2

    ret = tables["returns"]
    share = len(ret) / len(ordered)
    assert 0.005 < share < 0.04
    last = sh.groupby(["order_id", "sku"])["ship_date"].max().rename("last_ship")
    assert not so.duplicated(["order_id", "sku"]).any()
    rj = ret.join(last, on=["order_id", "sku"])
    assert (rj["return_date"] > rj["last_ship"]).all() and (ret["return_date"] <= END_DAY).all()
    assert set(ret["reason"]) == {"damaged", "wrong item", "quality", "customer changed mind"}

    inv = tables["invoices"]
    assert inv["order_id"].is_unique and set(inv["order_id"]) == set(sh["order_id"])
    value = (so[so["status"] == "shipped"].assign(v=lambda d: d["qty"] * d["unit_price"])
             .groupby("order_id")["v"].sum())
    np.testing.assert_allclose(inv.set_index("order_id")["amount"], value.loc[inv["order_id"]],
                               rtol=1e-9)
    terms = (inv["due_date"] - inv["invoice_date"]).dt.days
    assert set(terms) == {30, 60}
    paid = inv["status"] == "paid"
    assert inv.loc[paid, "paid_date"].notna().all() and inv.loc[~paid, "paid_date"].isna().all()
    assert (inv.loc[paid, "paid_amount"] == inv.loc[paid, "amount"]).all()
    assert set(inv["status"]) == {"paid", "open", "disputed", "refused"}
    overdue = (inv["status"] == "open") & (inv["due_date"] < END_DAY)
    assert overdue.sum() > 0 and (inv.loc[paid, "paid_date"] > inv.loc[paid, "due_date"]).any()


def test_procurement_and_stock(tables):
    po = tables["purchase_orders"]
    got = po["received_date"].notna()
    assert (po.loc[got, "received_date"] >= po.loc[got, "order_date"]).all()
    assert (po.loc[got, "received_qty"] <= po.loc[got, "qty"]).all()
    assert po.loc[~got, "received_qty"].isna().all()
    lead = po.merge(tables["suppliers"], on="supplier_id")
    assert ((lead["promised_date"] - lead["order_date"]).dt.days
            == lead["contract_lead_time_days"]).all()
    recent = po["order_date"] > END_DAY - pd.Timedelta(days=62)
    assert po.loc[recent, "received_date"].isna().mean() > 0.5
    inv = tables["inventory"]
    assert (inv["allocated"] <= inv["on_hand"]).all() and (inv["on_hand"] >= 0).all()
    assert inv["snapshot_date"].nunique() == 12 and inv["snapshot_date"].max() == END_DAY
    assert (inv["snapshot_date"] + pd.offsets.MonthEnd(0) == inv["snapshot_date"]).all()
    plants = set(tables["warehouses"].query("kind == 'plant'")["warehouse_id"])
    assert set(inv.loc[inv["item_type"] == "material", "warehouse_id"]) <= plants
    ci = tables["channel_inventory"]
    dist = set(tables["customers"].query("channel == 'distributor'")["customer_id"])
    assert set(ci["customer_id"]) <= dist and (ci[["sell_out_qty", "stock_qty"]] >= 0).all().all()
    mp = tables["maintenance_plan"]
    shutdown = mp[mp["kind"] == "shutdown"].iloc[0]
    assert shutdown["capacity_lost_pct"] == 100
    assert END_DAY < shutdown["start_date"] <= END_DAY + pd.Timedelta(days=92)
    assert 7 <= (shutdown["end_date"] - shutdown["start_date"]).days + 1 <= 14
    assert (mp["capacity_lost_pct"] < 100).any()
    pp, sp = tables["production_plan"], tables["shipping_plan"]
    assert (pp["plan_week"].dt.dayofweek == 0).all() and (sp["ship_week"].dt.dayofweek == 0).all()
    assert pp["plan_week"].nunique() == 39 and sp["ship_week"].nunique() == 8
    assert sp["ship_week"].min() > END_DAY


def _monthly(frame, date_col, qty_col, products):
    f = frame.merge(products[["sku", "category"]], on="sku")
    return f.groupby([f[date_col].dt.to_period("M"), "category"])[qty_col].sum().unstack(fill_value=0)


def test_planted_category_jumps_while_its_production_plan_does_not(tables):
    so = tables["sales_orders"]
    demand = _monthly(so[so["status"] != "cancelled"], "order_date", "qty", tables["products"])
    last3, prior12 = demand.iloc[-3:].mean(), demand.iloc[-15:-3].mean()
    ratio = last3 / prior12
    assert ratio[PLANTED_CATEGORY] > 1.25 and PLANTED_JUMP == 1.5
    assert (ratio.drop(PLANTED_CATEGORY) < 1.25).all()

    pp = tables["production_plan"]
    future = pp[pp["plan_week"] > END_DAY].merge(tables["products"][["sku", "category"]], on="sku")
    per_month = future.groupby("category")["planned_qty"].sum() / 6  # 26 weeks ~ 6 months
    assert per_month[PLANTED_CATEGORY] < 0.85 * last3[PLANTED_CATEGORY]
    assert per_month[PLANTED_CATEGORY] < 1.15 * prior12[PLANTED_CATEGORY]
    others = per_month.drop(PLANTED_CATEGORY) / demand.iloc[-12:].mean().drop(PLANTED_CATEGORY)
    assert others.between(0.8, 1.3).all(), others

    stock = tables["inventory"].query("item_type == 'finished'").merge(
        tables["products"][["sku", "category"]], left_on="item_id", right_on="sku")
    cover = stock[stock["snapshot_date"] == END_DAY].groupby("category")["on_hand"].sum() / last3
    assert cover[PLANTED_CATEGORY] < 0.5 and (cover.drop(PLANTED_CATEGORY) > 0.7).all()


def test_history_ends_at_end_and_keeps_the_seasons():
    t = erp_tables("small", seed=3, end="2019-12")
    so = t["sales_orders"]
    assert so["order_date"].min() >= pd.Timestamp("2016-01-01")
    assert so["order_date"].max() <= pd.Timestamp("2019-12-31")
    monthly = so.groupby(so["order_date"].dt.month)["qty"].sum()
    assert monthly.idxmax() == 12  # the Christmas peak stays in December


def test_small_scale_written_to_sqlite_reads_back(tmp_path, tables):
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    counts = generate_erp(url, "small", seed=7, end=END)
    assert counts == {name: len(frame) for name, frame in tables.items()}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            for name, n in counts.items():
                assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one() == n
            cols = [c["name"] for c in sa.inspect(conn).get_columns("sales_orders")]
            assert tuple(cols) == CONTRACTS["sales_orders"].column_names
            back = sa.Table("sales_orders", sa.MetaData(), autoload_with=conn)
            first = conn.execute(sa.select(back.c.order_date, back.c.qty)).first()
            assert isinstance(first.order_date, dt.date) and isinstance(first.qty, float)
        counts_again = generate_erp(url, "small", seed=7, end=END)  # a full rewrite
        assert counts_again == counts
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT COUNT(*) FROM sales_orders")).scalar_one()
            assert n == counts["sales_orders"]
    finally:
        engine.dispose()
