"""`make run`'s one command (TALLY_WITH_WORKER=1, as the Makefile sets it): gunicorn serves
pages, the `flask worker` it started sends a mail to the file backend, and Ctrl-C (SIGINT to
the master) stops both. Without the variable (`make serve`) no worker."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.clients import PASSWORD
from tests.support.gunicorn_server import (
    PROJECT_ROOT,
    GunicornServer,
    clean_environment,
    send_raw,
)

WORKER_PID = re.compile(r"Huey consumer started with \d+ \w+, PID (\d+)")


def development_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return clean_environment(
        TALLY_ENV="development",
        FLASK_APP="wsgi",
        DATABASE_URL=f"sqlite:///{tmp_path / 'tally.db'}",
        REDIS_URL="",
        MAIL_FILE_PATH=str(tmp_path / "mail"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        LOG_LEVEL="INFO",
        **overrides,
    )


def migrate(env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "flask", "db", "upgrade"]
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(check, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)
    return found


def test_make_run_serves_pages_and_its_worker_sends_mail_and_ctrl_c_stops_both(tmp_path):
    env = development_environment(tmp_path, TALLY_WITH_WORKER="1")
    migrate(env)
    server = GunicornServer(env, tmp_path / "run.log")
    server.start()
    try:
        assert send_raw(server.port, "GET", "/login").status == 200
        body = json.dumps({"email": "new@example.com", "password": PASSWORD, "name": "New"})
        headers = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        registered = send_raw(server.port, "POST", "/api/v1/auth/register", headers, body.encode())
        assert registered.status == 201, registered.body
        (mail,) = wait_for(lambda: list((tmp_path / "mail").glob("*.eml")))
        assert "new@example.com" in mail.read_text()
        worker = int(wait_for(lambda: WORKER_PID.search(server.output())).group(1))
        assert alive(worker)

        # Ctrl-C: SIGINT to the master. (A terminal sends it to the worker too, which then
        # stops at once: here gunicorn's on_exit alone must stop it.) gunicorn's own
        # threaded worker, signalled by both the terminal and its master, now and then
        # waits out its graceful timeout: that is gunicorn's, not the task worker's.
        assert server.process is not None
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(15) == 0
        wait_for(lambda: not alive(worker), timeout=5)
    finally:
        server.stop()


def test_make_serve_starts_no_worker(tmp_path):
    env = development_environment(tmp_path)
    server = GunicornServer(env, tmp_path / "serve.log", health_path="/healthz")
    server.start()
    try:
        time.sleep(0.5)
        assert "Huey consumer started" not in server.output()
    finally:
        server.stop()
