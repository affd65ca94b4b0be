"""`sop` command line: run, validate, demo, generate, items, budget, consensus, ops.

Every failure prints one paragraph naming what and where and exits non-zero;
`--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from cli.budget import add_budget_parser, cmd_budget
from cli.consensus import add_consensus_parser, cmd_consensus
from cli.items import add_items_parser, cmd_items
from cli.ops import add_ops_parser, cmd_ops
from sop.clock import clock_for, default_period, parse_day
from sop.config import DEPARTMENTS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sop", description="Sales & operations coordination pipeline")
    p.add_argument("--debug", action="store_true", help="show tracebacks on failure")
    p.add_argument("--today", metavar="YYYY-MM-DD", type=_day,
                   help="the date to run as (default: the clock); fixes 'the last complete "
                        "month' and every due date")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the monthly cycle as a Prefect flow")
    run.add_argument("--config", required=True, help="YAML config file")
    run.add_argument("--period", help="YYYY-MM (default: the last complete month)")
    run.add_argument("--resend", action="append", default=[], choices=DEPARTMENTS,
                     help="send this department's packets again on purpose (repeatable)")

    val = sub.add_parser("validate", help="extract and validate the datasets only (no planning)")
    val.add_argument("--config", required=True, help="YAML config file")
    val.add_argument("--period", help="YYYY-MM (default: the last complete month)")
    val.add_argument("--docs", action="store_true",
                     help="also build GX Data Docs into <output_dir>/data-docs/")

    demo = sub.add_parser("demo", help="generate the demo ERP and run the cycle on it")
    demo.add_argument("--dir", default="demo", help="where the demo ERP, warehouse and output go")
    demo.add_argument("--scale", default="small", choices=("small", "medium", "large"))
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--period", help="YYYY-MM (default: the last complete month)")
    demo.add_argument("--history-runs", type=int, default=3,
                      help="cycles run for the months before, so accuracy can be measured")

    gen = sub.add_parser("generate", help="write the demo ERP into a database")
    gen.add_argument("--url", required=True, help="SQLAlchemy URL of the target database")
    gen.add_argument("--scale", default="small", choices=("small", "medium", "large"))
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--end", help="last month of history, YYYY-MM (default: last complete month)")
    add_items_parser(sub)
    add_budget_parser(sub)
    add_consensus_parser(sub)
    add_ops_parser(sub)
    for sp in (run, val, demo, gen):
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on failure")
    _everywhere(p, "--today", metavar="YYYY-MM-DD", type=_day, default=argparse.SUPPRESS,
                help="the date to run as (default: the clock)")
    return p


def _day(text: str) -> str:
    try:
        return parse_day(text).isoformat()
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _everywhere(parser: argparse.ArgumentParser, flag: str, **kwargs) -> None:
    """Add `flag` to every sub-command (at any depth) that lacks it, so that it may stand
    after the command too (`sop run --config x --today 2026-11-03`)."""
    for action in parser._actions:  # noqa: SLF001 - argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sp in action.choices.values():
                if flag not in sp._option_string_actions:  # noqa: SLF001
                    sp.add_argument(flag, **kwargs)
                _everywhere(sp, flag, **kwargs)


def today_of(args: argparse.Namespace, timezone: str = "UTC") -> date:
    """The day the command runs as: `--today`, else the clock in `timezone`."""
    return clock_for(getattr(args, "today", None), timezone).today()


def _default_period(args: argparse.Namespace, value: str | None) -> str:
    return default_period(value, today_of(args))


def _cmd_generate(args: argparse.Namespace) -> int:
    from sop.demo import generate_erp

    counts = generate_erp(args.url, scale=args.scale, seed=args.seed,
                          end=_default_period(args, args.end))
    total = sum(counts.values())
    print(f"wrote {total:,} rows in {len(counts)} tables: "
          + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from flows.monthly import monthly_cycle

    result = monthly_cycle(config_path=args.config, period=args.period, resend=args.resend,
                          today=getattr(args, "today", None))
    _print_result(result)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from flows.ingest import ingest_validate
    from sop.config import load_config
    from sop.outputs import Outputs
    from sop.quality.gate import QualityGateError

    try:
        result = ingest_validate(config_path=args.config, period=args.period, docs=args.docs,
                                 today=getattr(args, "today", None))
    except QualityGateError as e:
        print(f"sop validate: failed: {_one_paragraph(e)}", file=sys.stderr)
        if args.docs:
            docs = Outputs.at(load_config(args.config, os.environ).output_dir).data_docs
            print(f"  Data Docs: {docs / 'index.html'}", file=sys.stderr)
        return 1
    print(result["summary"])
    for note in result["details"]:
        print(f"  warning: {note}")
    if result["docs"]:
        print(f"  Data Docs: {result['docs']}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from cli.demo import complete_demo_items, prepare_demo, raise_demo_items, review_demo_round
    from flows.monthly import monthly_cycle
    from sop.periods import shift_period

    period = _default_period(args, args.period)
    config_path = prepare_demo(Path(args.dir), args.scale, args.seed, period)
    print(f"demo config: {config_path}")
    # earlier months first, so that this month's packets can measure the accuracy of the
    # forecasts made then (as a real installation would after a few cycles)
    # ... and each month's meeting raises coordination items from its largest alert groups,
    # the owners report some done before the next cycle: the items sections show a real life;
    # and each month's demand review is returned, approved and re-planned, so that the value
    # each step added is scored in the months after
    for k in range(args.history_runs, 0, -1):
        earlier = shift_period(period, -k)
        complete_demo_items(config_path, earlier)
        monthly_cycle(config_path=str(config_path), period=earlier,
                      today=getattr(args, "today", None))
        raised = raise_demo_items(config_path, earlier)
        print(f"demo: cycle {earlier} done (stored forecasts for accuracy; "
              f"{len(raised)} coordination item(s) raised at its meeting)")
        print(f"demo: {earlier} demand review: "
              + review_demo_round(config_path, earlier, getattr(args, "today", None)))
    complete_demo_items(config_path, period)
    result = monthly_cycle(config_path=str(config_path), period=period,
                           today=getattr(args, "today", None))
    _print_result(result)
    return 0


def _print_result(result: dict) -> None:
    from sop.outputs import Outputs

    out, period = Outputs.at(result["output_dir"]), result["period"]
    print(f"\nS&OP cycle {period} completed (run {result['run_id']})")
    print(f"  plan rows stored: {result['stored']}")
    print(f"  alerts: {len(result['alerts'])} "
          f"({sum(a['state'] == 'open' for a in result['alerts'])} open)")
    print(f"  packets: {out.packets / period}/<department>/packet.html")
    for d in sorted((out.packets / period).glob("*/packet.html")):
        print(f"    {d}")
    print(f"  mail outbox (.eml, when no SMTP server is configured): {out.outbox / period}")


FLOW_COMMANDS = ("run", "validate", "demo", "budget")  # these start Prefect flow runs
COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "demo": _cmd_demo,
            "generate": _cmd_generate, "items": cmd_items, "budget": cmd_budget,
            "consensus": cmd_consensus, "ops": cmd_ops}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Without PREFECT_API_URL each command starts Prefect's temporary server; on a busy
    # machine it can take longer than Prefect's 20 s default to come up.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not args.debug:
        _quiet_tracebacks()
    try:
        if args.command in FLOW_COMMANDS and getattr(args, "budget_command", "draft") == "draft":
            from cli.preflight import preflight
            from cli.server import prefect_api

            if args.command != "demo":  # checked before anything starts: no run, no page
                preflight(args.config, getattr(args, "period", None))
            with prefect_api():
                return COMMANDS[args.command](args)
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the CLI turns every failure into a message
        if args.debug:
            traceback.print_exc()
        else:
            print(f"sop {args.command}: failed: {_one_paragraph(e)}", file=sys.stderr)
            print("(run with --debug for the traceback)", file=sys.stderr)
        return 1


class _NoTraceback(logging.Formatter):
    """Wraps a console formatter: the message without the exception's traceback."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _quiet_tracebacks() -> None:
    """Prefect's console log shows a failed task's traceback; the CLI's promise is one
    paragraph unless --debug. Only the console changes: the run's logs in the Prefect API
    keep the traceback for the operator."""
    from prefect.logging.configuration import setup_logging

    setup_logging()
    for name in ("", "prefect"):  # the console handlers (the run loggers feed the API)
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and \
                    not isinstance(handler.formatter, _NoTraceback):
                handler.setFormatter(_NoTraceback(handler.formatter))


def _one_paragraph(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) < 2000 else text[:2000] + " ..."


if __name__ == "__main__":
    sys.exit(main())
