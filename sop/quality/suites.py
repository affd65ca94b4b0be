"""Running the expectation suites (expectations/<dataset>.json) with GX Core 1.x on frames.

Great Expectations is imported lazily, once per process, by `gx_module()`; it
also registers the three castability expectations the contracts need
(`expect_column_values_to_be_castable_to_{number,int,date}`, the same casts as
`sop.ingest.staging`). Validation runs in an ephemeral, in-memory context (one per
process, holding no data); nothing is written unless Data Docs are asked for,
which uses a fresh context with one filesystem site.

A suite runs in two stages on one dataset: the schema expectations (columns
present, castable, not null) on the frame as extracted, everything else on the
frame cast to the contract types, so that a text in a numeric column is reported
once, as not castable, instead of breaking every range check on that column.
Each stage is validated pass/fail first (cheap), then only the failed
expectations again with their bad rows.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from sop.contracts import contract_for
from sop.ingest.staging import cast_series
from sop.quality.checks import Finding, finding

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
SOURCE_STAGE = ("expect_table_columns_to_match_set", "expect_column_values_to_be_castable_to_",
                "expect_column_values_to_not_be_null")
RESULT_FORMAT = {"result_format": "COMPLETE", "partial_unexpected_count": 3}


def load_suites(folder: Path = SUITES_DIR) -> dict[str, dict]:
    """Suite documents by dataset, read from `folder`/<dataset>.json."""
    suites = {}
    for path in sorted(Path(folder).glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        suites[doc.get("name", path.stem)] = doc
    if not suites:
        raise FileNotFoundError(f"no expectation suites (*.json) in {folder}")
    return suites


@lru_cache(maxsize=1)
def gx_module() -> ModuleType:
    """`great_expectations`, imported once, with the castability expectations registered."""
    import great_expectations as gx
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import ColumnMapExpectation
    from great_expectations.expectations.metrics.map_metric_provider import (
        ColumnMapMetricProvider,
        column_condition_partial,
    )

    for logical in ("number", "int", "date"):
        def castable(cls, column, _logical=logical, **kwargs):
            with warnings.catch_warnings():  # pandas' "could not infer format" on bad dates
                warnings.simplefilter("ignore", UserWarning)
                return cast_series(column, _logical).notna()

        metric = f"column_values.castable_to_{logical}"
        type(f"ColumnValuesCastableTo{logical.title()}", (ColumnMapMetricProvider,), {
            "condition_metric_name": metric,
            "_pandas": column_condition_partial(engine=PandasExecutionEngine)(castable),
        })
        type(f"ExpectColumnValuesToBeCastableTo{logical.title()}", (ColumnMapExpectation,), {
            "__doc__": f"Expect every non-null value to cast to the contract type {logical}.",
            "__module__": __name__, "map_metric": metric, "success_keys": ("mostly",),
        })
    return gx


def _batch_definition(context):
    return context.data_sources.add_pandas("sop").add_dataframe_asset("extract") \
        .add_batch_definition_whole_dataframe("whole")


@lru_cache(maxsize=1)
def _shared_batch_definition():
    """One in-memory context per process for runs without Data Docs (it holds no data)."""
    return _batch_definition(_context(gx_module(), None))


def _context(gx: ModuleType, docs_dir: Path | None):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False))
    context = gx.get_context(project_config=config, mode="ephemeral")
    if docs_dir is not None:
        context.add_data_docs_site("sop", {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(docs_dir)}})
    return context


def typed_frame(frame: pd.DataFrame, dataset: str,
                columns: set[str] | None = None) -> pd.DataFrame:
    """`frame` with its non-string contract columns cast (ints as float64, for fast
    comparisons); text columns are left as extracted. Only `columns`, when given (GX
    copies the whole frame for each column check: narrower is faster)."""
    out = {}
    for col in contract_for(dataset).columns:
        if col.name in frame.columns and (columns is None or col.name in columns):
            values = frame[col.name]
            if col.type != "string":
                values = cast_series(values, col.type)
                values = values.astype("float64") if col.type == "int" else values
            out[col.name] = values
    return pd.DataFrame(out, index=frame.index)


def split_suite(doc: Mapping) -> tuple[list[dict], list[dict]]:
    """The suite's expectations for the extracted frame and for the typed frame, each
    tagged with its position in the suite (meta.sop_index) to match results back."""
    source, typed = [], []
    for i, exp in enumerate(doc.get("expectations", [])):
        tagged = {**exp, "meta": {**exp.get("meta", {}), "sop_index": i}}
        (source if exp["type"].startswith(SOURCE_STAGE) else typed).append(tagged)
    return source, typed


def _used_columns(exps: list[dict]) -> set[str]:
    return {c for e in exps for c in _columns_of(e["kwargs"])}


def _columns_of(kwargs: Mapping) -> list[str]:
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_list" in kwargs:
        return list(kwargs["column_list"])
    return [kwargs[k] for k in ("column_A", "column_B") if k in kwargs]


def _error_of(res) -> str:
    info = res.exception_info or {}
    if "raised_exception" in info:
        return (info.get("exception_message") or "error") if info["raised_exception"] else ""
    return next((i.get("exception_message") or "error" for i in info.values()
                 if isinstance(i, dict) and i.get("raised_exception")), "")


def _detail(kind: str, kwargs: Mapping, description: str, result: Mapping) -> str:
    text = description or ""
    if kind.startswith("expect_table_row_count"):
        text = f"{text} (observed {result.get('observed_value')} rows)".strip()
    values = result.get("partial_unexpected_list") or []
    if values and "column" in kwargs and not kind.endswith("unique"):
        shown = ", ".join(repr(round(v, 6) if isinstance(v, float) else v) for v in values[:3])
        text = f"{text}; bad values: {shown}" if text else f"bad values: {shown}"
    return text


def _finding(dataset: str, frame: pd.DataFrame, res) -> Finding | None:
    """One GX result as a Finding; None for checks on a column the source lacks (the
    column-set expectation reports those once)."""
    cfg = res.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k != "batch_id"}
    severity = getattr(cfg.severity, "value", cfg.severity) or "critical"
    key = contract_for(dataset).key
    if cfg.type == "expect_table_columns_to_match_set":
        missing = [c for c in kwargs.get("column_set", []) if c not in frame.columns]
        return finding(dataset, cfg.type, ",".join(missing) or None, severity, frame, key,
                       None, f"column(s) missing from the source: {', '.join(missing)} "
                       "(renamed or dropped?)", failed=not res.success)
    columns = _columns_of(kwargs)
    if any(c not in frame.columns for c in columns):
        return None
    result = res.result or {}
    bad = np.zeros(len(frame), dtype=bool)
    bad[np.asarray(result.get("unexpected_index_list") or [], dtype=np.int64)] = True
    error = _error_of(res)
    detail = (f"could not be evaluated: {error}" if error
              else _detail(cfg.type, kwargs, cfg.description or "", result))
    return finding(dataset, cfg.type, ",".join(columns) or None, severity, frame, key, bad,
                   detail, failed=not res.success)


def _stage_results(batch_def, data: pd.DataFrame, exps: list[dict],
                   parameters: Mapping[str, object]) -> list:
    """Validate cheaply (pass/fail only), then again with the bad rows for what failed;
    one validator, so the frame is loaded (and fingerprinted by GX) once."""
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.validator.v1_validator import Validator

    params = dict(parameters)
    validator = Validator(batch_definition=batch_def, result_format="BOOLEAN_ONLY",
                          batch_parameters={"dataframe": data})
    first = validator.validate_expectation_suite(
        ExpectationSuite(name="pass", expectations=exps), expectation_parameters=params)
    failed = {r.expectation_config.meta["sop_index"] for r in first.results if not r.success}
    if not failed:
        return list(first.results)
    validator.result_format = RESULT_FORMAT
    again = [e for e in exps if e["meta"]["sop_index"] in failed]
    second = validator.validate_expectation_suite(
        ExpectationSuite(name="failed", expectations=again), expectation_parameters=params)
    return [r for r in first.results if r.success] + list(second.results)


def _docs_results(context, batch_def, name: str, exps: list[dict], data: pd.DataFrame,
                  parameters: Mapping[str, object]) -> list:
    """Validate through a stored Validation Definition, so that Data Docs show it."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    suite = context.suites.add(ExpectationSuite(name=name, expectations=exps))
    vd = context.validation_definitions.add(
        gx_module().ValidationDefinition(name=name, data=batch_def, suite=suite))
    run = vd.run(batch_parameters={"dataframe": data}, result_format=RESULT_FORMAT,
                 expectation_parameters=dict(parameters))
    return list(run.results)


