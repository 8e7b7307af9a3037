"""The world bench/http_bench.py measures, and the SQL each request of it sends.

A fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database on
BENCH_DATABASE_URL's server), migrated with `flask db upgrade`; an admin from
`flask create-admin`; members, accounts, money, products and orders made through the
API of a running Tally (the contract, not the internals); a 100,000-entry history
bulk-inserted in-process by tests/support/ledger_data.py; and, in-process with Flask's test
client, the SQL statements one warm request of each endpoint sends.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # webapp, and tests.support's ledger_data
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
PRODUCTS = 30
ORDERS = 40
ITEMS_PER_ORDER = 5
FUNDS = 10**9  # minor units per funded account: far more than any run transfers
PRODUCT_STOCK = 10**8


class SeedFailed(RuntimeError):
    """Tally refused a request the world needs; the message names it and the answer."""


# --- Databases and Redis ----------------------------------------------------------------


@dataclass
class Database:
    url: str
    label: str  # what the report says it is
    drop: Callable[[], None] = lambda: None


def sqlite_database(workdir: Path) -> Database:
    path = workdir / "tally-bench.db"
    return Database(url=f"sqlite:///{path}", label=f"SQLite file {path.name} in a temp dir")


def postgres_database(server_url: str) -> Database:
    """A new database on `server_url`'s server, dropped by `drop()`; when the role may not
    create one, the named database itself, emptied first."""
    from sqlalchemy import MetaData, create_engine, text
    from sqlalchemy.engine import make_url

    given = make_url(server_url)
    name = f"tally_bench_{int(time.time())}_{os.getpid()}"
    admin = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no CREATEDB right, or no "postgres" database to connect to
        admin.dispose()
        print(f"   could not create a database ({type(exc).__name__}); emptying {given.database}")
        engine = create_engine(given)
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
        return Database(url=server_url, label=f"PostgreSQL database {given.database} (emptied)")

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = given.set(database=name).render_as_string(hide_password=False)
    return Database(url=url, label=f"PostgreSQL database {name} (new, dropped after)", drop=drop)


def flush_redis(url: str) -> None:
    """Empty the Redis database the URL names; never database 0, which others may share."""
    import redis

    client = redis.Redis.from_url(url)
    number = client.connection_pool.connection_kwargs.get("db", 0)
    if int(number) == 0:
        raise SystemExit(
            f"BENCH_REDIS_URL={url} names Redis database 0; give the benchmark a database "
            "of its own to flush, e.g. redis://127.0.0.1:6379/13"
        )
    client.flushdb()
    client.close()


def server_versions(database_url: str, redis_url: str | None) -> dict[str, str]:
    """The PostgreSQL and Redis servers' versions, for the report."""
    from sqlalchemy import create_engine, text

    versions: dict[str, str] = {}
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            versions["PostgreSQL"] = str(connection.execute(text("SHOW server_version")).scalar())
        engine.dispose()
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        versions["Redis"] = str(client.info("server").get("redis_version"))
        client.close()
    return versions


# --- The CLI -------------------------------------------------------------------------------


def flask_cli(env: Mapping[str, str], args: list[str], log: Path) -> None:
    """`flask …` with the server's environment; its output goes to `log`."""
    with log.open("a") as out:
        shown = [
            ("…" if before == "--password" else a)
            for before, a in zip(["", *args], args, strict=False)
        ]
        out.write(f"$ flask {' '.join(shown)}\n")
        out.flush()
        done = subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise SeedFailed(f"`flask {args[0]} …` exited {done.returncode}; the end of {log}:\n{tail}")


# --- Seeding through the API ----------------------------------------------------------------


class Api:
    """JSON over HTTP to a running Tally, for seeding and the smoke checks."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.last_headers: Mapping[str, str] = {}

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        """The answer's `data`; SeedFailed on a status outside `expect`."""
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=sent
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, self.last_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, self.last_headers = error.code, error.read(), error.headers
        if status not in expect:
            raise SeedFailed(f"{method} {path} answered {status}: {raw[:500]!r}")
        return json.loads(raw)["data"] if raw else None

    def login(self, email: str, password: str) -> str:
        answer = self.call(
            "POST", "/api/v1/auth/login", body={"email": email, "password": password}
        )
        return str(answer["accessToken"])


@dataclass
class Member:
    email: str
    accounts: list[str] = field(default_factory=list)  # public ids, "Main" first


@dataclass
class World:
    """Who and what the endpoints are requested for; ids are the API's public ids."""

    password: str
    admin_email: str
    reader: Member  # GET /users/me
    buyer: Member  # GET /orders
    payer: Member  # POST /transfers, Main → Savings
    historian: Member  # GET /accounts/{id}/transactions
    history_entries: int = 0
    deep_cursor: str = ""

    def member(self, role: str) -> Member:
        return {
            "reader": self.reader,
            "buyer": self.buyer,
            "payer": self.payer,
            "historian": self.historian,
        }[role]


