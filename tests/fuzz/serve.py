"""Serve the real app for the fuzzer: gunicorn on a free loopback port, fresh data, tokens.

`served_app()` migrates a new SQLite database in a temporary folder, seeds it through the
app's own `flask seed-demo` (an admin, three funded members with transfers between them,
five products with stock, one paid order), starts gunicorn exactly as `make run` does
(gunicorn.conf.py, `wsgi:app`) and logs in through `POST /api/v1/auth/login`. Nothing here
needs PostgreSQL or Redis, and nothing is written outside the temporary folder except the
server's log, which goes where the caller says.

Settings that differ from `make run`, and why:
- secrets (SECRET_KEY, JWT_SECRET_KEY, the demo password) are thrown away with the run;
- RATELIMIT_ENABLED=false: the fuzzer sends thousands of requests a minute from one IP, and
  would otherwise measure the limiter instead of the API;
- ACCESS_TOKEN_TTL: long enough that no token expires during a run;
- REDIS_URL empty and the rate-limit storage in memory, whatever a local `.env` says;
- PROMETHEUS_MULTIPROC_DIR in the temporary folder (gunicorn empties that folder at start,
  so sharing instance/'s would wipe a `make run` next door); mail in memory.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))  # run as a script from tests/fuzz/: tests.support and webapp

from tests.support.gunicorn_server import GunicornServer, clean_environment  # noqa: E402

API = "/api/v1"

# Who seed-demo creates (webapp/services/demo.py): the run logs in as these.
ADMIN_EMAIL = "admin@example.com"
MEMBER_EMAIL = "alice@example.com"  # funded, owns the paid demo order
SECOND_MEMBER_EMAIL = "bob@example.com"  # funded; Alice's objects must stay hidden from him

ACCESS_TOKEN_TTL_SECONDS = 4 * 3600
STARTUP_TIMEOUT_SECONDS = 60.0
SETUP_COMMAND_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class ServedApp:
    """A running gunicorn serving Tally, and a logged-in access token per seeded user."""

    origin: str  # http://127.0.0.1:PORT
    tokens: Mapping[str, str]  # email → access token
    log_path: Path

    @property
    def api(self) -> str:
        return self.origin + API


def app_environment(workdir: Path) -> dict[str, str]:
    """The environment for the flask CLI and gunicorn: embedded mode, throwaway secrets; a
    caller's own database, Redis or limit settings never leak into the fuzzed app."""
    return clean_environment(
        FLASK_APP="wsgi",
        TALLY_ENV="development",
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        DEMO_PASSWORD=secrets.token_urlsafe(24),
        DATABASE_URL=f"sqlite:///{workdir / 'tally.db'}",
        REDIS_URL="",
        RATELIMIT_ENABLED="false",
        RATELIMIT_STORAGE_URI="memory://",
        ACCESS_TOKEN_TTL=str(ACCESS_TOKEN_TTL_SECONDS),
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "prometheus"),
        MAIL_BACKEND="locmem",
        WEB_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )


def run_setup_command(args: list[str], env: Mapping[str, str], log: TextIO) -> None:
    """Run a flask CLI command, its output into the log; raise if it fails."""
    log.write(f"$ {' '.join(args)}\n")
    log.flush()
    completed = subprocess.run(
        args,
        cwd=ROOT,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        timeout=SETUP_COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {completed.returncode}; see {log.name}")


def request_json(
    method: str, url: str, body: Mapping[str, Any] | None = None, token: str | None = None
) -> tuple[int, Any]:
    """One JSON request with the standard library; (status, decoded body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def log_in(api: str, email: str, password: str) -> str:
    status, body = request_json("POST", api + "/auth/login", {"email": email, "password": password})
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"login as {email} answered {status}: {body}")
    return str(body["data"]["accessToken"])


@contextmanager
def served_app(log_path: Path) -> Iterator[ServedApp]:
    """Migrate, seed, serve and log in; stop the server and drop the data on the way out."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="tally-fuzz-") as tmp,
        log_path.open("w", encoding="utf-8") as log,
    ):
        workdir = Path(tmp)
        env = app_environment(workdir)
        run_setup_command([str(BIN / "flask"), "db", "upgrade"], env, log)
        run_setup_command([str(BIN / "flask"), "seed-demo"], env, log)
        log.write("$ gunicorn --config gunicorn.conf.py wsgi:app\n")
        log.flush()  # the server appends to the same file
        server = GunicornServer(env, log_path)
        server.start(timeout=STARTUP_TIMEOUT_SECONDS)
        try:
            password = env["DEMO_PASSWORD"]
            tokens = {
                email: log_in(server.base_url + API, email, password)
                for email in (ADMIN_EMAIL, MEMBER_EMAIL, SECOND_MEMBER_EMAIL)
            }
            yield ServedApp(origin=server.base_url, tokens=tokens, log_path=log_path)
        finally:
            server.stop(timeout=20)


if __name__ == "__main__":
    # Serve one instance by hand (Ctrl-C stops it): handy to poke at what the fuzzer sees.
    with served_app(ROOT / "tests" / "fuzz" / "artifacts" / "serve.log") as app:
        print(f"Tally at {app.origin} (rate limits off); access tokens:")
        for who, token in app.tokens.items():
            print(f"  {who}: {token}")
        with suppress(KeyboardInterrupt):
            signal.pause()
