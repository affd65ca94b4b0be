"""The demand review end to end: the sales head fills the workbook attached to the packet
(openpyxl, as Excel would), `sop consensus import` takes it, a management head approves, the
supply side is re-planned on it and its packets go out once as the approved revision; bad
workbooks are refused with sheet and cell named and nothing stored."""

from __future__ import annotations

import shutil
import time

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from openpyxl import load_workbook

from cli.main import main
from flows.monthly import monthly_cycle
from sop.consensus.intake import COLUMN, FIRST_ROW
from sop.consensus.model import REASONS
from sop.contracts import CONTRACTS
from sop.demo.writer import contract_table
from tests.flows.conftest import END, TODAY, write_config

SALES, BOSS = "sales.head@example.com", "management.head@example.com"
M1, M2, M3 = "2026-11", "2026-12", "2027-01"


@pytest.fixture(scope="module")
def cycle(tmp_path_factory, demo_erp):
    """One monthly cycle for END with a key account; each test works on a copy."""
    folder = tmp_path_factory.mktemp("review")
    eng = sa.create_engine(demo_erp)
    with eng.connect() as c:
        key = c.execute(sa.text("SELECT customer_id FROM customers ORDER BY customer_id")).scalar()
    eng.dispose()
    cfg = write_config(folder, demo_erp, planning={"key_accounts": [key]})
    monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    return folder


def copy_of(cycle, tmp_path):
    for name in ("warehouse.sqlite", "out"):
        src = cycle / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    raw = yaml.safe_load((cycle / "sop.yaml").read_text())
    raw.update(warehouse={"url": f"sqlite:///{tmp_path / 'warehouse.sqlite'}"},
               output_dir=str(tmp_path / "out"))
    cfg = tmp_path / "sop.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    return cfg


def workbook(folder, department="sales"):
    return load_workbook(folder / "out" / "packets" / END / department /
                         f"sop-{END}-forecast-review.xlsx")


def put(ws, row, **values):
    for field, value in values.items():
        ws[f"{COLUMN[field]}{row}"] = value


def empty_row(ws) -> int:
    r = FIRST_ROW
    while any(ws[f"{COLUMN[f]}{r}"].value for f in ("category", "region", "customer", "month")):
        r += 1
    return r


def sql(folder, query: str) -> pd.DataFrame:
    eng = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with eng.connect() as c:
        out = pd.read_sql(sa.text(query), c)
    eng.dispose()
    return out


def approved_events(api_env, wait: float = 30.0) -> list[dict]:
    """Payloads of the sop.consensus.approved events the Prefect API has stored (the server
    writes events in batches: asked again until one is there)."""
    deadline = time.monotonic() + wait
    while True:
        got = httpx.post(f"{api_env['PREFECT_API_URL']}/events/filter", json={
            "filter": {"event": {"name": ["sop.consensus.approved"]},
                       # both bounds: the server's default end is its own now, and under
                       # faketime each process's clock starts when the process does
                       "occurred": {"since": "2000-01-01T00:00:00Z",
                                    "until": "2100-01-01T00:00:00Z"}}}).json()
        payloads = [e["payload"] for e in got.get("events", [])]
        if payloads or time.monotonic() > deadline:
            return payloads
        time.sleep(0.5)


def consensus(cfg, *args) -> int:
    return main(["consensus", *args, "--config", str(cfg), "--period", END, "--today", TODAY])


def test_bad_reviews_are_refused_naming_sheet_and_cell_and_nothing_is_stored(
        cycle, tmp_path, capsys):
    cfg = copy_of(cycle, tmp_path)
    wb = workbook(tmp_path)
    ws = wb.worksheets[0]
    put(ws, FIRST_ROW, qty="lots", reason=REASONS["promotion"])
    put(ws, FIRST_ROW + 1, change_pct=10, reason="because I say so")
    row = empty_row(ws)
    put(ws, row, category="Spaceships", month=M1, qty=5, reason=REASONS["market_trend"])
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    assert consensus(cfg, "import", str(bad), "--as", SALES) == 1
    err = capsys.readouterr().err
    assert f"cell K{FIRST_ROW}: 'lots' is not a number" in err
    assert f"cell M{FIRST_ROW + 1}: 'because I say so'" in err
    assert f"cell A{row}: 'Spaceships'" in err and "sheet 'Forecast review'" in err
    good = tmp_path / "good.xlsx"
    workbook(tmp_path).save(good)
    assert consensus(cfg, "import", str(good), "--as", "procurement.head@example.com") == 1
    assert "not a head of sales or marketing" in capsys.readouterr().err
    assert sql(tmp_path, "SELECT COUNT(*) n FROM sop_review_submissions")["n"][0] == 0
    assert consensus(cfg, "approve", "--as", SALES) == 1  # only management approves
    assert consensus(cfg, "approve", "--as", BOSS, "--no-replan") == 0
    ws = workbook(tmp_path).worksheets[0]
    assert consensus(cfg, "import", str(good), "--as", SALES) == 1
    assert f"period {END} is approved" in capsys.readouterr().err
    assert sql(tmp_path, "SELECT COUNT(*) n FROM sop_review_submissions")["n"][0] == 0


