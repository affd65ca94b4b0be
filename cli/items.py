"""`sop items`: coordination items (the cross-department work forms) on the command line.

    sop items add    --config F --as EMAIL --from DEPT --to DEPT --requirement TEXT
                     --due YYYY-MM-DD --standard TEXT --owner EMAIL [--period YYYY-MM] [--json]
    sop items add    --config F --as EMAIL --from DEPT --from-alert KEY --due YYYY-MM-DD
    sop items sign|done|verify|cancel ID --config F --as EMAIL [--note TEXT] [--json]
    sop items list   --config F [--department D] [--status S] [--period P] [--json]
    sop items show   ID --config F [--json]

Every refusal (bad transition, unknown item or department, not a head, bad date) is one
paragraph on stderr and exit status 1. Needs no Prefect server: it talks to the warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date, datetime

from sop.clock import Clock, clock_for, utc_naive
from sop.config import DEPARTMENTS, Config, ConfigError, load_config
from sop.items.from_alert import prefill_from_alert
from sop.items.model import (
    STATUSES,
    Item,
    ItemError,
    draft_item,
    item_record,
    listed_items,
    status_on,
)
from sop.items.store import (
    add_item,
    change_item,
    normalized_id,
    stored_alert,
    stored_history,
    stored_item,
    stored_items,
)
from sop.periods import PeriodError, last_complete_period, parse_period
from sop.warehouse import warehouse_engine

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def add_items_parser(sub: argparse._SubParsersAction) -> None:
    """Register `sop items ...` on the top-level subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", required=True, help="YAML config file")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on failure")
    items = sub.add_parser("items", help="coordination items: add, sign, done, verify, cancel, "
                                         "list, show")
    items.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on failure")
    actions = items.add_subparsers(dest="items_command", required=True)

    add = actions.add_parser("add", parents=[common], help="draft a new item")
    add.add_argument("--as", dest="actor", required=True, metavar="EMAIL", help="who adds it")
    add.add_argument("--from", dest="requesting", required=True, metavar="DEPT",
                     help="the requesting department")
    add.add_argument("--to", dest="responsible", metavar="DEPT", help="the responsible department")
    add.add_argument("--requirement", help="what is required")
    add.add_argument("--due", help="due date, YYYY-MM-DD")
    add.add_argument("--standard", help="how the result is evaluated")
    add.add_argument("--owner", metavar="EMAIL", help="the person who owes it")
    add.add_argument("--period", help="period raised, YYYY-MM (default: the last complete month)")
    add.add_argument("--from-alert", metavar="KEY",
                     help="prefill from an open high-severity alert")
    add.add_argument("--note", help="a note for the item's history")
    add.add_argument("--json", action="store_true", help="print the new item as JSON")

    for name, text in (("sign", "sign as a head of either department"),
                       ("done", "report it done (the note is the outcome)"),
                       ("verify", "accept it as a head of the requesting department"),
                       ("cancel", "withdraw it as a head of the requesting department")):
        act = actions.add_parser(name, parents=[common], help=text)
        act.add_argument("item", metavar="ID", help="item id, e.g. CI-2026-10-001")
        act.add_argument("--as", dest="actor", required=True, metavar="EMAIL", help="who acts")
        act.add_argument("--note", help="a note (for done: the outcome)")
        act.add_argument("--json", action="store_true", help="print the item as JSON")

    lst = actions.add_parser("list", parents=[common], help="list items as a table")
    lst.add_argument("--department", help="items asked by or owed by this department")
    lst.add_argument("--status", help=f"one of {', '.join(STATUSES)}")
    lst.add_argument("--period", help="period raised, YYYY-MM")
    lst.add_argument("--json", action="store_true", help="print a JSON list instead")

    show = actions.add_parser("show", parents=[common], help="one item and its history")
    show.add_argument("item", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON instead")


def _clock(args: argparse.Namespace, config: Config) -> Clock:
    """`--today` (noon, in the config's timezone), else the system clock."""
    return clock_for(getattr(args, "today", None), config.timezone)


def _today(args: argparse.Namespace, config: Config) -> date:
    return _clock(args, config).today()


def _now(args: argparse.Namespace, config: Config) -> datetime:
    return utc_naive(_clock(args, config).now())


def _due(text: str | None) -> date:
    try:
        if text is None or not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ItemError(f"--due {text!r} is not a date; give YYYY-MM-DD, e.g. 2026-11-30"
                        ) from None


def _period(text: str | None) -> None:
    try:
        parse_period(text)
    except PeriodError as e:
        raise ItemError(f"--period: {e}") from None


def _add(args: argparse.Namespace, config: Config, engine) -> int:
    today, heads = _today(args, config), config.heads_by_department()
    fields = {"requirement": args.requirement, "responsible": args.responsible,
              "standard": args.standard, "owner": args.owner}
    note, alert_key = args.note, None
    if args.from_alert:
        if args.requesting not in DEPARTMENTS:
            raise ItemError(f"unknown department {args.requesting!r} (--from); known: "
                            f"{', '.join(DEPARTMENTS)}")
        pre = prefill_from_alert(stored_alert(engine, args.from_alert), args.requesting, heads,
                                 args.responsible)
        fields = {k: v if v is not None else pre[k] for k, v in fields.items()}
        note, alert_key = "; ".join(n for n in (pre["note"], args.note) if n), pre["alert_key"]
    missing = [f"--{'to' if k == 'responsible' else k}" for k, v in fields.items() if v is None]
    if args.due is None:
        missing.append("--due")
    if missing:
        raise ItemError(f"add needs {', '.join(missing)} (or --from-alert KEY to prefill all "
                        "but --due)")
    period = args.period or last_complete_period(today)
    _period(period)
    draft = draft_item(period=period, requesting=args.requesting, due=_due(args.due),
                       actor=args.actor, at=_now(args, config), today=today,
                       alert_key=alert_key, **fields)
    item = add_item(engine, draft, note)
    if args.json:
        print(json.dumps(item_record(item, today), sort_keys=True))
    else:
        print(f"added {item.item_id} (draft): {item.requesting} asks {item.responsible}: "
              f"{item.requirement}; due {item.due.isoformat()}; owner {item.owner}")
        print(f"  next: a head of {item.requesting} and a head of {item.responsible} sign it: "
              f"sop items sign {item.item_id} --config {args.config} --as EMAIL")
    return 0


def _change(args: argparse.Namespace, config: Config, engine) -> int:
    today = _today(args, config)
    item = change_item(engine, args.item, args.items_command, args.actor,
                       config.heads_by_department(), _now(args, config), args.note)
    if args.json:
        print(json.dumps(item_record(item, today), sort_keys=True))
        return 0
    status = status_on(item, today)
    line = f"{item.item_id}: {args.items_command} by {args.actor.strip().lower()}; now {status}"
    if item.status == "draft":
        waiting = [d for d, by in ((item.requesting, item.requesting_signed_by),
                                   (item.responsible, item.responsible_signed_by)) if not by]
        line += f" (waiting for a head of {', '.join(waiting)} to sign)"
    print(line)
    return 0


def _signed(item: Item) -> str:
    sides = [d for d, by in ((item.requesting, item.requesting_signed_by),
                             (item.responsible, item.responsible_signed_by)) if by]
    return "both" if len(sides) == 2 else (sides[0] if sides else "-")


def items_table(items: list[Item], today: date) -> str:
    """A plain-text table of items, one line each."""
    head = ("ID", "STATUS", "DUE", "FROM", "TO", "OWNER", "SIGNED", "REQUIREMENT")
    rows = [head] + [(i.item_id, status_on(i, today), i.due.isoformat(), i.requesting,
                      i.responsible, i.owner, _signed(i),
                      i.requirement if len(i.requirement) <= 50 else i.requirement[:47] + "...")
                     for i in items]
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def _list(args: argparse.Namespace, config: Config, engine) -> int:
    today = _today(args, config)
    if args.department is not None and args.department not in DEPARTMENTS:
        raise ItemError(f"unknown department {args.department!r}; known: "
                        f"{', '.join(DEPARTMENTS)}")
    if args.status is not None and args.status not in STATUSES:
        raise ItemError(f"unknown status {args.status!r}; known: {', '.join(STATUSES)}")
    if args.period is not None:
        _period(args.period)
    chosen = listed_items(stored_items(engine), today, department=args.department,
                          status=args.status, period=args.period)
    if args.json:
        print(json.dumps([item_record(i, today) for i in chosen], sort_keys=True))
    elif not chosen:
        print("no coordination items match")
    else:
        print(items_table(chosen, today))
    return 0


def _show(args: argparse.Namespace, config: Config, engine) -> int:
    today = _today(args, config)
    item = stored_item(engine, args.item)
    history = stored_history(engine, item.item_id)
    history["at"] = history["at"].astype(str)
    events = history.drop(columns=["id", "item_id"]).to_dict("records")
    if args.json:
        print(json.dumps({**item_record(item, today), "history": events}, sort_keys=True,
                         default=str))
        return 0
    for key, value in item_record(item, today).items():
        print(f"{key:22} {'' if value is None else value}")
    print("history:")
    for e in events:
        print(f"  {e['at']}  {e['actor']:30} {e['action']:7} {e['from_status'] or '-'} -> "
              f"{e['to_status']}{'  ' + e['note'] if e['note'] else ''}")
    return 0


_ACTIONS = {"add": _add, "sign": _change, "done": _change, "verify": _change,
            "cancel": _change, "list": _list, "show": _show}


def cmd_items(args: argparse.Namespace) -> int:
    """Run one `sop items` action; refusals print one paragraph and return 1."""
    try:
        config = load_config(args.config, os.environ)
        if getattr(args, "item", None) is not None:
            args.item = normalized_id(args.item)
        engine = warehouse_engine(config.warehouse.url)
        try:
            return _ACTIONS[args.items_command](args, config, engine)
        finally:
            engine.dispose()
    except (ItemError, ConfigError) as e:
        text = " ".join(str(e).split())
        print(f"sop items {args.items_command}: {text}", file=sys.stderr)
        return 1
