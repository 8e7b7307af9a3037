"""The deployment docs/deployment.md describes, started for real on loopback addresses: nginx
(deploy/nginx.conf) in front of two Tally hosts (separate gunicorn masters, two workers
each) sharing a PostgreSQL database, optionally through PgBouncer in transaction mode, and
a Redis server of their own that a test may stop and start.

Between the hosts and the database sits a TCP relay: a test cuts it to take the database
away from the hosts without touching the machine's PostgreSQL, which other work shares.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "deploy"))

from render_nginx import render  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.support.gunicorn_server import (  # noqa: E402
    GunicornServer,
    clean_environment,
    free_port,
)

ADMIN_EMAIL = "ops@example.com"
PASSWORD = "a long deployment passphrase"
_client_addresses = itertools.count(10)


def client_address() -> str:
    """A loopback address no other test has sent from: a client IP of its own."""
    n = next(_client_addresses)
    return f"127.0.{n // 250 + 1}.{n % 250 + 2}"


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


# --- HTTP from a chosen client address ---------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def data(self) -> Any:
        return self.body["data"]


class Client:
    """Requests to one origin, sent from one source address (one client IP for nginx)."""

    def __init__(self, port: int, source: str | None = None, token: str | None = None) -> None:
        self.port = port
        self.source = source or client_address()
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(self.source, 0)
        )
        sent = dict(headers or {})
        if self.token and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {self.token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        parsed: Any = content.decode(errors="replace")
        if response.getheader("Content-Type", "").startswith("application/json"):
            parsed = json.loads(content)
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("PATCH", path, body, **kwargs)


# --- Processes -----------------------------------------------------------------------------


class Relay:
    """A TCP relay to `target`: `cut()` drops every connection and refuses new ones,
    `restore()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class Process:
    """A child process with its output in a log file."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None):
        self.name, self.argv, self.log_path, self.env = name, argv, log, env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class RedisServer(Process):
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
        super().__init__("redis", argv, workdir / "redis.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), 1), "redis")


class PgBouncer(Process):
    """PgBouncer in transaction mode in front of one database (it will not run as root)."""

    def __init__(self, workdir: Path, database: str, pg: tuple[str, int]) -> None:
        self.port = free_port()
        home = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        shutil.chown(home, "postgres")
        ini = home / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"{database} = host={pg[0]} port={pg[1]} dbname={database} user=postgres\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
            "max_client_conn = 500\ndefault_pool_size = 20\n"
            f"pidfile = {home}/pgbouncer.pid\n"
        )
        shutil.chown(ini, "postgres")
        super().__init__(
            "pgbouncer",
            ["runuser", "-u", "postgres", "--", "pgbouncer", str(ini)],
            workdir / "pgbouncer.log",
        )

    def start(self) -> None:
        super().start()
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), 1), "pgbouncer")


class AppHost:
    """One Tally host: its own gunicorn master and workers on its own loopback address, and
    one `flask worker` beside them (its own service, as docs/deployment.md runs it)."""

    def __init__(self, name: str, address: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.server = GunicornServer(
            {**env, "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{name}")},
            workdir / f"{name}.log",
            name=name,
            host=address,
        )
        self.worker = Process(
            f"{name}-worker", [str(BIN / "flask"), "worker"], workdir / f"{name}-worker.log", env
        )

    @property
    def upstream(self) -> str:
        return self.server.upstream

    def start(self) -> None:
        self.server.start(timeout=30)
        self.worker.start()
        wait_for(lambda: "Huey consumer started" in self.worker.output(), f"{self.name}'s worker")

    def ran(self, task: str) -> int:
        """How many times this host's worker started the task named `task` ("mail.send")."""
        lines = self.worker.output().splitlines()
        return sum("Executing " in line and f".{task}: " in line for line in lines)

    def access_lines(self, path: str) -> list[dict[str, Any]]:
        """The app's access log lines for `path`."""
        lines = []
        for line in self.server.output().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("message") == "request" and entry.get("path") == path:
                    lines.append(entry)
        return lines


class Nginx(Process):
    def __init__(self, workdir: Path, upstreams: list[str]) -> None:
        self.port = free_port()
        prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
        for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (prefix / sub).mkdir(parents=True)
        for path in [prefix, *prefix.rglob("*")]:
            path.chmod(0o777)  # nginx's workers run as nobody
        config = prefix / "nginx.conf"
        config.write_text(render(f"127.0.0.1:{self.port}", upstreams))
        super().__init__(
            "nginx",
            ["nginx", "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
            workdir / "nginx.log",
        )

    def start(self) -> None:
        super().start()
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), 1), "nginx")


# --- The whole stack -----------------------------------------------------------------------


@dataclass
class Stack:
    workdir: Path
    database_url: str  # as the hosts reach it (through the relay)
    env: dict[str, str]
    redis: RedisServer
    relay: Relay
    hosts: list[AppHost]
    nginx: Nginx
    direct_url: str  # the database itself, for the tests' own SQL
    pgbouncer: PgBouncer | None = None
    admin_token: str = ""

    def client(self, token: str | None = None, source: str | None = None) -> Client:
        return Client(self.nginx.port, source, token)

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        engine = create_engine(self.direct_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(statement))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def flask_process(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )


def host_environment(workdir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    return clean_environment(
        FLASK_APP="wsgi",
        TALLY_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        METRICS_TOKEN=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TRUSTED_PROXIES="1",
        WEB_CONCURRENCY="2",
        MAIL_SERVER="127.0.0.1",
        MAIL_BACKEND="file",
        MAIL_FILE_PATH=str(workdir / "mail"),
        PUBLIC_URL="http://127.0.0.1",
        LOG_LEVEL="INFO",
        # The load tests send a few members' requests as fast as both hosts answer; the
        # login and register limits, which the suite checks, stay as shipped.
        RATELIMIT_DEFAULT="6000/minute",
    )


@contextlib.contextmanager
def running_stack(
    workdir: Path, database: str, pg: tuple[str, int], *, pgbouncer: bool
) -> Iterator[Stack]:
    """Start everything, yield it, stop everything (even when a test failed)."""
    started: list[Any] = []
    try:
        redis = RedisServer(workdir)
        redis.start()
        started.append(redis)
        bouncer = None
        target = pg
        if pgbouncer:
            bouncer = PgBouncer(workdir, database, pg)
            bouncer.start()
            started.append(bouncer)
            target = ("127.0.0.1", bouncer.port)
        relay = Relay(target)
        relay.restore()
        database_url = f"postgresql+psycopg://postgres@127.0.0.1:{relay.port}/{database}"
        env = host_environment(workdir, database_url, redis.url)
        if pgbouncer:
            env["DB_BEHIND_PGBOUNCER"] = "true"
        for command in (
            ["db", "upgrade"],
            ["create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD, "--name", "Ops"],
        ):
            done = subprocess.run(
                [str(BIN / "flask"), *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        hosts = [
            AppHost("host-a", "127.0.0.2", env, workdir),
            AppHost("host-b", "127.0.0.3", env, workdir),
        ]
        for host in hosts:
            started.extend([host.server, host.worker])
            host.start()
        nginx = Nginx(workdir, [host.upstream for host in hosts])
        nginx.start()
        started.append(nginx)
        direct_url = f"postgresql+psycopg://postgres@{pg[0]}:{pg[1]}/{database}"
        stack = Stack(workdir, database_url, env, redis, relay, hosts, nginx, direct_url, bouncer)
        login = stack.client().post(
            "/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        assert login.status == 200, login.body
        stack.admin_token = login.data["accessToken"]
        yield stack
    finally:
        for process in reversed(started):
            with contextlib.suppress(Exception):
                process.stop()
        with contextlib.suppress(Exception):
            relay.cut()
