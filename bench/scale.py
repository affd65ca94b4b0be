"""The monthly cycle at small, medium and large scale, in SQLite and PostgreSQL, measured
stage by stage, with the side-by-side ratios; JSON plus a table in BENCHMARKS.md.

    python -m bench.scale --scales small medium large --dbs sqlite postgresql \
        --out bench/results/scale.json

Per (scale, database): the demo ERP is generated once and reused (bench.erp); the cycle
runs in a fresh process with its stage functions called directly, then in another as the
Prefect flow (scales in --flow-scales; a `prefect server start` on a free port serves the
bench, with a PREFECT_HOME of its own under bench/results/tmp/); then each ratio in a fresh
process (bench.ratios). Each cycle gets an empty warehouse of the same database kind.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import yaml

from bench.erp import PG_SERVER, pg_url, prepared_erp, reset_pg_schema
from bench.machine import machine_info
from bench.scale_report import write_markdown
from sop.config import DEPARTMENTS, load_config
from sop.ingest.result_pickle import RESULTS

ROOT = Path(__file__).parents[1]
TMP = Path(__file__).parent / "results" / "tmp"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def prefect_server(env: dict[str, str]):
    """A Prefect server of the bench's own on a free port; yields its API URL."""
    port = _free_port()
    log = open(TMP / "prefect-server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host",
                             "127.0.0.1", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{api}/health", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            raise RuntimeError(f"the Prefect server did not start; see {log.name}")
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_config(folder: Path, erp_url: str, warehouse_url: str) -> Path:
    raw = {"company": "Demo Manufacturing", "sources": {"erp": {"url": erp_url}},
           "warehouse": {"url": warehouse_url}, "output_dir": str(folder / "out"),
           "departments": {d: {"heads": [f"{d}.head@demo.example"]} for d in DEPARTMENTS}}
    path = folder / "sop.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def fresh_run(db: str, scale: str, label: str, erp_url: str) -> Path:
    """An empty folder and warehouse for one run; the config path."""
    folder = TMP / f"{scale}-{db}-{label}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if db == "postgresql":
        schema = f"wh_{scale}_{label}"
        reset_pg_schema(schema)
        warehouse = pg_url(schema)
    else:
        warehouse = f"sqlite:///{(folder / 'warehouse.sqlite').resolve()}"
    return run_config(folder, erp_url, warehouse)


def _child(module: str, args: list[str], env: dict[str, str], out: Path,
           timeout: float | None = None) -> dict:
    cmd = [sys.executable, "-m", module, *args, "--out", str(out)]
    print("  $", " ".join(cmd[1:]), flush=True)
    out.unlink(missing_ok=True)
    Path(f"{out}.partial").unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        partial = Path(f"{out}.partial")
        stages = json.loads(partial.read_text())["stages"] if partial.is_file() else {}
        print(f"  stopped after the {timeout:.0f} s timeout", flush=True)
        return {"error": f"stopped after {timeout:.0f} s", "stages": stages,
                "elapsed_s": round(time.perf_counter() - t0)}
    if done.returncode:
        tail = "\n".join((done.stderr or done.stdout).splitlines()[-15:]).replace(
            str(ROOT), ".")
        print(f"  failed:\n{tail}", flush=True)
        partial = Path(f"{out}.partial")  # the stages that finished before it failed
        stages = json.loads(partial.read_text())["stages"] if partial.is_file() else {}
        return {"error": f"stopped after {time.perf_counter() - t0:.0f} s "
                         f"(exit code {done.returncode})", "detail": tail, "stages": stages}
    return json.loads(out.read_text())


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def code_version() -> str:
    """The commit the bench ran on (with '+changes' when the tree differed from it, the
    bench's own outputs aside)."""
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout
    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":!bench/results", ":!BENCHMARKS.md").strip()
    return commit + ("+changes" if changed else "")


