"""A Prefect API for one command: the configured one (PREFECT_API_URL, e.g. `make server`),
or a temporary server that lives exactly as long as this process.

Without an API Prefect starts a temporary server of its own, which outlives a command that
is killed (SIGKILL, a closed terminal). Ours is the same server (uvicorn serving Prefect's
app on a free loopback port, its SQLite database in PREFECT_HOME), started with the parent's
death signal set, so the kernel ends it with the command whatever ends the command."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child, between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _drain_to(url: str) -> None:
    """Send the logs and events still queued to the server before it stops (else the queue
    flushes at exit, to nobody, and prints 'Error logging to API')."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):  # best effort: the run itself has finished
            worker.drain_all(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def prefect_api(timeout: float = 120.0) -> Iterator[str | None]:
    """The API URL the command's flows report to (None: Prefect's own handling, not used
    off Linux). Starts and stops the temporary server when none is configured."""
    import prefect
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if PREFECT_API_URL.value() or not sys.platform.startswith("linux"):
        yield PREFECT_API_URL.value()
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True),
           "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT__SERVER_FINAL": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and Prefect's app
        [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
         "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "error", "--lifespan", "on"],
        env=env, preexec_fn=_die_with_parent)  # noqa: PLW1509 - single-threaded here
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if server.poll() is not None:
                raise RuntimeError(f"the temporary Prefect server exited ({server.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the temporary Prefect server on {url} did not answer "
                                   f"within {timeout:.0f} s")
            time.sleep(0.25)
        with temporary_settings({PREFECT_API_URL: url}):
            try:
                yield url
            finally:
                _drain_to(url)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
