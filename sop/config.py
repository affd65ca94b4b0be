"""The one configuration object: a YAML file validated by pydantic.

`load_config(path, environ)` is the only place that reads the file and the environment;
everything else receives the resulting `Config` (or plain values taken from it).
`${VAR}` and `${VAR:-default}` in any string come from `environ`: secrets stay out of git.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import EmailStr, Field, ValidationError, model_validator

from sop.config_runtime import (  # noqa: F401 - part of this module's interface
    AlertsConfig,
    OperatorsConfig,
    RunnerConfig,
    SmtpConfig,
    SnapshotConfig,
    _Strict,
)
from sop.contracts import DATASETS

DEPARTMENTS: tuple[str, ...] = ("sales", "marketing", "sales_admin", "supply", "procurement",
                                 "management")
DEPARTMENT_TITLES: dict[str, str] = {  # how a head reads each department's name
    "sales": "Sales",
    "marketing": "Marketing",
    "sales_admin": "Sales administration",
    "supply": "Production, warehouse & logistics",
    "procurement": "Procurement",
    "management": "Management",
}


class ConfigError(ValueError):
    """A configuration problem, with a message that names the file and the key."""


class SourceConfig(_Strict):
    url: str
    # auto: an Arrow-native driver where there is one (sop.ingest.arrow), else SQLAlchemy
    reader: Literal["auto", "sqlalchemy"] = "auto"


class DatasetConfig(_Strict):
    source: str | None = None
    table: str | None = None
    query: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)  # source name -> contract name
    on_error: Literal["stop", "quarantine"] = "stop"

    @model_validator(mode="after")
    def _table_or_query(self) -> DatasetConfig:
        if self.table and self.query:
            raise ValueError("give either 'table' or 'query', not both")
        return self


class WarehouseConfig(_Strict):
    url: str


class DepartmentConfig(_Strict):
    heads: list[EmailStr] = Field(min_length=1)
    locale: Literal["en", "zh"] = "en"


class Thresholds(_Strict):
    """Alert and planning thresholds; every default is documented in docs/ARCHITECTURE.md."""

    forecast_vs_budget_pct: float = Field(default=10.0, gt=0)
    actual_vs_forecast_pct: float = Field(default=15.0, gt=0)
    stockout_weeks: float = Field(default=8.0, gt=0)
    excess_cover_weeks: float = Field(default=26.0, gt=0)
    lead_time_increase_pct: float = Field(default=20.0, gt=0)
    price_spike_pct: float = Field(default=10.0, gt=0)
    market_gap_pct: float = Field(default=5.0, gt=0)  # price paid moving above its market index
    sustained_periods: int = Field(default=2, ge=1)
    volume_band_pct: float = Field(default=50.0, gt=0)
    freshness_tolerance_days: int = Field(default=7, ge=0)
    overdue_days: int = Field(default=60, ge=1)  # an unpaid invoice this late is an alert
    # materiality (sop.alerts.impact): below both, an alert is minor and folded into a count
    materiality_value: float = Field(default=1000.0, ge=0)
    materiality_units: float = Field(default=20.0, ge=0)
    high_impact_value: float = Field(default=25000.0, ge=0)  # "high" needs this much at stake


class PlanningConfig(_Strict):
    horizon_months: int = Field(default=18, ge=1, le=36)
    review_months: int = Field(default=6, ge=1, le=18)  # what the demand review may adjust
    history_months: int = Field(default=60, ge=13)
    # the forecast's backtest (sop/forecast/backtest.py): origins 3 months apart, each one
    # more base forecast of the hierarchy; 0 turns it off (the reconciliation rule, the
    # models' own intervals); beyond backtest_max_series series it is off too
    backtest_origins: int = Field(default=3, ge=0, le=12)
    backtest_max_series: int = Field(default=2000, ge=0)
    budget_growth_pct: float = 5.0
    budget_amount: float | None = None
    key_accounts: list[str] = Field(default_factory=list)
    service_level: float = Field(default=0.95, gt=0.5, lt=1)
    safety_stock: Literal["data", "service_level"] = "data"
    production_lead_time_weeks: float = Field(default=4.0, gt=0)
    # units per week a production line can make; a line not listed: its highest planned week
    line_rates: dict[str, float] = Field(default_factory=dict)


class Config(_Strict):
    sources: dict[str, SourceConfig] = Field(min_length=1)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    warehouse: WarehouseConfig
    output_dir: str = "out"
    smtp: SmtpConfig | None = None
    departments: dict[str, DepartmentConfig]
    thresholds: Thresholds = Field(default_factory=Thresholds)
    planning: PlanningConfig = Field(default_factory=PlanningConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    operators: OperatorsConfig = Field(default_factory=OperatorsConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    snapshots: SnapshotConfig = Field(default_factory=SnapshotConfig)
    company: str = "Demo Manufacturing"
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        unknown = sorted(set(self.datasets) - set(DATASETS))
        if unknown:
            raise ValueError(f"unknown dataset(s) {unknown}; known: {', '.join(DATASETS)}")
        unknown_dept = sorted(set(self.departments) - set(DEPARTMENTS))
        if unknown_dept:
            raise ValueError(f"unknown department(s) {unknown_dept}; known: {', '.join(DEPARTMENTS)}")
        missing = [d for d in DEPARTMENTS if d not in self.departments]
        if missing:
            raise ValueError(f"missing department(s) {missing}: every department needs heads")
        for name, ds in self.datasets.items():
            if ds.source and ds.source not in self.sources:
                raise ValueError(
                    f"datasets.{name}.source: {ds.source!r} is not one of sources "
                    f"({', '.join(self.sources)})")
        if len(self.sources) > 1 and "erp" not in self.sources:
            bare = [n for n in DATASETS if not (n in self.datasets and self.datasets[n].source)]
            if bare:
                raise ValueError(
                    "with several sources and none named 'erp', every dataset needs "
                    f"'source'; missing for: {', '.join(bare)}")
        return self

    def dataset(self, name: str) -> DatasetConfig:
        return self.datasets.get(name, DatasetConfig())

    def heads(self, department: str) -> list[str]:  # the addresses of a department's heads
        return [str(a) for a in self.departments[department].heads]

    def heads_by_department(self) -> dict[str, list[str]]:
        return {d: self.heads(d) for d in self.departments}

    def source_of(self, dataset: str) -> SourceConfig:
        src = self.dataset(dataset).source
        if src is None:
            src = "erp" if "erp" in self.sources else next(iter(self.sources))
        return self.sources[src]

    def source_url(self, dataset: str) -> str:
        return self.source_of(dataset).url

    @property
    def snapshot_location(self) -> str:
        return self.snapshots.location or str(Path(self.output_dir) / "snapshots")

    @property
    def fingerprint(self) -> str:
        """A stable hash of the resolved config (secrets included only as a hash)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute(value: object, environ: Mapping[str, str], where: str) -> object:
    if isinstance(value, dict):
        return {k: _substitute(v, environ, f"{where}.{k}" if where else str(k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, environ, f"{where}.{i}") for i, v in enumerate(value)]
    if isinstance(value, str):
        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{where}: environment variable ${{{name}}} is not set")
        return _VAR.sub(repl, value)
    return value


def _format_error(path: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{loc}: {msg}")
    return f"invalid config {path}: " + "; ".join(lines)


def config_from_mapping(raw: object, environ: Mapping[str, str], path: str = "<config>") -> Config:
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid config {path}: expected a mapping at the top level")
    try:
        resolved = _substitute(raw, environ, "")
    except ConfigError as e:
        raise ConfigError(f"invalid config {path}: {e}") from None
    try:
        return Config.model_validate(resolved)
    except ValidationError as e:
        raise ConfigError(_format_error(path, e)) from None


def _anchor_paths(raw: dict, base: Path) -> dict:
    """Make relative SQLite files and output_dir relative to the config file, not the cwd."""
    def fix_url(url: object) -> object:
        if isinstance(url, str) and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            rest = url.removeprefix("sqlite:///")
            if rest and not rest.startswith(":memory:"):
                return "sqlite:///" + str((base / rest).resolve())
        return url

    out = dict(raw)
    for section in ("sources",):
        if isinstance(out.get(section), dict):
            out[section] = {
                k: ({**v, "url": fix_url(v.get("url"))} if isinstance(v, dict) else v)
                for k, v in out[section].items()}
    if isinstance(out.get("warehouse"), dict):
        out["warehouse"] = {**out["warehouse"], "url": fix_url(out["warehouse"].get("url"))}
    snaps = out.get("snapshots")
    if isinstance(snaps, dict) and isinstance(snaps.get("location"), str) \
            and not Path(snaps["location"]).is_absolute():
        out["snapshots"] = {**snaps, "location": str((base / snaps["location"]).resolve())}
    od = out.get("output_dir", "out")
    if isinstance(od, str) and not Path(od).is_absolute():
        out["output_dir"] = str((base / od).resolve())
    return out


def load_config(path: str | Path, environ: Mapping[str, str]) -> Config:
    """Read, substitute and validate the YAML config at `path`.

    `environ` is passed in (the caller gives the process environment), so this module never
    reads the process environment itself.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"invalid config {p}: not valid YAML ({e})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid config {p}: expected a mapping at the top level")
    resolved = config_from_mapping(raw, environ, str(p))
    return Config.model_validate(_anchor_paths(resolved.model_dump(mode="json"), p.parent.resolve()))
