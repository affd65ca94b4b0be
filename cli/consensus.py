"""`sop consensus`: the demand review on the command line.

    sop consensus import FILE --config F --as EMAIL [--period P] [--department D]
    sop consensus import --from-source --config F [--period P]
    sop consensus approve --config F --as EMAIL [--period P] [--no-replan]
    sop consensus replan  --config F [--period P]
    sop consensus show    --config F [--period P] [--json]

`import` takes a sales or marketing head's returned forecast-review workbook (or, with
`--from-source`, the rows of the `forecast_adjustments` dataset for the period): every
problem is listed (sheet and cell, or dataset row and column) and nothing is stored from a
file with any. `approve` (a management head) freezes the consensus; with a Prefect server
configured (PREFECT_API_URL, in the environment or the Prefect profile) it emits `sop.consensus.approved`, whose deployment trigger
runs `replan-supply`; without one the re-plan runs here and now (`--no-replan`: not at all).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from sop.clock import clock_for, default_period, utc_naive
from sop.config import Config, load_config
from sop.consensus.intake import checked_adjustments, workbook_adjustments
from sop.consensus.model import APPROVER, DEPARTMENTS_THAT_SUBMIT, ReviewError, Submission
from sop.consensus.scope import review_scope
from sop.consensus.store import (
    approve_plan,
    stored_cells,
    stored_plan_versions,
    submission_hash,
    take_submission,
)
from sop.ingest.sources import read_all
from sop.ingest.staging import staged
from sop.warehouse import warehouse_engine

APPROVED_EVENT = "sop.consensus.approved"


def add_consensus_parser(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", required=True, help="YAML config file")
    common.add_argument("--period", help="the reviewed period, YYYY-MM (default: the last "
                                         "complete month)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    p = sub.add_parser("consensus", help="the demand review: import, approve, replan, show")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    actions = p.add_subparsers(dest="consensus_command", required=True)
    imp = actions.add_parser("import", parents=[common], help="take a returned review")
    imp.add_argument("file", nargs="?", help="the filled forecast-review workbook (.xlsx)")
    imp.add_argument("--as", dest="actor", metavar="EMAIL", help="the head who returns it")
    imp.add_argument("--department", choices=DEPARTMENTS_THAT_SUBMIT,
                     help="whose review it is (when the head heads both)")
    imp.add_argument("--from-source", action="store_true",
                     help="take the rows of the forecast_adjustments dataset instead")
    app = actions.add_parser("approve", parents=[common], help="freeze the consensus")
    app.add_argument("--as", dest="actor", required=True, metavar="EMAIL",
                     help="a management head")
    app.add_argument("--no-replan", action="store_true", help="do not re-plan the supply side")
    actions.add_parser("replan", parents=[common], help="re-plan on the approved consensus")
    show = actions.add_parser("show", parents=[common], help="versions and their authors")
    show.add_argument("--json", action="store_true")


def _period(args: argparse.Namespace, config: Config) -> str:
    return default_period(args.period, clock_for(getattr(args, "today", None),
                                                 config.timezone).today())


def _scope(config: Config, period: str):
    engine = warehouse_engine(config.warehouse.url)
    masters = read_all(config, ("customers", "products"))
    return engine, review_scope(stored_cells(engine, period), staged(masters["customers"],
                                "customers"), staged(masters["products"], "products"), period,
                                config.planning.review_months, config.planning.key_accounts)


def _department(config: Config, actor: str, wanted: str | None) -> str:
    heads = {d for d in DEPARTMENTS_THAT_SUBMIT if actor.lower() in
             (h.lower() for h in config.heads(d))}
    if wanted is not None and wanted not in heads:
        heads = set()
    if not heads:
        raise ReviewError(f"--as {actor} is not a head of "
                          f"{wanted or ' or '.join(DEPARTMENTS_THAT_SUBMIT)} "
                          f"(departments.<d>.heads in the config): only they submit")
    if len(heads) > 1:
        raise ReviewError(f"{actor} heads {' and '.join(sorted(heads))}: say which with "
                          "--department")
    return heads.pop()


def _import_file(config: Config, args: argparse.Namespace, period: str) -> list[Submission]:
    if not args.file or not args.actor:
        raise ReviewError("give the workbook and --as EMAIL (or --from-source)")
    dept = _department(config, args.actor, args.department)
    data = Path(args.file).read_bytes()
    _, scope = _scope(config, period)
    adj = workbook_adjustments(data, scope, dept)
    return [Submission(period, dept, args.actor, adj, Path(args.file).name)]


def _import_source(config: Config, period: str) -> list[Submission]:
    rows = read_all(config, ("forecast_adjustments",)).get("forecast_adjustments")
    if rows is None:
        raise ReviewError("the source has no forecast_adjustments table (see "
                          "config.example.yaml)")
    rows = staged(rows, "forecast_adjustments")
    rows = rows[rows["period"] == pd.Timestamp(f"{period}-01")]
    _, scope = _scope(config, period)
    problems, out = [], []
    for (dept, author), part in rows.groupby(["department", "author"], sort=True):
        ids = part["adjustment_id"].tolist()
        if dept not in DEPARTMENTS_THAT_SUBMIT or author.lower() not in (
                h.lower() for h in config.heads(dept)):
            problems.append(f"forecast_adjustments rows {', '.join(ids)}: {author} is not a "
                            f"head of a submitting department ({dept})")
            continue
        records = part.to_dict("records")
        try:
            adj = checked_adjustments(records, scope, lambda i, f, ids=ids: (
                f"forecast_adjustments row {ids[i]}, column {f}"))
        except ReviewError as e:
            problems += e.problems
            continue
        out.append(Submission(period, dept, author, adj, "dataset forecast_adjustments"))
    if problems:
        raise ReviewError(problems)
    return out


def cmd_consensus(args: argparse.Namespace) -> int:
    config = load_config(args.config, os.environ)
    period = _period(args, config)
    now = utc_naive(clock_for(getattr(args, "today", None), config.timezone).now())
    try:
        if args.consensus_command == "import":
            subs = (_import_source(config, period) if args.from_source
                    else _import_file(config, args, period))
            engine = warehouse_engine(config.warehouse.url)
            for sub in subs:  # each checked before any is stored
                taken = take_submission(engine, sub, submission_hash(sub), now)
                _print_taken(sub, taken)
            return 0
        if args.consensus_command == "approve":
            return _approve(config, args, period, now)
        if args.consensus_command == "replan":
            return _replan(config, args, period)
        return _show(config, period, args.json)
    except ReviewError as e:
        print(f"sop consensus {args.consensus_command}: refused, nothing stored:",
              file=sys.stderr)
        for p in e.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1


def _print_taken(sub: Submission, taken) -> None:
    what = "taken" if taken.new else "already taken (the same numbers): nothing changed"
    print(f"{sub.department} review of {sub.period}, submission {taken.seq} by {sub.author}: "
          f"{what}; {len(sub.adjustments)} adjustment(s); consensus rebuilt")
    for r in taken.log.itertuples(index=False):
        note = f"  ({r.note})" if r.note else ""
        print(f"  {r.source_ref}: {r.level} {pd.Timestamp(r.ds):%Y-%m}: statistical "
              f"{r.statistical:,.0f} -> {r.result:,.0f} units{note}")


def _approve(config: Config, args: argparse.Namespace, period: str, now) -> int:
    if args.actor.lower() not in (h.lower() for h in config.heads(APPROVER)):
        raise ReviewError(f"--as {args.actor} is not a head of {APPROVER}: only they approve")
    revision = approve_plan(warehouse_engine(config.warehouse.url), period, args.actor, now)
    print(f"{period} demand review approved by {args.actor}: revision {revision}")
    if args.no_replan:
        return 0
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():  # a server of the company's (make server, a profile, env)
        _post_approval(period, revision, args.actor)
        print("  the re-plan runs on the Prefect server (deployment replan-supply)")
        return 0
    return _replan(config, args, period, revision)


def _post_approval(period: str, revision: int, approver: str) -> None:
    """The approval event, posted and acknowledged (not queued for a background sender that
    may not flush before the command ends); its id comes from the business key (period,
    revision), so posting it again records nothing twice."""
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.events import Event

    event = Event(event=APPROVED_EVENT, resource={"prefect.resource.id": f"sop.consensus.{period}"},
                  payload={"period": period, "revision": revision, "approver": approver},
                  id=uuid.uuid5(uuid.NAMESPACE_URL, f"{APPROVED_EVENT}/{period}/{revision}"))
    try:
        with get_client(sync_client=True) as client:
            client.request("POST", "/events", json=[event.model_dump(mode="json")])
    except Exception as e:  # the approval stands; the re-plan can be run by hand
        raise ReviewError(f"{period} revision {revision} is approved, but the Prefect API did "
                          f"not take the event that starts the re-plan ({type(e).__name__}: "
                          f"{e}): run 'sop consensus replan --period {period}'") from e


def _replan(config: Config, args: argparse.Namespace, period: str, revision: int = 1) -> int:
    from cli.server import prefect_api
    from flows.replan import replan_supply

    with prefect_api():
        result = replan_supply(config_path=args.config, period=period, revision=revision,
                               today=getattr(args, "today", None))
    print(f"  supply re-planned on the approved consensus; packets of revision {revision}: "
          f"{', '.join(result['deliveries']) or 'none'}")
    return 0


def _show(config: Config, period: str, as_json: bool) -> int:
    versions = stored_plan_versions(warehouse_engine(config.warehouse.url), period)
    if as_json:
        print(json.dumps(versions.astype(str).to_dict("records")))
        return 0
    if versions.empty:
        print(f"no versions stored for {period}")
    for r in versions.itertuples(index=False):
        rev = f" revision {int(r.revision)}" if pd.notna(r.revision) else ""
        print(f"{r.version:12} {r.author or '-':30} {r.created_at}{rev} {r.note or ''}".rstrip())
    return 0