def test_a_returned_review_is_split_down_approved_and_replanned_once(cycle, tmp_path,
                                                                     api_env, capsys):
    cfg = copy_of(cycle, tmp_path)
    cells = sql(tmp_path, "SELECT * FROM sop_review_cells").assign(
        ds=lambda f: pd.to_datetime(f["ds"]).dt.strftime("%Y-%m"))
    wb = workbook(tmp_path)
    ws = wb.worksheets[0]
    cat, reg = ws[f"A{FIRST_ROW}"].value, ws[f"B{FIRST_ROW}"].value
    assert ws[f"E{FIRST_ROW}"].value == M1
    put(ws, FIRST_ROW, qty=777, reason=REASONS["customer_order"], comment="big order")
    row = empty_row(ws)
    put(ws, row, month=M2, change_pct=10, reason=REASONS["market_trend"])  # the total
    customer = cells.groupby("customer_id")["qty"].sum().idxmax()
    put(ws, row + 1, customer=customer, month=M2, qty=50, reason=REASONS["lost_customer"])
    filled = tmp_path / "returned.xlsx"
    wb.save(filled)
    assert consensus(cfg, "import", str(filled), "--as", SALES) == 0
    assert consensus(cfg, "import", str(filled), "--as", SALES) == 0  # again: not twice
    assert "already taken" in capsys.readouterr().out
    assert len(sql(tmp_path, "SELECT * FROM sop_review_submissions")) == 1

    v = sql(tmp_path, "SELECT * FROM sop_version_forecasts WHERE version = 'consensus'").assign(
        ds=lambda f: pd.to_datetime(f["ds"]).dt.strftime("%Y-%m")).set_index(
        ["level", "unique_id", "ds"])["forecast"]
    # M1: category x region fixed at 777, its products in proportion; the rest as they were
    group = cells[(cells["ds"] == M1) & (cells["category"] == cat) & (cells["region"] == reg)]
    assert v[("category_region", f"category={cat}|region={reg}", M1)] == pytest.approx(777)
    sku = group.groupby("sku")["qty"].sum()
    for s, q in sku.items():
        assert v[("sku_region", f"sku={s}|region={reg}", M1)] == pytest.approx(
            q * 777 / sku.sum())
    rest = cells[(cells["ds"] == M1)]["qty"].sum() - sku.sum()
    assert v[("total", "total", M1)] == pytest.approx(rest + 777)
    # M2: the customer at 50 (finer), the total +10 % over everything else
    m2 = cells[cells["ds"] == M2]
    mine = m2[m2["customer_id"] == customer]
    assert v[("customer", f"customer={customer}", M2)] == pytest.approx(50)
    assert v[("total", "total", M2)] == pytest.approx(m2["qty"].sum() * 1.1)
    factor = (m2["qty"].sum() * 1.1 - 50) / (m2["qty"].sum() - mine["qty"].sum())
    c0 = m2["category"].iloc[0]
    expected = (m2[(m2["category"] == c0) & (m2["customer_id"] != customer)]["qty"].sum()
                * factor + 50 * mine[mine["category"] == c0]["qty"].sum() / mine["qty"].sum())
    assert v[("category", f"category={c0}", M2)] == pytest.approx(expected)

    assert consensus(cfg, "approve", "--as", BOSS) == 0  # a Prefect API: the event
    assert {"period": END, "revision": 1, "approver": BOSS} in approved_events(api_env)
    assert consensus(cfg, "replan") == 0  # what the deployment trigger runs
    assert consensus(cfg, "replan") == 0  # a second run sends nothing twice
    sent = sql(tmp_path, "SELECT department, status, attempts FROM sop_revision_deliveries")
    assert sorted(sent["department"]) == ["management", "procurement", "supply"]
    assert (sent["status"] == "sent").all() and (sent["attempts"] == 1).all()
    outbox = tmp_path / "out" / "outbox" / f"{END}-r1"
    assert len(list(outbox.rglob("*.eml"))) == 3
    assert "approved plan, revision 1" in next(outbox.rglob("*.eml")).read_text()

    # the material requirements follow the approved plan, through the bills of materials
    req = {}
    for folder in (END, f"{END}-r1"):
        wbk = load_workbook(tmp_path / "out" / "packets" / folder / "procurement" /
                            "packet.xlsx")
        rows = list(wbk["Requirements"].iter_rows(min_row=2, values_only=True))
        req[folder] = {r[0]: r[2] for r in rows}
    versions = sql(tmp_path, "SELECT version, sku, ds, forecast FROM sop_version_forecasts "
                             "WHERE level = 'sku_region'").assign(
        ds=lambda f: pd.to_datetime(f["ds"]).dt.strftime("%Y-%m"))
    versions = versions[versions["ds"].isin([M1, M2, M3])]
    units = versions.pivot_table(index="sku", columns="version", values="forecast",
                                 aggfunc="sum")
    delta = (units["approved"] - units["statistical"]).rename("delta").reset_index()
    erp = sa.create_engine(yaml.safe_load(cfg.read_text())["sources"]["erp"]["url"])
    with erp.connect() as c:
        bom = pd.read_sql(sa.text("SELECT b.sku, m.name, b.qty_per_unit FROM bom b JOIN "
                                  "materials m USING (material_id)"), c)
    erp.dispose()
    moved = bom.merge(delta, on="sku").assign(d=lambda f: f["qty_per_unit"] * f["delta"])
    expected = moved.groupby("name")["d"].sum()
    assert expected.abs().max() > 1  # the adjustments reach the materials
    for name, d in expected.items():
        assert req[f"{END}-r1"][name] - req[END][name] == pytest.approx(d, abs=1e-6)


