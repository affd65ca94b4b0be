"""Coordination items in the warehouse: read them, add one, change one, each change with its
history row in the same transaction.

Ids are `CI-<period raised>-<nnn>`, numbered per period through a counter row per period
(`sop_item_counters`) whose update lock serialises concurrent adds, so two people adding
at the same moment get distinct ids and numbers are never reused, even after a cancel. A change locks the item row (SELECT ... FOR UPDATE on PostgreSQL and MariaDB) and
also checks the item's `revision`, so two changes never both apply to the same state.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, replace
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sop.items.model import Change, Heads, Item, ItemError, item_after, item_from_row
from sop.warehouse import (
    alerts,
    coordination_items,
    item_counters,
    item_history,
    item_reminders,
    upsert_rows,
)

ID_PATTERN = re.compile(r"^CI-(\d{4}-(?:0[1-9]|1[0-2]))-(\d{3,})$")
_ADD_ATTEMPTS = 5


def item_id_for(period: str, number: int) -> str:
    return f"CI-{period}-{number:03d}"


def normalized_id(text: str) -> str:
    """`ci-2026-10-001 ` -> `CI-2026-10-001`; ItemError for anything not shaped like an id."""
    value = str(text).strip().upper()
    if not ID_PATTERN.match(value):
        raise ItemError(f"{text!r} is not an item id (they look like CI-2026-10-001)")
    return value


def _second(at: datetime) -> datetime:
    """Whole seconds: MariaDB's DATETIME keeps no fraction, so every backend stores the same."""
    return at.replace(microsecond=0, tzinfo=None)


def _row(item: Item) -> dict:
    return {k: (_second(v) if isinstance(v, datetime) else v) for k, v in asdict(item).items()}


def _history_row(change: Change) -> dict:
    return {**asdict(change), "at": _second(change.at)}


def stored_items(engine: Engine) -> pd.DataFrame:
    """Every item, one row each (the columns of sop_items; `due` and times as datetimes)."""
    with engine.connect() as conn:
        frame = pd.read_sql(sa.select(coordination_items).order_by(coordination_items.c.item_id),
                            conn)
    for col in ("due", "created_at", "requesting_signed_at", "responsible_signed_at", "done_at",
                "verified_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def stored_item(engine: Engine, item_id: str) -> Item:
    key = normalized_id(item_id)
    with engine.connect() as conn:
        row = conn.execute(sa.select(coordination_items).where(
            coordination_items.c.item_id == key)).mappings().first()
    if row is None:
        raise ItemError(f"unknown item {key}: there is no coordination item with that id")
    return item_from_row(row)


def stored_history(engine: Engine, item_id: str | None = None) -> pd.DataFrame:
    """History rows (id, item_id, at, actor, action, from_status, to_status, note) in the
    order they happened; of one item when `item_id` is given."""
    query = sa.select(item_history).order_by(item_history.c.id)
    if item_id is not None:
        query = query.where(item_history.c.item_id == normalized_id(item_id))
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def stored_alert(engine: Engine, alert_key: str) -> dict:
    """The alert row (figures decoded); ItemError naming the key when there is none."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(alerts).where(alerts.c.alert_key == alert_key)
                           ).mappings().first()
    if row is None:
        raise ItemError(f"unknown alert {alert_key!r}: no such alert in the warehouse")
    out = dict(row)
    out["figures"] = json.loads(out["figures"]) if out.get("figures") else {}
    return out


def _next_number(conn: sa.Connection, period: str) -> int:
    """Take the period's next number. The counter row's update lock makes concurrent adds
    wait for each other; the first add of a period inserts the row (a concurrent first add
    then fails on the key and is retried)."""
    c = item_counters
    if conn.execute(c.update().where(c.c.period == period).values(
            last_number=c.c.last_number + 1)).rowcount:
        return conn.execute(sa.select(c.c.last_number).where(c.c.period == period)).scalar_one()
    ids = conn.execute(sa.select(coordination_items.c.item_id).where(
        coordination_items.c.period == period)).scalars()
    number = max((int(m.group(2)) for m in map(ID_PATTERN.match, ids) if m), default=0) + 1
    conn.execute(c.insert().values(period=period, last_number=number))
    return number


def add_item(engine: Engine, draft: Item, note: str | None = None) -> Item:
    """Store a new draft under the next free id of its period, with its `add` history row.
    An item made from an alert is refused while another live item exists for that alert."""
    for attempt in range(_ADD_ATTEMPTS):
        try:
            with engine.begin() as conn:
                number = _next_number(conn, draft.period)
                if draft.alert_key:
                    _refuse_second_item_for_alert(conn, draft.alert_key)
                item = replace(draft, item_id=item_id_for(draft.period, number),
                               status="draft", revision=0)
                conn.execute(coordination_items.insert().values(**_row(item)))
                conn.execute(item_history.insert().values(**_history_row(Change(
                    item.item_id, item.created_at, item.created_by, "add", None, "draft",
                    note))))
            return replace(item, created_at=_second(item.created_at))
        except (sa.exc.IntegrityError, sa.exc.OperationalError):
            # a concurrent first add of the period (key taken, or a deadlock on MariaDB)
            if attempt == _ADD_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _refuse_second_item_for_alert(conn: sa.Connection, alert_key: str) -> None:
    live = conn.execute(sa.select(coordination_items.c.item_id, coordination_items.c.status)
                        .where(coordination_items.c.alert_key == alert_key,
                               coordination_items.c.status != "cancelled")).first()
    if live is not None:
        raise ItemError(f"alert {alert_key} already has item {live.item_id} ({live.status}); "
                        "cancel that one first to raise a new one")


def change_item(engine: Engine, item_id: str, action: str, actor: str, heads: Heads,
                at: datetime, note: str | None = None) -> Item:
    """Apply `action` (sign, done, verify, cancel) by `actor` and record it, in one
    transaction. ItemError (nothing written) when the item is unknown or the change illegal."""
    key = normalized_id(item_id)
    table = coordination_items
    with engine.begin() as conn:
        row = conn.execute(sa.select(table).where(table.c.item_id == key).with_for_update()
                           ).mappings().first()
        if row is None:
            raise ItemError(f"unknown item {key}: there is no coordination item with that id")
        item = item_from_row(row)
        new, change = item_after(item, action, actor, heads, _second(at), note)
        new = replace(new, revision=item.revision + 1)
        updated = conn.execute(table.update().where(
            table.c.item_id == key, table.c.revision == item.revision).values(**_row(new)))
        if updated.rowcount != 1:
            raise ItemError(f"{key} was changed by someone else meanwhile; look again and retry")
        conn.execute(item_history.insert().values(**_history_row(change)))
    return new


def sent_reminders(engine: Engine) -> pd.DataFrame:
    """Reminders already sent: item_id, kind, recipients, channel, message_id, location,
    sent_at."""
    with engine.connect() as conn:
        return pd.read_sql(sa.select(item_reminders), conn)


def record_reminder(engine: Engine, row: dict) -> None:
    """Mark (item_id, kind) as sent; called right after the message went out."""
    with engine.begin() as conn:
        upsert_rows(conn, item_reminders, [{**row, "sent_at": _second(row["sent_at"])}])
