"""The embedded default: a demo ERP in SQLite, a SQLite warehouse, mail to .eml files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import yaml

from sop.config import DEPARTMENTS

DEMO_HEADS = {
    "sales": ["sales.head@demo.example"],
    "marketing": ["marketing.head@demo.example"],
    "sales_admin": ["sales.admin.head@demo.example"],
    "supply": ["operations.head@demo.example", "warehouse.lead@demo.example"],
    "procurement": ["procurement.head@demo.example"],
    "management": ["managing.director@demo.example"],
}


DEMO_LOCALES = {"supply": "zh"}


def demo_config(folder: Path) -> dict:
    return {
        "company": "Demo Manufacturing",
        "sources": {"erp": {"url": f"sqlite:///{(folder / 'erp.sqlite').resolve()}"}},
        "warehouse": {"url": f"sqlite:///{(folder / 'warehouse.sqlite').resolve()}"},
        "output_dir": str((folder / "out").resolve()),
        # the source document is Chinese: the production/warehouse/logistics head reads zh
        "departments": {d: {"heads": DEMO_HEADS[d], "locale": DEMO_LOCALES.get(d, "en")}
                        for d in DEPARTMENTS},
    }


def prepare_demo(folder: Path, scale: str, seed: int, period: str) -> Path:
    """Generate the demo ERP (unless the same one is there) and write the demo config."""
    from sop.demo import generate_erp

    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "erp.manifest.json"
    wanted = {"scale": scale, "seed": seed, "end": period}
    erp = folder / "erp.sqlite"
    if not (erp.is_file() and manifest.is_file() and json.loads(manifest.read_text()) == wanted):
        tmp = folder / "erp.sqlite.tmp"
        tmp.unlink(missing_ok=True)
        counts = generate_erp(f"sqlite:///{tmp.resolve()}", scale=scale, seed=seed, end=period)
        tmp.replace(erp)
        manifest.write_text(json.dumps(wanted))
        print(f"demo ERP generated: {erp} ({sum(counts.values()):,} rows)")
    config_path = folder / "sop.yaml"
    config_path.write_text(
        "# Written by `sop demo`: the embedded default (SQLite ERP and warehouse, mail to .eml)\n"
        + yaml.safe_dump(demo_config(folder), sort_keys=False))
    return config_path


def _meeting(period: str) -> datetime:
    """The demo's S&OP meeting of `period`: two working days after the month ends."""
    from sop.periods import period_end

    return datetime.combine(period_end(period).date() + timedelta(days=2), time(10),
                            tzinfo=UTC)


def complete_demo_items(config_path: Path, period: str) -> int:
    """Before `period`'s cycle: of the items raised at the previous meeting (signed, due in
    `period`), the owner reports the first done, on time; the others stay open (one of them
    will be overdue). Returns how many were completed (0 on a re-run)."""
    from sop.config import load_config
    from sop.items.model import items_of
    from sop.items.store import change_item, stored_items
    from sop.periods import period_end, shift_period
    from sop.warehouse import warehouse_engine

    config = load_config(str(config_path), {})
    engine, heads = warehouse_engine(config.warehouse.url), config.heads_by_department()
    due = [i for i in items_of(stored_items(engine))
           if i.period == shift_period(period, -1) and i.status == "signed"]
    if not due or any(i.status in ("done", "verified") for i in items_of(stored_items(engine))
                      if i.period == shift_period(period, -1)):
        return 0
    first = sorted(due, key=lambda i: i.item_id)[0]
    at = datetime.combine(period_end(period).date() - timedelta(days=4), time(15),
                          tzinfo=UTC)
    change_item(engine, first.item_id, "done", first.owner, heads, at,
                note="done as agreed at the meeting (demo)")
    return 1


