"""Alert channels are independent of the packets: a webhook that is down leaves its pushes
owed and fails the run, naming the channel, only after every packet went out; the next run
delivers what was owed, once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flows.monthly import monthly_cycle
from sop.alerts.push import PushError
from tests.conftest import free_port
from tests.flows.conftest import END, TODAY, write_config
from tests.webhook import WebhookReceiver


def _table(folder, sql: str) -> list:
    engine = sa.create_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    engine.dispose()
    return rows


def test_a_dead_webhook_costs_no_packet_and_catches_up_next_run(tmp_path, demo_erp):
    dead = f"http://127.0.0.1:{free_port()}/hook/T0KEN-8c1f"  # nothing listens there
    cfg = write_config(tmp_path, demo_erp, alerts={"webhook_url": dead,
                                                    "webhook_timeout_seconds": 2})
    with pytest.raises(PushError, match=r"webhook http://127\.0\.0\.1:\d+/\.\.\. unreachable") as e:
        monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    assert str(e.value).count("unreachable") == 1  # one channel down: said once
    assert "T0KEN-8c1f" not in str(e.value)  # the webhook's path is its credential
    sent = _table(tmp_path, "SELECT department, status FROM sop_deliveries")
    assert sorted(s for _, s in sent) == ["sent"] * 6  # every head got the packet
    assert len(list((tmp_path / "out" / "packets" / END).glob("*/packet.pdf"))) == 6
    channels = dict(_table(tmp_path, "SELECT substr(channel, 1, 5), COUNT(*) FROM "
                                     "sop_alert_pushes GROUP BY 1"))
    assert channels.get("email", 0) > 0 and channels.get("prefe", 0) > 0  # these went out
    assert "webho" not in channels  # the webhook's pushes are owed
    (message,) = _table(tmp_path, "SELECT message FROM sop_runs")[0]
    assert "alert pushes owed" in message and "webhook" in message
    assert "T0KEN-8c1f" not in message

    receiver = WebhookReceiver()
    try:
        cfg = write_config(tmp_path, demo_erp, alerts={"webhook_url": receiver.url})
        result = monthly_cycle(config_path=str(cfg), period=END, today=TODAY)
    finally:
        receiver.close()
    opened = [a for a in result["alerts"] if a["state"] == "open" and a["severity"] != "minor"]
    minor = {a["alert_key"] for a in result["alerts"] if a["severity"] == "minor"}
    keys = [p["push_key"] for p in receiver.posts]
    assert len(keys) == len(set(keys)) == len(opened) > 0  # each owed push once
    assert minor and not minor & {k.split("|")[0] for k in keys}  # below materiality: never
    assert result["deliveries"] == ["already_sent"] * 6  # and no packet twice
