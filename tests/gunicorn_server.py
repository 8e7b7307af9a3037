"""A real gunicorn for integration tests: the project's gunicorn.conf.py on a free loopback
port, its output in a file, always stopped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
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
