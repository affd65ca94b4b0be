"""The scale benchmark's JSON as Markdown, written between two markers inside the
'## Scale' section of BENCHMARKS.md (the rest of the file, and any text of the section
outside the markers, is kept)."""

from __future__ import annotations

import json
from pathlib import Path

BEGIN, END = "<!-- scale:begin (bench/scale.py writes this part) -->", "<!-- scale:end -->"
STAGES = ("extract", "validate", "stage", "plan", "demand", "forecast", "balance",
          "settle_alerts", "store", "push_alerts", "render", "deliver", "record")
E2E_GOAL_MIN = {"medium": 10, "large": 30}


def _runs(result: dict) -> list[dict]:
    return [r for r in result["runs"] if r.get("direct", {}).get("stages")]


def _finished(run: dict) -> bool:
    return "total" in run["direct"]


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f} s" if x >= 100 else f"{x:,.1f} s"


def orchestration(run: dict, key: str = "wall_s") -> float | None:
    """The Prefect flow's whole-cycle wall (or CPU) time over the direct calls'."""
    if not _finished(run):
        return None
    flow = run.get("flow", {}).get("total", {}).get(key)
    return round(flow / run["direct"]["total"][key], 3) if flow else None


def scaling(result: dict) -> dict[str, float]:
    """Per database: seconds per million order lines at large / at medium."""
    by = {(r["scale"], r["db"]): r for r in _runs(result)}
    out = {}
    for db in {r["db"] for r in _runs(result)}:
        med, big = by.get(("medium", db)), by.get(("large", db))
        if med and big and _finished(med) and _finished(big):
            per = [r["direct"]["total"]["wall_s"] / (r["order_lines"] / 1e6) for r in (med, big)]
            out[db] = round(per[1] / per[0], 3)
    return out


def stage_scaling(result: dict) -> dict[str, dict[str, tuple[float, float]]]:
    """Per database and stage finished at both scales: (wall, CPU) seconds per million
    order lines at large / at medium."""
    by = {(r["scale"], r["db"]): r for r in _runs(result)}
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for db in sorted({r["db"] for r in _runs(result)}):
        med, big = by.get(("medium", db)), by.get(("large", db))
        if not (med and big):
            continue
        m_st, b_st = med["direct"]["stages"], big["direct"]["stages"]
        m_n, b_n = med["order_lines"] / 1e6, big["order_lines"] / 1e6
        out[db] = {name: tuple(round((b_st[name][k] / b_n) / (m_st[name][k] / m_n), 2)
                               for k in ("wall_s", "cpu_s"))
                   for name in STAGES if name in m_st and name in b_st and m_st[name]["cpu_s"]}
    return out


def _verdict(value: float | None, goal: str) -> str:
    if value is None:
        return "-"
    op, bound = goal.split()
    ok = value >= float(bound) if op == ">=" else value <= float(bound)
    return f"{value:.2f}x {'met' if ok else '**not met**'}"


BEFORE = Path(__file__).parent / "results" / "scale-before-data-plane.json"


def _by(result: dict | None) -> dict[tuple[str, str], dict]:
    return {(r["scale"], r["db"]): r for r in _runs(result)} if result and result["runs"] else {}


def _goal_figures(result: dict | None, db: str) -> dict[str, tuple[float | None, str]]:
    """The data plane's goals (issue 19) for `db`: name -> (figure, how it reads)."""
    by = _by(result)
    small, med, big = (by.get((s, db)) for s in ("small", "medium", "large"))

    def total(run, key="wall_s"):
        return run["direct"]["total"][key] if run and _finished(run) else None

    def stage(run, name):
        return (run or {}).get("direct", {}).get("stages", {}).get(name, {}).get("wall_s")

    out: dict[str, tuple[float | None, str]] = {}
    t = total(big)
    out["large end to end <= 10 min"] = (t, _fmt_s(t) if t else "-")
    peak = big["direct"]["total"]["peak_rss_mb"] / 1024 if big and _finished(big) else None
    out["large peak memory < 4 GB"] = (peak, f"{peak:.1f} GB" if peak else "-")
    t = total(med)
    out["medium end to end <= 3 min"] = (t, _fmt_s(t) if t else "-")
    for scale, run in (("medium", med), ("large", big)):
        e = (run or {}).get("ratios", {}).get("extract", {})
        out[f"extract >= 0.8x the bulk export, {scale}"] = (
            e.get("ratio"), f"{e['ratio']:.2f}x ({e['project_s']} s vs {e['bulk_s']} s)"
            if "ratio" in e else "-")
    o = orchestration(med) if med else None
    out["flow / direct calls at medium <= 1.03 (wall)"] = (o, f"{o:.2f}x" if o else "-")
    flow = (med or {}).get("flow", {})
    mb, kept = flow.get("persisted_mb"), flow.get("kept_in_snapshot_mb")
    out["persisted results of one medium run < 50 MB"] = (
        mb, (f"{mb:,.1f} MB" + (f" (+ {kept:,.0f} MB of frames they refer to, in the snapshot)"
                                if kept else "")) if mb else "-")
    r_small, r_big = stage(small, "render"), stage(big, "render")
    rr = r_big / r_small if r_small and r_big else None
    out["render at large <= 2x small"] = (rr, f"{rr:.1f}x ({r_big:,.0f} s vs {r_small:.1f} s)"
                                          if rr else "-")
    grow = stage_scaling(result).get(db, {}) if result else {}
    worst = max(grow.items(), key=lambda kv: kv[1][0]) if grow else None
    out["every stage, s per million lines large / medium <= 1.05"] = (
        worst[1][0] if worst else None, f"{worst[1][0]:.2f}x ({worst[0]})" if worst else "-")
    return out