def test_adjustments_from_the_source_dataset_are_checked_row_by_row(cycle, tmp_path, capsys):
    cfg = copy_of(cycle, tmp_path)
    raw = yaml.safe_load(cfg.read_text())
    erp = tmp_path / "erp.sqlite"
    shutil.copy(raw["sources"]["erp"]["url"].removeprefix("sqlite:///"), erp)
    raw["sources"]["erp"]["url"] = f"sqlite:///{erp}"
    cfg.write_text(yaml.safe_dump(raw))
    cells = sql(tmp_path, "SELECT category, SUM(qty) q FROM sop_review_cells WHERE ds = "
                          "'2026-12-01' GROUP BY category ORDER BY category")
    cat = cells["category"].iloc[0]
    rows = [("A1", "sales", SALES, cat, 250.0, None, "promotion"),
            ("A2", "marketing", "intruder@example.com", cat, None, 5.0, "market_trend"),
            ("A3", "sales", SALES, "Spaceships", 10.0, None, "promotion")]
    eng = sa.create_engine(f"sqlite:///{erp}")
    with eng.begin() as c:  # a company that collects its adjustments in its own table
        contract_table(CONTRACTS["forecast_adjustments"], sa.MetaData()).create(c)
        for r in rows:
            c.execute(sa.text(
                "INSERT INTO forecast_adjustments (adjustment_id, period, department, author, "
                "month, category, qty, change_pct, reason) VALUES (:i, '2026-10-01', :d, :a, "
                "'2026-12-01', :c, :q, :p, :r)"), dict(zip("idacqpr", r, strict=True)))
    assert consensus(cfg, "import", "--from-source") == 1
    err = capsys.readouterr().err
    assert "forecast_adjustments rows A2: intruder@example.com is not a head" in err
    assert "forecast_adjustments row A3, column category: 'Spaceships'" in err
    assert sql(tmp_path, "SELECT COUNT(*) n FROM sop_review_submissions")["n"][0] == 0
    with eng.begin() as c:
        c.execute(sa.text("DELETE FROM forecast_adjustments WHERE adjustment_id IN "
                          "('A2', 'A3')"))
    eng.dispose()
    assert consensus(cfg, "import", "--from-source") == 0
    v = sql(tmp_path, "SELECT forecast FROM sop_version_forecasts WHERE version = 'sales' AND "
                      f"unique_id = 'category={cat}' AND ds = '2026-12-01'")
    assert v["forecast"].tolist() == [pytest.approx(250.0)]


def test_an_approval_the_prefect_api_does_not_take_says_how_to_replan(cycle, tmp_path,
                                                                       capsys):
    """The event is posted and acknowledged: a server that is down fails the command, names
    the re-plan to run by hand, and the approval stands."""
    import socket

    from prefect.settings import PREFECT_API_URL, temporary_settings

    cfg = copy_of(cycle, tmp_path)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    with temporary_settings({PREFECT_API_URL: dead}):
        assert consensus(cfg, "approve", "--as", BOSS) == 1
    err = capsys.readouterr().err
    assert f"{END} revision 1 is approved, but the Prefect API did not take the event" in err
    assert f"sop consensus replan --period {END}" in err
    approved = sql(tmp_path, "SELECT version FROM sop_plan_versions WHERE version = 'approved'")
    assert len(approved) == 1