def raise_demo_items(config_path: Path, period: str, n: int = 2) -> list[str]:
    """After `period`'s cycle, at its meeting: management raises a coordination item from
    each of the `n` largest open high-severity alert groups (the parent's computed action,
    due at the end of the next month) and both heads sign it. An alert that has an item
    already is skipped, so a re-run adds nothing."""
    import json

    from sop.alerts.store import stored_alerts
    from sop.config import load_config
    from sop.items.from_alert import prefill_from_alert
    from sop.items.model import ItemError, draft_item
    from sop.items.store import add_item, change_item
    from sop.periods import period_end, shift_period
    from sop.warehouse import warehouse_engine

    config = load_config(str(config_path), {})
    engine, heads = warehouse_engine(config.warehouse.url), config.heads_by_department()
    alerts = stored_alerts(engine)
    alerts = alerts[(alerts["state"] == "open") & (alerts["severity"] == "high")
                    & (alerts["last_seen"] == period)]
    rows = [{**r, "figures": json.loads(r["figures"])} for r in alerts.to_dict("records")]
    parents = sorted((r for r in rows if r["figures"].get("group", r["alert_key"])
                      == r["alert_key"]), key=lambda r: -float(r["figures"].get(
                          "group_value") or 0.0))
    meeting, chair = _meeting(period), heads["management"][0]
    due = period_end(shift_period(period, 1)).date()
    raised = []
    for alert in parents[:n]:
        try:
            pre = prefill_from_alert(alert, "management", heads)
            draft = draft_item(period=period, requesting="management",
                               responsible=pre["responsible"], requirement=pre["requirement"],
                               due=due, standard=pre["standard"], owner=pre["owner"],
                               actor=chair, at=meeting, today=meeting.date(),
                               alert_key=pre["alert_key"])
            item = add_item(engine, draft, pre["note"])
        except ItemError:
            continue  # this alert has an item already (a re-run), or none can be made
        change_item(engine, item.item_id, "sign", chair, heads, meeting)
        change_item(engine, item.item_id, "sign", heads[item.responsible][0], heads, meeting)
        raised.append(item.item_id)
    return raised


def review_demo_round(config_path: Path, period: str, today: str | None = None) -> str:
    """At `period`'s meeting, the demand review's round: the sales head returns the review
    workbook attached to the sales packet with two adjustments for the next three months (the
    planted category up 40%, which its orders bear out, and another category up 30% in one
    region, which they do not), the marketing head one (a category 5% down), the managing
    director approves, and the supply side is planned again on it (revision 1 packets).
    A period approved already is left as it is. Returns what was done, in a line."""
    from openpyxl import load_workbook

    from cli.consensus import _scope
    from flows.replan import replan_supply
    from sop.config import load_config
    from sop.consensus.intake import COLUMN, FIRST_ROW
    from sop.consensus.model import REASONS, Submission
    from sop.consensus.store import approval, approve_plan, submission_hash, take_submission
    from sop.demo import PLANTED_CATEGORY
    from sop.outputs import Outputs
    from sop.warehouse import warehouse_engine

    config = load_config(str(config_path), {})
    engine, heads = warehouse_engine(config.warehouse.url), config.heads_by_department()
    if approval(engine, period) is not None:
        return f"the {period} review is approved already"
    _, scope = _scope(config, period)
    at = _meeting(period).replace(tzinfo=None)
    months = [f"{m:%Y-%m}" for m in scope.months[:3]]
    others = [c for c in scope.categories if c != PLANTED_CATEGORY]
    plans = {"sales": [(PLANTED_CATEGORY, None, 40.0, "customer_order",
                        "distributors report bigger orders")] + (
                           [(others[0], scope.regions[0], 30.0, "market_trend",
                             "expected to pick up")] if others else []),
             "marketing": [(others[-1], None, -5.0, "price_change", "price rise in the "
                                                               "category")] if others else []}
    for dept, rows in plans.items():
        name = f"sop-{period}-forecast-review.xlsx"
        wb = load_workbook(Outputs.at(config.output_dir).packet_dir(period, dept) / name)
        ws = wb.worksheets[0]
        r = FIRST_ROW
        while any(ws[f"{COLUMN[f]}{r}"].value for f in ("category", "region", "month")):
            r += 1
        for category, region, pct, reason, comment in rows:
            for month in months:
                for field, value in (("category", category), ("region", region),
                                     ("month", month), ("change_pct", pct),
                                     ("reason", REASONS[reason]), ("comment", comment)):
                    ws[f"{COLUMN[field]}{r}"] = value
                r += 1
        filled = config_path.parent / "review" / f"{period}-{dept}.xlsx"
        filled.parent.mkdir(parents=True, exist_ok=True)
        wb.save(filled)
        from sop.consensus.intake import workbook_adjustments

        adj = workbook_adjustments(filled.read_bytes(), scope, dept)
        sub = Submission(period, dept, heads[dept][0], adj, filled.name)
        take_submission(engine, sub, submission_hash(sub), at)
    approve_plan(engine, period, heads["management"][0], at)
    result = replan_supply(config_path=str(config_path), period=period, revision=1, today=today)
    return (f"sales and marketing returned their reviews, the managing director approved; "
            f"revision 1 packets: {', '.join(result['deliveries'])}")
