"""gunicorn processes for bench/http_bench.py: each on a free loopback port, with
gunicorn.conf.py (the settings `make run` and production use), its output in a log file,
and stopped for sure — on success, on an error and on Ctrl-C alike."""

from __future__ import annotations

import atexit
import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

_running: list[Server] = []


class ServerFailed(RuntimeError):
    """A server did not come up; the message carries the end of its log."""


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One gunicorn master (and its workers) serving `app` ("module:variable")."""

    def __init__(
        self, name: str, app: str, env: Mapping[str, str], log_path: Path, health_path: str
    ) -> None:
        self.name = name
        self.app = app
        self.env = dict(env)
        self.log_path = log_path
        self.health_path = health_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn and wait until `health_path` answers 200; ServerFailed if not."""
        self.port = free_port()
        env = {**self.env, "BIND": f"127.0.0.1:{self.port}"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        command = [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONFIG), self.app]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        _running.append(self)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise ServerFailed(
                    f"{self.name} exited with status {self.process.returncode} on start; "
                    f"the end of {self.log_path}:\n{self.log_tail()}"
                )
            if self._answers():
                return
            time.sleep(0.2)
        self.stop()
        raise ServerFailed(
            f"{self.name} did not answer {self.health_path} within {START_TIMEOUT_S:.0f} s; "
            f"the end of {self.log_path}:\n{self.log_tail()}"
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + self.health_path, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        """SIGTERM to the master (it stops its workers), SIGKILL if it lingers."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self in _running:
            _running.remove(self)

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def stop_all() -> None:
    """Every server still running (an error or an interrupt left it up)."""
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.stop()


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    stop_all()
    raise SystemExit(143)


def stop_servers_on_exit() -> None:
    """Stop every server at exit and on SIGTERM (Ctrl-C unwinds through `finally`)."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
