"""Alerts pushed once through a real webhook receiver on loopback and Prefect events seen
through the Prefect API; the daily watch re-balances without pushing twice and announces a
resolution once when the gap closes."""

from __future__ import annotations

import shutil
import sqlite3
import time

import pytest

from flows.monthly import monthly_cycle
from flows.watch import watch_divergence
from sop.demo import PLANTED_CATEGORY
from tests.flows.conftest import END, TODAY, write_config
from tests.webhook import WebhookReceiver

KEY = f"demand_supply_divergence:{PLANTED_CATEGORY}"


class Receiver(WebhookReceiver):
    def events(self, key: str) -> list[str]:
        return [p["event"] for p in self.posts if p["alert"]["alert_key"] == key]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def prefect_events(name: str, resource_id: str, since, wait: float = 20.0) -> list:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import (
        EventFilter,
        EventNameFilter,
        EventOccurredFilter,
        EventResourceFilter,
    )

    flt = EventFilter(event=EventNameFilter(name=[name]),
                      resource=EventResourceFilter(id=[resource_id]),
                      occurred=EventOccurredFilter(since=since))
    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:
            page = client.read_events(filter=flt, limit=50)
            if page.events or time.monotonic() > deadline:
                return page.events
            time.sleep(0.5)


def test_alerts_pushed_once_and_resolution_announced_once(tmp_path, demo_erp, receiver):
    from datetime import UTC, datetime
    started = datetime.now(UTC)
    erp = tmp_path / "erp.sqlite"
    shutil.copy(demo_erp.removeprefix("sqlite:///"), erp)
    cfg = write_config(tmp_path, f"sqlite:///{erp}", alerts={"webhook_url": receiver.url})
    result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    assert receiver.events(KEY) == ["raised"]
    post = next(p for p in receiver.posts if p["alert"]["alert_key"] == KEY)
    assert post["alert"]["cause"] == "demand" and PLANTED_CATEGORY in post["text"]
    assert result["pushed"]["webhook"] == len(receiver.posts) == len(
        {p["alert"]["alert_key"] for p in receiver.posts})
    digests = list((tmp_path / "out" / "outbox" / "alerts" / END).glob("*.eml"))
    assert digests, "owning heads get an e-mail digest (.eml without SMTP)"
    events = prefect_events("sop.alert.raised", f"sop.alert.{KEY}", started)
    assert len(events) == 1 and events[0].payload["cause"] == "demand"

    n = len(receiver.posts)
    watch = watch_divergence(config_path=str(cfg), period=END, today=TODAY)
    assert watch["forecast_run"] == END
    assert len(receiver.posts) == n, "an unchanged open alert is not pushed again"
    assert not watch["pushed"]

    # planners add production for the planted category: the gap closes
    with sqlite3.connect(erp) as con:
        con.execute("""UPDATE production_plan SET planned_qty = planned_qty * 4
                       WHERE sku IN (SELECT sku FROM products WHERE category = ?)""",
                    (PLANTED_CATEGORY,))
    watch_divergence(config_path=str(cfg), period=END, today=TODAY)
    assert receiver.events(KEY) == ["raised", "resolved"]
    m = len(receiver.posts)
    watch_divergence(config_path=str(cfg), period=END, today=TODAY)
    assert len(receiver.posts) == m
    assert receiver.events(KEY) == ["raised", "resolved"]
