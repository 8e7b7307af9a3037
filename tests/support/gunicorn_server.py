"""A real gunicorn for integration tests: the project's gunicorn.conf.py on a free loopback
port, its output in a file, always stopped at the end."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that would configure Tally."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TALLY_", "PROMETHEUS_", "RATELIMIT_", "TEST_"))
    }


@contextmanager
def gunicorn_process(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn serving wsgi:app with `env`, stdout and stderr into `log_path`."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    """Until the port takes a connection (a worker may still be importing the app: the
    first request then waits for it, which is fine)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not listen in time")


@contextmanager
def development_gunicorn(workdir: Path, **settings: str) -> Iterator[tuple[int, Path]]:
    """One worker (gunicorn.conf.py's threaded one unless GUNICORN_THREADS=1) of the
    development configuration (CSRF on, as outside tests) on a SQLite file with no tables;
    yields its port and its log file."""
    port = free_port()
    env = clean_environment()
    env.update(
        TALLY_ENV="development",
        DATABASE_URL=f"sqlite:///{workdir / 'x.db'}",
        REDIS_URL="",  # set, so that a developer's .env cannot bring one in
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
    )
    env.update(settings)
    log_path = workdir / "gunicorn.log"
    with gunicorn_process(env, log_path) as process:
        wait_until_listening(process, port)
        yield port, log_path


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send_raw(port: int, method: str, target: str, headers: str = "", body: bytes = b"") -> Answer:
    """One request written byte for byte on a new connection: `target` goes on the request
    line as given (percent-encoding and all), `headers` are extra CRLF-ended lines."""
    head = (
        f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head.encode() + body)
        response = http.client.HTTPResponse(connection, method=method)
        response.begin()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