def suite_findings(frames: Mapping[str, pd.DataFrame], suites: Mapping[str, Mapping],
                   parameters: Mapping[str, object],
                   docs_dir: Path | None = None) -> list[Finding]:
    """Every expectation of every dataset's suite as a Finding (row positions 0-based).

    `parameters` fill the suites' `$PARAMETER`s (latest_event_date as an ISO datetime).
    With `docs_dir`, GX Data Docs for these validations are written there.
    """
    context = _context(gx_module(), docs_dir) if docs_dir is not None else None
    batch_def = _batch_definition(context) if context else _shared_batch_definition()
    out: list[Finding] = []
    for name, frame in frames.items():
        if name not in suites:
            raise KeyError(f"no expectation suite for dataset {name!r}")
        raw = frame if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 \
            and frame.index.step == 1 else frame.reset_index(drop=True)
        for stage, exps in zip(("source", "typed"), split_suite(suites[name]), strict=True):
            if not exps:
                continue
            data = raw if stage == "source" else typed_frame(raw, name, _used_columns(exps))
            if docs_dir is None:
                results = _stage_results(batch_def, data, exps, parameters)
            else:
                results = _docs_results(context, batch_def, f"{name}.{stage}", exps, data,
                                        parameters)
            results.sort(key=lambda r: r.expectation_config.meta["sop_index"])
            out.extend(f for f in (_finding(name, raw, r) for r in results) if f is not None)
    if context is not None:
        context.build_data_docs(site_names=["sop"])
    return out
