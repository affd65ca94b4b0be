"""Two runs of the same period at once (a schedule firing while an operator re-runs): one
runs, the other stops at once naming it; every packet and digest goes out once."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy

import sqlalchemy as sa

from flows.monthly import monthly_cycle
from sop.runs import LeaseHeld
from tests.flows.conftest import END, TODAY, write_config


def test_the_second_of_two_simultaneous_runs_stops_and_nothing_is_sent_twice(tmp_path, demo_erp):
    cfg = str(write_config(tmp_path, demo_erp))
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            outcomes.append(monthly_cycle(config_path=cfg, period=END, today=TODAY))
        except Exception as e:  # noqa: BLE001 - the outcome is checked below
            outcomes.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    done = [o for o in outcomes if isinstance(o, dict)]
    stopped = [o for o in outcomes if isinstance(o, LeaseHeld)]
    assert len(done) == 1 and len(stopped) == 1, outcomes
    assert f"monthly-cycle for {END} is already running as run {done[0]['run_id']}" in str(
        stopped[0])
    assert done[0]["deliveries"] == ["sent"] * 6
    mails = sorted((tmp_path / "out" / "outbox").rglob("*.eml"))
    ids = [message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"]
           for p in mails]
    assert len(ids) == len(set(ids)) and len(list((tmp_path / "out" / "outbox" / END).rglob(
        "*.eml"))) == 6
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM sop_leases")).scalar() == 0
        runs = conn.execute(sa.text("SELECT COUNT(*) FROM sop_runs")).scalar()
    engine.dispose()
    assert runs == 1  # the stopped run did nothing
