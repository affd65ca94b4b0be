"""Quality results as text: the markdown table for the Prefect artifact and the packets,
and the one-line summary the flow and the CLI print."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sop.quality.checks import CheckResult
from sop.quality.notes import plain_note


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def quality_summary(results: Iterable[CheckResult], period: str,
                    quarantined: Mapping[str, int] | None = None) -> str:
    rows = list(results)
    failed = [r for r in rows if not r.success]
    critical = sum(r.severity == "critical" for r in failed)
    text = (f"data quality {period}: {len(rows)} checks on {len({r.dataset for r in rows})} "
            f"datasets, {len(failed)} failed ({critical} critical, "
            f"{len(failed) - critical} warning)")
    if quarantined:
        text += "; quarantined rows: " + ", ".join(f"{k}={v}" for k, v in quarantined.items())
    return text


def quality_markdown(results: Iterable[CheckResult], period: str,
                     quarantined: Mapping[str, int] | None = None) -> str:
    """Failed checks in full (critical first), then every check that passed."""
    rows = list(results)
    failed = [r for r in rows if not r.success]
    lines = [f"# Data quality, {period}", "", quality_summary(rows, period, quarantined) + ".",
             ""]
    if quarantined:
        lines += ["Rows set aside (`on_error: quarantine`, table `sop_quarantine`): "
                  + ", ".join(f"{k}: {v}" for k, v in quarantined.items()) + ".", ""]
    if failed:
        lines += ["## Failed", "",
                  "| dataset | check | column | severity | bad rows | rows | sample keys | detail |",
                  "|---|---|---|---|---:|---:|---|---|"]
        for r in sorted(failed, key=lambda r: (r.severity != "critical", r.dataset)):
            lines.append(f"| {r.dataset} | {r.expectation} | {_cell(r.column or '')} | "
                         f"{r.severity} | {r.unexpected_count} | {r.element_count} | "
                         f"{_cell(', '.join(r.sample_keys))} | {_cell(r.detail)} |")
        lines.append("")
    else:
        lines += ["All checks passed.", ""]
    passed = [r for r in rows if r.success]
    if passed:
        lines += ["## Passed", "", "| dataset | check | column | severity | rows |",
                  "|---|---|---|---|---:|"]
        lines += [f"| {r.dataset} | {r.expectation} | {_cell(r.column or '')} | {r.severity} | "
                  f"{r.element_count} |" for r in passed]
    return "\n".join(lines)


def quality_notes(results: Iterable[CheckResult]) -> list[str]:
    """One line per failed warning-level check, in words, for the packets."""
    return [plain_note(r) for r in results if not r.success and r.severity == "warning"]

