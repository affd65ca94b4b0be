"""One run per (flow, period): a lease in the warehouse, atomic on SQLite and PostgreSQL,
lapsing when its run died without releasing it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from sop.runs import LeaseHeld, acquire_lease, release_lease
from sop.warehouse import warehouse_engine

T0 = datetime(2026, 11, 5, 9, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
        yield warehouse_engine(url)
        return
    engine = warehouse_engine(request.getfixturevalue("pg_url"))
    yield engine
    engine.dispose()


def test_a_second_run_is_refused_naming_the_holder_until_released(engine):
    acquire_lease(engine, "monthly-cycle", "2026-10", "run-a", T0, 60)
    acquire_lease(engine, "monthly-cycle", "2026-10", "run-a", T0, 60)  # a retry: its own
    with pytest.raises(LeaseHeld, match="already running as run run-a"):
        acquire_lease(engine, "monthly-cycle", "2026-10", "run-b", T0 + timedelta(minutes=5), 60)
    acquire_lease(engine, "monthly-cycle", "2026-09", "run-b", T0, 60)  # another period
    acquire_lease(engine, "watch-divergence", "2026-10", "run-c", T0, 60)  # another flow
    assert release_lease(engine, "monthly-cycle", "2026-10", "run-b") is False  # not its own
    assert release_lease(engine, "monthly-cycle", "2026-10", "run-a") is True
    acquire_lease(engine, "monthly-cycle", "2026-10", "run-b", T0 + timedelta(minutes=6), 60)


def test_a_lease_left_by_a_killed_run_lapses(engine):
    acquire_lease(engine, "monthly-cycle", "2026-10", "killed", T0, 30)
    with pytest.raises(LeaseHeld):
        acquire_lease(engine, "monthly-cycle", "2026-10", "next", T0 + timedelta(minutes=29), 30)
    acquire_lease(engine, "monthly-cycle", "2026-10", "next", T0 + timedelta(minutes=31), 30)
    with pytest.raises(LeaseHeld, match="run next"):
        acquire_lease(engine, "monthly-cycle", "2026-10", "killed", T0 + timedelta(minutes=32), 30)


def test_of_runs_racing_for_a_lease_exactly_one_wins(engine):
    winners, refused, errors = [], [], []
    start = threading.Barrier(6)

    def contender(i: int) -> None:
        start.wait()
        try:
            acquire_lease(engine, "monthly-cycle", "2026-10", f"run-{i}", T0, 60)
            winners.append(i)
        except LeaseHeld:
            refused.append(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(winners) == 1 and len(refused) == 5


def test_an_unreachable_warehouse_is_named_by_its_key_masked_and_transient():
    from sop.warehouse import WarehouseError

    with pytest.raises(WarehouseError) as e:
        warehouse_engine("postgresql+psycopg://sop:Pw-31f7@127.0.0.1:9/wh")
    text = str(e.value)
    assert text.startswith("warehouse.url postgresql+psycopg://sop:***@127.0.0.1:9/wh: cannot "
                           "connect") and "Pw-31f7" not in text
    assert e.value.transient is True  # the tasks retry it, like a source