def seed_over_api(api: Api, admin_email: str, password: str) -> World:
    """Members, accounts, money, products and orders, made through the API."""
    admin_token = api.login(admin_email, password)
    members = {
        role: Member(email=f"{role}@bench.example.com")
        for role in ("reader", "buyer", "payer", "historian")
    }
    tokens: dict[str, str] = {}
    for role, member in members.items():
        api.call(
            "POST",
            "/api/v1/auth/register",
            body={"email": member.email, "password": password, "name": f"Bench {role}"},
            expect=(201,),
        )
        tokens[role] = api.login(member.email, password)
        listed = api.call("GET", "/api/v1/accounts", token=tokens[role])
        member.accounts = [str(account["id"]) for account in listed]
    savings = api.call(
        "POST", "/api/v1/accounts", token=tokens["payer"], body={"name": "Savings"}, expect=(201,)
    )
    members["payer"].accounts.append(str(savings["id"]))
    for role in ("payer", "buyer"):
        api.call(
            "POST",
            f"/api/v1/accounts/{members[role].accounts[0]}/deposits",
            token=admin_token,
            body={"amount": FUNDS, "memo": "Bench funds"},
            expect=(201,),
        )
    product_ids = []
    for n in range(1, PRODUCTS + 1):
        product = api.call(
            "POST",
            "/api/v1/products",
            token=admin_token,
            body={
                "sku": f"BENCH-{n:03d}",
                "name": f"Bench product {n}",
                "description": "A product the benchmark lists and buys.",
                "price": 100 + n,
                "stock": PRODUCT_STOCK,
            },
            expect=(201,),
        )
        product_ids.append(str(product["id"]))
    for n in range(ORDERS):
        items = [
            {"productId": product_ids[(n + k) % PRODUCTS], "quantity": 1 + k}
            for k in range(ITEMS_PER_ORDER)
        ]
        api.call(
            "POST",
            "/api/v1/orders",
            token=tokens["buyer"],
            body={"accountId": members["buyer"].accounts[0], "items": items},
            expect=(201,),
        )
    return World(
        password=password,
        admin_email=admin_email,
        reader=members["reader"],
        buyer=members["buyer"],
        payer=members["payer"],
        historian=members["historian"],
    )


def new_password() -> str:
    return "bench-" + secrets.token_urlsafe(18)


# --- In-process: the history and the SQL counts ---------------------------------------------


@contextlib.contextmanager
def output_to(log: TextIO) -> Iterator[None]:
    """The in-process app logs JSON lines to stdout: into the log file, not the terminal."""
    with contextlib.redirect_stdout(log):
        yield


def build_world_history(app: Any, world: World, entries: int) -> None:
    """`entries` deposits into the historian's Main account (bulk, committed), and the
    cursor of the page 100,000 entries deep."""
    from history_pages import PAGE_SIZE, deep_page_cursor

    from tests.support.ledger_data import build_history
    from webapp.core.ids import parse_public_id

    account_id = parse_public_id(world.historian.accounts[0])
    assert account_id is not None, world.historian.accounts[0]
    with app.app_context():
        build_history(account_id, entries)
        world.deep_cursor = deep_page_cursor(account_id, page=entries // PAGE_SIZE)
    world.history_entries = entries


@dataclass(frozen=True)
class RequestSpec:
    method: str
    path: str  # with its query string
    headers: Mapping[str, str]
    body: Any = None


@dataclass(frozen=True)
class SqlCount:
    total: int  # statements the whole request sent
    before_view: int  # …of which before the view ran: authentication (and the limiter)
    statements: tuple[str, ...]
    status: int


class SqlProbe:
    """Counts one request's SQL statements with a `before_cursor_execute` listener (as
    tests/conftest.py's `count_statements` does), noting how many came before the view."""

    def __init__(self, app: Any) -> None:
        from webapp.infra.extensions import db

        self.app = app
        self.client = app.test_client()
        self._seen: list[str] | None = None
        self._before_view: int | None = None
        with app.app_context():
            self.engine = db.engine
        # Runs after every app-level before_request hook (auth, the limiter): the view is next.
        app.before_request(self._mark_view_start)

    def _mark_view_start(self) -> None:
        if self._seen is not None and self._before_view is None:
            self._before_view = len(self._seen)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._seen is not None:
            self._seen.append(statement)

    def send(self, spec: RequestSpec) -> int:
        response = self.client.open(
            spec.path, method=spec.method, headers=dict(spec.headers), json=spec.body
        )
        return int(response.status_code)

    def login(self, email: str, password: str) -> str:
        response = self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        if response.status_code != 200:
            raise SeedFailed(f"in-process login answered {response.status_code}")
        return str(response.get_json()["data"]["accessToken"])

    def count(self, make_request: Callable[[], RequestSpec]) -> SqlCount:
        """Warm the request once, then count the statements of one more."""
        from sqlalchemy import event

        self.send(make_request())
        spec = make_request()
        self._seen, self._before_view = [], None
        event.listen(self.engine, "before_cursor_execute", self._record)
        try:
            status = self.send(spec)
        finally:
            event.remove(self.engine, "before_cursor_execute", self._record)
        seen, before = self._seen, self._before_view
        self._seen, self._before_view = None, None
        return SqlCount(
            total=len(seen),
            before_view=len(seen) if before is None else before,
            statements=tuple(seen),
            status=status,
        )
