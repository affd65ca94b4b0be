"""Shared fixtures: real database servers (PostgreSQL, MariaDB) with a throwaway
database per test session, and free loopback ports."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("SOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("SOP_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scratch_database(admin_url: str, quote: str):
    name = f"sop_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {quote}{name}{quote}"))
    except sa.exc.OperationalError as e:  # pragma: no cover - server down is a setup error
        pytest.fail(f"cannot reach {admin.url.render_as_string(hide_password=True)}: {e}")
    url = sa.engine.make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            if admin.dialect.name == "postgresql":
                c.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                    {"d": name})
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}"))
        admin.dispose()


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database on the machine's server; dropped afterwards."""
    yield from _scratch_database(PG_ADMIN_URL, '"')


@pytest.fixture
def mysql_url():
    """A fresh, empty MariaDB database on the machine's server; dropped afterwards."""
    yield from _scratch_database(MYSQL_ADMIN_URL, "`")
