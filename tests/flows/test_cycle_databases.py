"""The same `sop run` with the ERP (and the warehouse) on PostgreSQL and MariaDB."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from cli.main import main
from sop.config import DEPARTMENTS
from sop.demo import PLANTED_CATEGORY, generate_erp
from tests.flows.conftest import END, TODAY, write_config

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("server", ["pg_url", "mysql_url"])
def test_sop_run_on_server_erp_and_warehouse(server, request, tmp_path, capsys):
    url = request.getfixturevalue(server)
    generate_erp(url, scale="small", seed=7, end=END)
    cfg = write_config(tmp_path, url, warehouse={"url": url})
    assert main(["run", "--today", TODAY, "--config", str(cfg), "--period", END]) == 0, capsys.readouterr().err
    eng = sa.create_engine(url)
    alerts = pd.read_sql("SELECT alert_key, cause FROM sop_alerts", eng)
    deliveries = pd.read_sql("SELECT status FROM sop_deliveries", eng)
    forecasts = pd.read_sql(f"SELECT COUNT(*) AS n FROM sop_forecasts WHERE period = '{END}'", eng)
    assert f"demand_supply_divergence:{PLANTED_CATEGORY}" in set(alerts["alert_key"])
    assert (deliveries["status"] == "sent").sum() == len(DEPARTMENTS)
    n = int(forecasts["n"].iloc[0])
    assert n > 0
    # a second run of the same period leaves one set of rows and sends nothing
    assert main(["run", "--today", TODAY, "--config", str(cfg), "--period", END]) == 0
    again = pd.read_sql(f"SELECT COUNT(*) AS n FROM sop_forecasts WHERE period = '{END}'", eng)
    assert int(again["n"].iloc[0]) == n
    assert len(pd.read_sql("SELECT * FROM sop_deliveries", eng)) == len(DEPARTMENTS)
    eng.dispose()