def bench_one(db: str, scale: str, args, env: dict[str, str], flow_env: dict | None) -> dict:
    t0 = time.perf_counter()
    erp_url, marker = prepared_erp(db, scale, args.seed, args.end)
    print(f"{scale} / {db}: ERP {'reused' if marker['reused'] else 'generated'} in "
          f"{time.perf_counter() - t0:.0f} s ({marker['rows']['sales_orders']:,} order lines)",
          flush=True)
    out: dict = {"scale": scale, "db": db, "erp": marker,
                 "order_lines": marker["rows"]["sales_orders"]}
    period = args.period or args.end
    cfg = fresh_run(db, scale, "direct", erp_url)
    out["direct"] = _child("bench.cycle", ["--config", str(cfg), "--period", period,
                                           "--mode", "direct"], env, cfg.parent / "run.json",
                           args.timeout)
    if flow_env is not None and scale in args.flow_scales and db in args.flow_dbs:
        cfg = fresh_run(db, scale, "flow", erp_url)
        results = cfg.parent / "results"  # this run's persisted task results, measured
        out["flow"] = _child("bench.cycle", ["--config", str(cfg), "--period", period,
                                             "--mode", "flow"],
                             flow_env | {"PREFECT_LOCAL_STORAGE_PATH": str(results)},
                             cfg.parent / "run.json", args.timeout)
        out["flow"]["persisted_mb"] = round(_folder_bytes(results) / 2**20, 1)
        # what the persisted results refer to: their frames, in the run's snapshot
        kept = Path(load_config(cfg, {}).snapshot_location) / RESULTS
        out["flow"]["kept_in_snapshot_mb"] = round(_folder_bytes(kept) / 2**20, 1)
    cfg = TMP / f"{scale}-{db}-direct" / "sop.yaml"
    out["ratios"] = {}
    for kind in args.ratios:
        if kind == "forecast" and db != args.dbs[0]:
            continue  # the same series in either database: measured once per scale
        extra = ["--sample", str(args.forecast_sample)] if kind == "forecast" else []
        out["ratios"][kind] = _child("bench.ratios", ["--kind", kind, "--config", str(cfg),
                                                      "--period", period, *extra], env,
                                     TMP / f"{scale}-{db}-ratio-{kind}.json")
    print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    ap.add_argument("--scales", nargs="+", default=["small", "medium", "large"])
    ap.add_argument("--dbs", nargs="+", default=["sqlite", "postgresql"],
                    choices=["sqlite", "postgresql"])
    ap.add_argument("--flow-scales", nargs="*", default=["small", "medium"],
                    help="scales also run as the Prefect flow (orchestration ratio)")
    ap.add_argument("--flow-dbs", nargs="*", default=["sqlite", "postgresql"])
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds after which a cycle is stopped (its finished stages kept)")
    ap.add_argument("--ratios", nargs="*", default=["extract", "validation", "forecast"])
    ap.add_argument("--forecast-sample", type=int, default=500,
                    help="sku x region series sampled for the forecast ratio")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--end", default="2025-06", help="last month of the demo ERP")
    ap.add_argument("--period", default=None, help="period planned (default: --end)")
    ap.add_argument("--out", default="bench/results/scale.json")
    ap.add_argument("--markdown", default="BENCHMARKS.md",
                    help="file whose '## Scale' section gets the table ('' to skip)")
    args = ap.parse_args(argv)
    command = "python -m bench.scale " + shlex.join(argv if argv is not None else sys.argv[1:])
    TMP.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server is stopped too
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_HOME": str(TMP / f"prefect-{os.getpid()}"),
            "PYTHONPATH": str(ROOT)}
    machine = machine_info(PG_SERVER)
    need_flow = any(s in args.flow_scales for s in args.scales)
    with (prefect_server(env) if need_flow else _nothing()) as api:
        flow_env = env | {"PREFECT_API_URL": api} if api else None
        for scale in args.scales:
            for db in args.dbs:
                run = bench_one(db, scale, args, env, flow_env)
                run |= {"command": command.strip(), "machine": machine, "code": code_version(),
                        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
                saved(run, Path(args.out))
    if args.markdown:
        write_markdown(json.loads(Path(args.out).read_text()), Path(args.markdown))
        print(f"table written to {args.markdown}")
    return 0


def saved(run: dict, out: Path) -> None:
    """Add `run` to the runs in `out`, replacing an earlier run of the same scale and
    database (so a bench can be completed piece by piece)."""
    runs = json.loads(out.read_text()).get("runs", []) if out.is_file() else []
    runs = [r for r in runs if (r["scale"], r["db"]) != (run["scale"], run["db"])] + [run]
    order = {"small": 0, "medium": 1, "large": 2}
    runs.sort(key=lambda r: (order.get(r["scale"], 9), r["db"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": runs}, indent=1, default=str))


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    sys.exit(main())
