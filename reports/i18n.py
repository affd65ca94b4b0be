"""Packet language: English or Simplified Chinese (`departments.<d>.locale: en | zh`).

The briefing context is built in English (sop.packets.briefing); `localized` returns a copy whose
labels are in the packet's language: titles, units, periods, empty messages, notes, column
labels, KPI labels, chart titles and legends, and the fixed words that appear as table values
(Total, severities, statuses...). Names from the data (customers, products, regions...) are
never translated. Strings are translated by an exact catalogue, then by templates with
placeholders ("Revenue, {name}"), then part by part when joined by "; ". What no entry covers
stays in English, so a missing entry shows as English, never as an error.

Formats follow the locale too: month names ("October 2026" / "2026年10月"), dates
(ISO / 2026/10/31), "n/a", and percentage points. Both locales group thousands with "," and
use "." for decimals (as CLDR does for zh).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache

from reports.catalog_zh import EXACT as ZH_EXACT
from reports.catalog_zh import TEMPLATES as ZH_TEMPLATES
from sop.packets.briefing import DEPARTMENT_TITLES

LOCALES = ("en", "zh")
DEPARTMENT_NAMES = {
    "en": dict(DEPARTMENT_TITLES),
    "zh": {"sales": "销售部", "marketing": "市场部", "sales_admin": "销管部",
           "supply": "生产/仓储/物流", "procurement": "采购部", "management": "管理层"},
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_YM = re.compile(r"(?<![\d-])(\d{4})-(0[1-9]|1[0-2])(?:-(\d{2}))?(?![\d-])")
_SLOT = re.compile(r"\{(\w+)\}")


def _pattern(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for m in _SLOT.finditer(template):
        parts.append(re.escape(template[last:m.start()]))
        parts.append(f"(?P<{m.group(1)}>(?:(?!; ).)+?)")  # a slot never spans a "; " join
        last = m.end()
    parts.append(re.escape(template[last:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@lru_cache(maxsize=1)
def _zh_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    # the most specific template (most literal text) first
    ranked = sorted(ZH_TEMPLATES.items(), key=lambda kv: -len(_SLOT.sub("", kv[0])))
    return tuple((_pattern(en), zh) for en, zh in ranked)


def _zh_dates(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        y, mo, d = m.group(1), int(m.group(2)), m.group(3)
        return f"{y}年{mo}月{int(d)}日" if d else f"{y}年{mo}月"
    return _YM.sub(repl, text)


@lru_cache(maxsize=8192)
def _zh(text: str) -> str:
    if text in ZH_EXACT:
        return ZH_EXACT[text]
    for rx, target in _zh_patterns():
        m = rx.match(text)
        if m:
            return target.format(**{k: _zh(v) for k, v in m.groupdict().items()})
    if "; " in text:
        return "；".join(_zh(p) for p in text.split("; "))
    return text


@dataclass(frozen=True)
class Locale:
    code: str = "en"

    def __post_init__(self) -> None:
        if self.code not in LOCALES:
            raise ValueError(f"unknown locale {self.code!r}; known: {', '.join(LOCALES)}")

    @property
    def zh(self) -> bool:
        return self.code == "zh"

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.zh else "en"

    @property
    def na(self) -> str:
        return "无数据" if self.zh else "n/a"

    @property
    def pp(self) -> str:
        return " 个百分点" if self.zh else " pp"

    def t(self, text: object) -> str:
        """`text` in this locale (unchanged in English or when no entry covers it)."""
        s = "" if text is None else str(text)
        return _zh_dates(_zh(s)) if self.zh and s else s

    def department(self, department: str) -> str:
        return DEPARTMENT_NAMES[self.code].get(department, department)

    def month(self, period: str) -> str:
        """'2026-10' as 'October 2026' / '2026年10月'."""
        y, m = int(period[:4]), int(period[5:7])
        return f"{y}年{m}月" if self.zh else f"{_MONTHS[m - 1]} {y}"

    def date(self, iso: str) -> str:
        """A 'YYYY-MM-DD' table date: unchanged in English, '2026/10/31' in Chinese."""
        if self.zh and re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
            return iso.replace("-", "/")
        return iso


_TABLE_TEXT = ("title", "unit", "period", "empty", "note")
_DATA_COLUMNS = frozenset({"customer", "product", "warehouse", "material", "supplier", "name",
                           "message", "entity", "promo_id", "sku", "invoice_id", "region",
                           "category", "line_id", "distributor", "index_name"})


def _table(t: dict, loc: Locale) -> dict:
    for k in _TABLE_TEXT:
        if t.get(k):
            t[k] = loc.t(t[k])
    for c in t["columns"]:
        c["label"] = loc.t(c["label"])
        if c["fmt"] != "text":
            continue
        data = c["key"] in _DATA_COLUMNS  # names from the data: only a Total row's label
        for r in t["rows"]:
            v = r.get(c["key"])
            if not isinstance(v, str) or not v or (data and v != "Total"):
                continue
            if c["key"] not in _OWNER_COLUMNS:
                r[c["key"]] = loc.t(v)
    return t


_OWNER_COLUMNS = ("owners", "action_owner")
_ALERT_TEXT = ("message", "action", "name", "group_name", "value_basis")


def _owners(t: dict, loc: Locale) -> None:
    """Department keys in owner columns named as the reader's language names them."""
    keys = [c["key"] for c in t["columns"] if c["key"] in _OWNER_COLUMNS]
    for r in t["rows"]:
        for k in keys:
            v = r.get(k)
            if isinstance(v, str) and v:
                r[k] = ", ".join(loc.department(o.strip()) for o in v.split(",") if o.strip())


def localized(context: dict, locale: Locale) -> dict:
    """A copy of the packet `context` with its labels in `locale` (the same dict shape)."""
    out = copy.deepcopy(context)
    out["locale"] = locale.code
    out["title"] = locale.department(context["department"])
    out["period_label"] = locale.month(context["period"])
    for key in ("alerts", "alerts_all"):
        if out.get(key):
            _owners(out[key], locale)
    if not locale.zh:
        return out
    for key in ("changes", "alerts", "alerts_all"):
        if out.get(key):
            _table(out[key], locale)
    for key in ("alerts", "alerts_all"):  # the texts sop/alerts writes (catalog_zh_alerts)
        for r in out.get(key, {}).get("rows", []):
            for c in _ALERT_TEXT:
                if isinstance(r.get(c), str):
                    r[c] = locale.t(r[c])
    for key in ("actions", "actions_all"):
        for t in out.get(key, {}).values():
            _table(t, locale)
    for t in out.get("tables", {}).values():
        _table(t, locale)
    for k in out.get("kpis", []):
        k["label"], k["unit"] = locale.t(k["label"]), locale.t(k["unit"])
        if k.get("note"):
            k["note"] = locale.t(k["note"])
    for ch in out.get("charts", []):
        ch["title"], ch["unit"], ch["period"] = (locale.t(ch[k]) for k in ("title", "unit",
                                                                            "period"))
        for s in [*ch["series"], *ch["bands"]]:
            s["label"] = locale.t(s["label"])
    for key in ("data_quality", "planning_notes"):
        out[key] = [locale.t(n) for n in out.get(key, [])]
    return out
