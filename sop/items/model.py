"""Coordination items: the cross-department work forms agreed at the monthly meeting.

A requesting department asks a responsible department for something: a requirement, a due
date, an evaluation standard and an owner (a person), signed by a head of each department.
Stored statuses: draft -> signed (both heads signed) -> done (by the owner or a responsible
head) -> verified (by a requesting head); cancelled (by a requesting head) from any status
but verified. `overdue` is derived, never stored: a signed item past its due date
(`status_on`), so no job has to flip it and it ends by itself when the item is done.

Every change is a pure function returning the new item and a `Change` for the history; an
illegal one raises ItemError naming item, status and why. No database, clock or environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

import pandas as pd

from sop.config import DEPARTMENTS
from sop.periods import PeriodError, parse_period

STATUSES = ("draft", "signed", "done", "verified", "overdue", "cancelled")
STORED_STATUSES = ("draft", "signed", "done", "verified", "cancelled")
OPEN_STATUSES = ("overdue", "draft", "signed", "done")  # still waiting for someone; list order
ACTIONS = ("sign", "done", "verify", "cancel")
SIDES = ("requesting", "responsible")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")

Heads = Mapping[str, Sequence[str]]  # department -> head e-mail addresses


class ItemError(ValueError):
    """An illegal change or bad input; the message names the item, its status and why."""


@dataclass(frozen=True)
class Item:
    item_id: str
    period: str
    requesting: str
    responsible: str
    requirement: str
    due: date
    standard: str
    owner: str
    status: str = "draft"
    created_by: str = ""
    created_at: datetime | None = None
    requesting_signed_by: str | None = None
    requesting_signed_at: datetime | None = None
    responsible_signed_by: str | None = None
    responsible_signed_at: datetime | None = None
    outcome: str | None = None
    alert_key: str | None = None
    done_at: datetime | None = None
    verified_at: datetime | None = None
    revision: int = 0

    def department(self, side: str) -> str:
        return self.requesting if side == "requesting" else self.responsible

    def signed_by(self, side: str) -> str | None:
        return getattr(self, f"{side}_signed_by")


@dataclass(frozen=True)
class Change:
    """One history entry: who did what to which item, when, and the status it moved."""

    item_id: str
    at: datetime
    actor: str
    action: str  # add, sign, done, verify, cancel
    from_status: str | None
    to_status: str
    note: str | None = None


def status_on(item: Item, today: date) -> str:
    """The status as seen on `today`: a signed item past its due date is `overdue`."""
    return "overdue" if item.status == "signed" and item.due < today else item.status


def _who(email: str) -> str:
    return str(email).strip().lower()


def _heads_of(heads: Heads, department: str) -> list[str]:
    return [_who(h) for h in heads.get(department, ())]


def _label(item: Item, at: datetime) -> str:
    status = status_on(item, at.date())
    return f"{item.item_id} ({status}, due {item.due.isoformat()})"


def _not_head(actor: str, departments: Iterable[str], heads: Heads) -> str:
    listed = "; ".join(f"{d}: {', '.join(_heads_of(heads, d)) or 'none'}" for d in departments)
    return f"{actor} is not a head of {' or '.join(departments)} (heads - {listed})"


def draft_item(*, period: str, requesting: str, responsible: str, requirement: str, due: date,
               standard: str, owner: str, actor: str, at: datetime, today: date,
               alert_key: str | None = None) -> Item:
    """A new draft (its id is given when stored); ItemError for any bad field."""
    try:
        parse_period(period)
    except PeriodError as e:
        raise ItemError(f"new item: {e}") from None
    for role, dept in (("requesting", requesting), ("responsible", responsible)):
        if dept not in DEPARTMENTS:
            raise ItemError(f"new item: unknown {role} department {dept!r}; "
                            f"known: {', '.join(DEPARTMENTS)}")
    if requesting == responsible:
        raise ItemError(f"new item: requesting and responsible department are both {requesting}; "
                        "an item is between two departments")
    for name, text in (("requirement", requirement), ("evaluation standard", standard)):
        if not str(text or "").strip():
            raise ItemError(f"new item: the {name} is empty")
    for role, email in (("owner", owner), ("--as", actor)):
        if not _EMAIL.match(str(email or "").strip()):
            raise ItemError(f"new item: {role} {email!r} is not an e-mail address")
    if due < today:
        raise ItemError(f"new item: due date {due.isoformat()} is in the past (today is "
                        f"{today.isoformat()})")
    return Item("", period, requesting, responsible, requirement.strip(), due, standard.strip(),
                _who(owner), created_by=_who(actor), created_at=at, alert_key=alert_key)


def signed_item(item: Item, actor: str, heads: Heads, at: datetime,
                note: str | None = None) -> tuple[Item, Change]:
    """Sign for each department of the item `actor` heads; `signed` once both have signed."""
    who, what = _who(actor), f"cannot sign {_label(item, at)}"
    if item.status != "draft":
        why = "both heads signed already" if item.status == "signed" else "only drafts are signed"
        raise ItemError(f"{what}: it is {item.status}; {why}")
    sides = [s for s in SIDES if who in _heads_of(heads, item.department(s))]
    if not sides:
        raise ItemError(f"{what}: " + _not_head(who, (item.requesting, item.responsible), heads))
    todo = [s for s in sides if not item.signed_by(s)]
    if not todo:
        other = [item.department(s) for s in SIDES if not item.signed_by(s)]
        raise ItemError(f"{what}: {', '.join(item.department(s) for s in sides)} signed already "
                        f"(by {', '.join(item.signed_by(s) for s in sides)}); waiting for a head "
                        f"of {', '.join(other)}")
    values = {}
    for s in todo:
        values[f"{s}_signed_by"], values[f"{s}_signed_at"] = who, at
    new = replace(item, **values)
    if all(new.signed_by(s) for s in SIDES):
        new = replace(new, status="signed")
    text = "signed for " + " and ".join(item.department(s) for s in todo)
    return new, Change(item.item_id, at, who, "sign", item.status, new.status,
                       f"{text}: {note}" if note else text)


def done_item(item: Item, actor: str, heads: Heads, at: datetime,
              note: str | None = None) -> tuple[Item, Change]:
    """Report the item done (the note is its outcome): by the owner or a responsible head,
    only once both heads signed."""
    who, what = _who(actor), f"cannot mark {_label(item, at)} done"
    if item.status == "draft":
        missing = [item.department(s) for s in SIDES if not item.signed_by(s)]
        raise ItemError(f"{what}: it is draft; both heads must sign first (missing: "
                        f"{', '.join(missing)})")
    if item.status != "signed":
        why = {"done": f"it was reported done already; a head of {item.requesting} verifies it",
               "verified": "it is verified and closed",
               "cancelled": "it was cancelled"}[item.status]
        raise ItemError(f"{what}: it is {item.status}; {why}")
    if who != item.owner and who not in _heads_of(heads, item.responsible):
        raise ItemError(f"{what}: {who} is neither the owner ({item.owner}) nor a head of "
                        f"{item.responsible} ({', '.join(_heads_of(heads, item.responsible))})")
    new = replace(item, status="done", done_at=at, outcome=(note or "").strip() or None)
    return new, Change(item.item_id, at, who, "done", item.status, "done", note)


def verified_item(item: Item, actor: str, heads: Heads, at: datetime,
                  note: str | None = None) -> tuple[Item, Change]:
    """Accept the result against the evaluation standard: only a requesting head, only done."""
    who, what = _who(actor), f"cannot verify {_label(item, at)}"
    if item.status != "done":
        why = {"verified": "it is verified already", "cancelled": "it was cancelled"}.get(
            item.status, f"only a done item is verified; {item.responsible} has not done it")
        raise ItemError(f"{what}: it is {item.status}; {why}")
    if who not in _heads_of(heads, item.requesting):
        raise ItemError(f"{what}: only a head of the requesting department verifies; "
                        + _not_head(who, (item.requesting,), heads))
    new = replace(item, status="verified", verified_at=at)
    return new, Change(item.item_id, at, who, "verify", item.status, "verified", note)


def cancelled_item(item: Item, actor: str, heads: Heads, at: datetime,
                   note: str | None = None) -> tuple[Item, Change]:
    """Withdraw the request: only a requesting head, any time before it is verified."""
    who, what = _who(actor), f"cannot cancel {_label(item, at)}"
    if item.status in ("verified", "cancelled"):
        why = {"verified": "a verified item is closed", "cancelled": "it was cancelled already"}
        raise ItemError(f"{what}: it is {item.status}; {why[item.status]}")
    if who not in _heads_of(heads, item.requesting):
        raise ItemError(f"{what}: only a head of the requesting department cancels; "
                        + _not_head(who, (item.requesting,), heads))
    new = replace(item, status="cancelled")
    return new, Change(item.item_id, at, who, "cancel", item.status, "cancelled", note)


_TRANSITIONS = {"sign": signed_item, "done": done_item, "verify": verified_item,
                "cancel": cancelled_item}


def item_after(item: Item, action: str, actor: str, heads: Heads, at: datetime,
               note: str | None = None) -> tuple[Item, Change]:
    """The item after `action` (sign, done, verify, cancel) by `actor`, and its history entry."""
    if action not in _TRANSITIONS:
        raise ItemError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    return _TRANSITIONS[action](item, actor, heads, at, note)


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).to_pydatetime() if isinstance(value, date) else value


def item_from_row(row: Mapping[str, object]) -> Item:
    """An Item from a stored row (a mapping or a frame row)."""
    values = {k: _plain(row.get(k)) for k in Item.__dataclass_fields__}
    values["due"] = pd.Timestamp(row["due"]).date()
    values["revision"] = int(values["revision"] or 0)
    return Item(**values)


def items_of(items: pd.DataFrame | Iterable[Item]) -> list[Item]:
    if isinstance(items, pd.DataFrame):
        return [item_from_row(r) for r in items.to_dict("records")]
    return list(items)


def item_record(item: Item, today: date) -> dict:
    """A JSON-ready dict: dates as ISO text, the status as seen on `today`, days left."""
    out = {k: (v.isoformat() if isinstance(v, (date, datetime)) else v)
           for k, v in asdict(item).items()}
    out["stored_status"] = item.status
    out["status"] = status_on(item, today)
    out["days_left"] = (item.due - today).days
    return out


def listed_items(items: pd.DataFrame | Iterable[Item], today: date, *,
                 department: str | None = None, status: str | None = None,
                 period: str | None = None) -> list[Item]:
    """Items matching the filters (a department on either side), overdue first, then by due
    date and id."""
    rank = {s: i for i, s in enumerate(OPEN_STATUSES + ("verified", "cancelled"))}
    chosen = [i for i in items_of(items)
              if (department is None or department in (i.requesting, i.responsible))
              and (status is None or status_on(i, today) == status)
              and (period is None or i.period == period)]
    return sorted(chosen, key=lambda i: (rank[status_on(i, today)], i.due, i.item_id))


def completion_by_department(items: pd.DataFrame | Iterable[Item], period: str) -> list[dict]:
    """Per responsible department, items due in `period` (cancelled ones left out): how many,
    done on time (done on or before the due date), done late, not done, and the rate on time."""
    start, end = parse_period(period).date(), (parse_period(period) + pd.offsets.MonthEnd(0))
    due = [i for i in items_of(items)
           if start <= i.due <= end.date() and i.status != "cancelled"]
    out = []
    for dept in DEPARTMENTS:
        mine = [i for i in due if i.responsible == dept]
        on_time = sum(1 for i in mine if i.done_at is not None and i.done_at.date() <= i.due)
        late = sum(1 for i in mine if i.done_at is not None and i.done_at.date() > i.due)
        out.append({"department": dept, "due": len(mine), "done_on_time": on_time,
                    "done_late": late, "not_done": len(mine) - on_time - late,
                    "rate": round(on_time / len(mine), 3) if mine else None})
    return out


def items_for_department(items: pd.DataFrame | Iterable[Item], department: str, period: str,
                         today: date | None = None) -> dict:
    """What a department's packet shows: open items it owes and open items it asked for,
    overdue first; for management also every open item and the completion rate by department
    for `period` (the month the packet reports). Overdue is judged on `today` (default: the
    day after the period ends)."""
    if today is None:
        today = (parse_period(period) + pd.offsets.MonthBegin(1)).date()
    open_items = [i for i in listed_items(items, today) if status_on(i, today) in OPEN_STATUSES]
    out = {
        "department": department, "period": period, "as_of": today.isoformat(),
        "owed": [item_record(i, today) for i in open_items if i.responsible == department],
        "asked": [item_record(i, today) for i in open_items if i.requesting == department],
    }
    if department == "management":
        out["open"] = [item_record(i, today) for i in open_items]
        out["completion"] = completion_by_department(items, period)
    return out
