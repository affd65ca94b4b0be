"""`sop budget draft|approve`: build a budget draft version, freeze one."""

from __future__ import annotations

import argparse
import os


def add_budget_parser(sub) -> None:
    p = sub.add_parser("budget", help="build a budget draft, or approve (freeze) a version")
    bsub = p.add_subparsers(dest="budget_command", required=True)
    draft = bsub.add_parser("draft", help="run the annual-budget flow for a year")
    draft.add_argument("--config", required=True)
    draft.add_argument("--year", type=int, help="default: next year")
    approve = bsub.add_parser("approve", help="freeze a budget version")
    approve.add_argument("--config", required=True)
    approve.add_argument("--version", required=True, help="e.g. 2027-v1")
    for sp in (draft, approve):
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)


def cmd_budget(args: argparse.Namespace) -> int:
    if args.budget_command == "draft":
        from flows.budget import annual_budget

        result = annual_budget(config_path=args.config, year=args.year,
                               today=getattr(args, "today", None))
        print(f"budget draft {result['version_id']} for {result['year']}: {result['rows']} "
              f"rows, revenue {result['revenue']:,.0f}")
        return 0
    from sop.config import load_config
    from sop.planning.budget_store import approve_version
    from sop.warehouse import warehouse_engine

    config = load_config(args.config, os.environ)
    n = approve_version(warehouse_engine(config.warehouse.url), args.version)
    print(f"budget version {args.version} approved and frozen ({n} rows)")
    return 0
