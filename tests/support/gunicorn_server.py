"""The one gunicorn launcher, for every suite that serves the real app (integration, e2e,
deploy, fuzz) and for bench/: a free port, an environment cleaned of the caller's own
Tally settings, gunicorn with the project's gunicorn.conf.py, a wait until a path answers
200 (or the port listens), its output in a log file, and a stop that always happens."""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from webapp.infra import settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0

# Read by gunicorn.conf.py, the flask CLI or seed-demo rather than by the settings classes.
SERVER_VARIABLES = frozenset(
    {"BIND", "WEB_CONCURRENCY", "FLASK_APP", "FLASK_DEBUG", "DEMO_PASSWORD", "TALLY_ENV"}
)
# Families of Tally's own (the database pool's DB_*, gunicorn's, the limiter's, mail, the
# metrics directory) and the suites' own (TEST_*, BENCH_*): never passed on.
STRIPPED_PREFIXES = (
    "TALLY_",
    "PROMETHEUS_",
    "RATELIMIT_",
    "MAIL_",
    "DB_",
    "CACHE_",
    "GUNICORN_",
    "TEST_",
    "BENCH_",
)
SETTINGS_VARIABLES = frozenset().union(
    *(c.model_fields for c in (settings.Config, settings.ProductionConfig, settings.TestingConfig))
)

_running: list[GunicornServer] = []


class ServerFailed(RuntimeError):
    """gunicorn did not come up; the message carries the end of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on at `host` right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def clean_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without anything that would configure Tally or its
    server, then `overrides`: a developer's exported settings never reach a served app."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_VARIABLES
        and name not in SERVER_VARIABLES
        and not name.startswith(STRIPPED_PREFIXES)
    }
    env.update(overrides)
    return env


def gunicorn_command(app: str = "wsgi:app") -> list[str]:
    """gunicorn as `make run` starts it (run it with cwd=PROJECT_ROOT)."""
    return [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", app]


class GunicornServer:
    """One gunicorn master and its workers serving `app` on `host`:`port` (a free port
    unless given), with `env` (BIND added); stdout and stderr appended to `log_path`.

    `health_path` is what start() waits for to answer 200; None waits only until the port
    takes a connection (for a test that counts every request the server logs)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        *,
        app: str = "wsgi:app",
        name: str = "gunicorn",
        host: str = "127.0.0.1",
        port: int | None = None,
        health_path: str | None = "/healthz",
    ) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.app = app
        self.name = name
        self.host = host
        self.port = port or free_port(host)
        self.health_path = health_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def upstream(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start gunicorn and wait until it answers; ServerFailed (and stopped) if not."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            gunicorn_command(self.app),
            cwd=PROJECT_ROOT,
            env={**self.env, "BIND": self.upstream},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches stray workers
        )
        _running.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise ServerFailed(
                    f"{self.name} exited with status {self.process.returncode} on start; "
                    f"the end of {self.log_path}:\n{self.log_tail()}"
                )
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        waited_for = self.health_path or "a connection"
        raise ServerFailed(
            f"{self.name} did not answer {waited_for} within {timeout:.0f} s; "
            f"the end of {self.log_path}:\n{self.log_tail()}"
        )

    def _answers(self) -> bool:
        try:
            if self.health_path is None:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return True
            connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
            try:
                connection.request("GET", self.health_path, headers={"Connection": "close"})
                return connection.getresponse().status == 200
            finally:
                connection.close()
        except OSError:
            return False

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM to the master (it stops its workers); SIGKILL to the group if it lingers."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self in _running:
            _running.remove(self)

    def output(self) -> str:
        """Everything in the log file so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 25) -> str:
        return "\n".join(self.output().splitlines()[-lines:]) or "(no log)"


@contextmanager
def running_gunicorn(
    env: Mapping[str, str], log_path: Path, **options: Any
) -> Iterator[GunicornServer]:
    """A started GunicornServer (see its arguments), stopped on the way out."""
    server = GunicornServer(env, log_path, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def stop_all() -> None:
    """Every server still running (an error or an interrupt left it up)."""
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.stop()


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    stop_all()
    raise SystemExit(143)


def stop_servers_on_exit() -> None:
    """For a script: stop every server at exit and on SIGTERM (Ctrl-C unwinds through
    `finally`)."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)


@contextmanager
def development_gunicorn(workdir: Path, **overrides: str) -> Iterator[tuple[int, Path]]:
    """One worker (gunicorn.conf.py's threaded one unless GUNICORN_THREADS=1) of the
    development configuration (CSRF on, as outside tests) on a SQLite file with no tables;
    yields its port and its log file. It waits only for the port, so that the log holds
    the test's requests alone."""
    env = clean_environment(
        TALLY_ENV="development",
        DATABASE_URL=f"sqlite:///{workdir / 'x.db'}",
        REDIS_URL="",  # set, so that a developer's .env cannot bring one in
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    with running_gunicorn(env, workdir / "gunicorn.log", health_path=None) as server:
        yield server.port, server.log_path


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