GOALS = {"large end to end <= 10 min": 600, "large peak memory < 4 GB": 4,
         "medium end to end <= 3 min": 180, "extract >= 0.8x the bulk export, medium": -0.8,
         "extract >= 0.8x the bulk export, large": -0.8,
         "flow / direct calls at medium <= 1.03 (wall)": 1.03,
         "persisted results of one medium run < 50 MB": 50,
         "render at large <= 2x small": 2.0,
         "every stage, s per million lines large / medium <= 1.05": 1.05}  # < 0: at least


def data_plane_goals(result: dict, before: dict | None) -> str:
    """The data plane's goals beside today's figure and the one before it (issue 19)."""
    lines = ["### The data plane's goals (issue 19)", "",
             "Before: `bench/results/scale-before-data-plane.json`, the code before the issue; "
             "now: the runs above (" + ", ".join(
                 f"{r['scale']} {r['db']} at {r['code']}" for r in _runs(result)
                 if r.get("code")) + "; runs from before the bench recorded its commit do "
             "not count). A dash: not measured.", "",
             "| goal | database | before | now | met |", "|---|---|---:|---:|---|"]
    coded = {"runs": [r for r in result["runs"] if r.get("code")]}  # run by this bench
    for db in sorted({r["db"] for r in _runs(result)}):
        now, then = _goal_figures(coded, db), _goal_figures(before, db)
        for goal, bound in GOALS.items():
            value = now[goal][0]
            met = "-" if value is None else (
                ("met" if value >= -bound else "**not met**") if bound < 0 else
                ("met" if value <= bound else "**not met**"))
            lines.append(f"| {goal} | {db} | {then[goal][1]} | {now[goal][1]} | {met} |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    runs = _runs(result)
    m = runs[0]["machine"]
    commands = list(dict.fromkeys(r["command"] for r in runs))
    loads = ", ".join(f"{r['scale']} {r['db']} {r['machine']['load_average_at_start'][0]}"
                      for r in runs)
    lines = [
        "Commands (each row below comes from one of them; `bench/results/scale.json` has "
        "every figure with its command):", "", "```", *commands, "```", "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM; Python "
        f"{m['python']}, pandas {m['pandas']}, Prefect {m['prefect']}, statsforecast "
        f"{m['statsforecast']}, GX {m['great_expectations']}, SQLite {m['sqlite']}, PostgreSQL "
        f"{m['postgresql']}. Load average when each run started (other work shared the "
        f"machine): {loads}.", "",
        "### End to end", "",
        "| scale | database | order lines | ERP generation | cycle wall | cycle CPU | "
        "peak memory (own peak of the main process) | as Prefect flow | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        if not _finished(r):
            st = r["direct"]["stages"]
            sub = ("demand", "forecast", "balance") if "plan" in st else ()
            top = [n for n in st if n not in sub]
            peak = max(v["peak_rss_mb"] for v in st.values()) / 1024
            lines.append(f"| {r['scale']} | {r['db']} | {r['order_lines']:,} | "
                         f"{_fmt_s(r['erp'].get('generated_s'))} | **{r['direct']['error']}**; "
                         f"the stages before took {_fmt_s(sum(st[n]['wall_s'] for n in top))} | "
                         f"{_fmt_s(sum(st[n]['cpu_s'] for n in top))} (same stages) | "
                         f">= {peak:.2f} GB | - | **not met** |")
            continue
        t = r["direct"]["total"]
        gen = r["erp"].get("generated_s")
        goal = E2E_GOAL_MIN.get(r["scale"])
        flow = r.get("flow", {}).get("total", {}).get("wall_s")
        verdict = "-" if goal is None else (
            f"< {goal} min: {'met' if t['wall_s'] < goal * 60 else '**not met**'}")
        own = (f"main process {t['ru_maxrss_self_mb'] / 1024:.2f} GB"
               if "ru_maxrss_self_mb" in t else "-")
        if r["scale"] == "large":
            verdict += f"; < 6 GB: {'met' if t['peak_rss_mb'] < 6144 else '**not met**'}"
        lines.append(f"| {r['scale']} | {r['db']} | {r['order_lines']:,} | {_fmt_s(gen)} | "
                     f"{_fmt_s(t['wall_s'])} | {_fmt_s(t['cpu_s'])} | "
                     f"{t['peak_rss_mb'] / 1024:.2f} GB ({own}) | {_fmt_s(flow)} | {verdict} |")
    lines += ["", "### Ratios", "",
              "| ratio | goal | " + " | ".join(f"{r['scale']} {r['db']}" for r in runs) + " |",
              "|---|---|" + "---:|" * len(runs)]
    for kind, label, goal in (("extract", "extract rows/s vs bulk export", ">= 0.5"),
                              ("validation", "GX suite vs plain pandas (sales_orders)", "<= 5"),
                              ("forecast", "forecast vs raw statsforecast", "<= 1.15")):
        cells = [_verdict(r["ratios"].get(kind, {}).get("ratio"), goal) for r in runs]
        lines.append(f"| {label} | {goal} | " + " | ".join(cells) + " |")
    cells = [_verdict(orchestration(r), "<= 1.05") for r in runs]
    lines.append("| Prefect flow vs direct calls (wall) | <= 1.05 at medium | "
                 + " | ".join(cells) + " |")
    cells = [_verdict(orchestration(r, "cpu_s"), "<= 1.05") for r in runs]
    lines.append("| Prefect flow vs direct calls (CPU) | <= 1.05 at medium | "
                 + " | ".join(cells) + " |")
    sc = scaling(result)
    lines.append("| s per million lines, large vs medium | <= 1.1 | " + " | ".join(
        _verdict(sc.get(r["db"]), "<= 1.1") if r["scale"] == "large" else "-" for r in runs)
        + " |")
    for db, stages in stage_scaling(result).items():
        lines += ["", f"Seconds per million order lines, large / medium, per stage finished at "
                  f"both scales ({db}; wall, CPU): " + ", ".join(
                      f"{n} {w:.2f}x / {c:.2f}x" for n, (w, c) in stages.items()) + "."]
    flows = [r for r in runs if _finished(r) and "total" in r.get("flow", {})]
    lines += ["", "Orchestration, wall and CPU of the whole cycle: " + "; ".join(
        f"{r['scale']} {r['db']} direct {_fmt_s(r['direct']['total']['wall_s'])} / "
        f"{_fmt_s(r['direct']['total']['cpu_s'])} CPU, flow "
        f"{_fmt_s(r['flow']['total']['wall_s'])} / {_fmt_s(r['flow']['total']['cpu_s'])} CPU"
        for r in flows) + "." if flows else "No flow run.",
        "", "Details of the ratios (seconds of each side, rows or series):", ""]
    for r in runs:
        rat = r["ratios"]
        parts = []
        if "ratio" in rat.get("extract", {}):
            e = rat["extract"]
            parts.append(f"extract {e['rows']:,} rows in {e['project_s']} s vs bulk export "
                         f"{e['bulk_s']} s")
        if "ratio" in rat.get("validation", {}):
            v = rat["validation"]
            parts.append(f"validation GX {v['gx_s']} s vs pandas {v['pandas_s']} s "
                         f"({v['bad_rows_gx']}/{v['bad_rows_pandas']} bad rows)")
        if "ratio" in rat.get("forecast", {}):
            f = rat["forecast"]
            parts.append(f"forecast {f['series']} series: project {f['project_s']} s vs raw "
                         f"{f['raw_s']} s")
        lines.append(f"- {r['scale']} {r['db']}: " + "; ".join(parts))
    lines += ["", "### Stage by stage (the stage functions called directly)", "",
              "Wall s / CPU s / peak MB; demand, forecast and balance are parts of plan.", "",
              "| stage | " + " | ".join(f"{r['scale']} {r['db']}" for r in runs) + " |",
              "|---|" + "---:|" * len(runs)]
    for stage in STAGES:
        cells = []
        for r in runs:
            s = r["direct"]["stages"].get(stage)
            cells.append("-" if s is None else
                         f"{s['wall_s']:.1f} / {s['cpu_s']:.1f} / {s['peak_rss_mb']:,.0f}")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    before = json.loads(BEFORE.read_text()) if BEFORE.is_file() else None
    return "\n".join(lines) + "\n\n" + data_plane_goals(result, before)


def write_markdown(result: dict, path: Path) -> None:
    """Replace the generated part of the '## Scale' section (appended when missing)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{markdown(result)}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Scale\n\n" + block + "\n"
    path.write_text(text)
