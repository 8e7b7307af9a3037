"""`make bench`: Tally's requests/s under wrk, as a share of a bare-Flask floor's, in one run.

What it measures
  For each endpoint, N rounds (default 3) of `wrk -t1 -c16 -d8s`, alternating the floor
  and Tally round by round (floor, Tally, floor, Tally, …) after a short warm-up of both.
  The floor is bench/floor_app.py: bare Flask answering every path and method with one
  small envelope. Both run under gunicorn with gunicorn.conf.py and the same settings
  (2 sync workers, a free loopback port each). Tally serves a freshly seeded database
  (members, money, 30 products, 40 orders of 5 items, a 100,000-entry history) the way
  production does: TALLY_ENV=production with generated secrets where it accepts them
  (else development with debug off: the output says which and why), JSON logs (to a file
  per server, kept under the temp dir the output names), Prometheus metrics in a
  multiprocess directory, request ids. Rate limits are off, except for
  `users-me-limited`, served by a Tally restarted with them on at a limit no run reaches
  (its 429s are counted, and must be 0). It runs on SQLite, then on PostgreSQL + Redis when
  BENCH_DATABASE_URL / BENCH_REDIS_URL are set (a new database on that server, dropped
  after; a Redis database number of its own, flushed).

How to read it
  ratio       median of the per-round ratios Tally req/s / floor req/s. The floor ran
              just before Tally in the same round, so the machine's drift hits both: this
              is the figure to compare across runs and machines, absolute req/s are not.
  range       the lowest and the highest per-round ratio: wide means a noisy machine.
  p50 / p99   Tally's latency percentiles under this load, ms (median of the rounds);
              with 16 connections on 2 workers they include the wait in the queue.
  SQL (auth)  statements one warm request sends, counted in-process with the test client
              (not under wrk); in brackets, those sent before the view ran (authentication).
  non-2xx     Tally's answers outside 2xx over all rounds (from its /metrics) plus wrk's
              socket errors; any makes the row ⚠, and its figures are then suspect.
  deep/first  the cost of the history page 100,000 entries deep over the first page's,
              each through its floor ratio: 1.0 is the same cost.
  PG/SQLite   each endpoint's PostgreSQL + Redis ratio over its SQLite ratio, same run.
A missed target is a figure, not a failure: the exit status is non-zero only when the
harness itself fails (a server that will not start, an endpoint that does not answer 2xx
before the measurement, wrk missing).

    make bench                                      # writes bench/RESULTS.md
    .venv/bin/python bench/http_bench.py --short --only products users-me
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(ROOT)]  # its siblings; webapp and tests.support
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the in-process app keeps its metrics here

import layer_profile  # noqa: E402
from bench_world import (  # noqa: E402
    Api,
    Database,
    RequestSpec,
    SeedFailed,
    SqlCount,
    SqlProbe,
    World,
    build_world_history,
    flask_cli,
    flush_redis,
    new_password,
    output_to,
    postgres_database,
    seed_over_api,
    server_versions,
    sqlite_database,
)
from layer_profile import LayerProfile  # noqa: E402
from wrk_run import (  # noqa: E402
    TRANSFER_SCRIPT,
    WrkFailed,
    WrkMissing,
    WrkResult,
    ensure_wrk,
    run_wrk,
    wrk_version,
)

from tests.support.gunicorn_server import (  # noqa: E402
    GunicornServer,
    ServerFailed,
    clean_environment,
    stop_servers_on_exit,
)

RESULTS_FILE = BENCH_DIR / "RESULTS.md"
HISTORY_ENTRIES = 100_000
HISTORY_PAGE_SIZE = 50  # bench/history_pages.py's PAGE_SIZE
DEFAULT_RATE_LIMIT = "100000/second"  # per caller: never reached; a 1 s window keeps it small
PG_WITHIN = 0.8  # PostgreSQL + Redis ratio at least 80 % of the SQLite one
DEEP_OVER_FIRST_MAX = 1.2
NOISY = 0.25  # a per-round ratio range wider than this share of the median is noted
ADMIN_EMAIL = "admin@bench.example.com"


# --- What is measured ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    min_ratio: float | None = None
    max_p99_ms: float | None = None
    zero_sql: bool = False  # the whole warm request sends no SQL
    zero_auth_sql: bool = False  # authentication sends no SQL

    def describe(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f"ratio ≥ {self.min_ratio:g}")
        if self.max_p99_ms is not None:
            parts.append(f"p99 < {self.max_p99_ms:g} ms")
        if self.zero_sql:
            parts.append("0 SQL")
        if self.zero_auth_sql:
            parts.append("0 SQL for auth")
        return ", ".join(parts) or "—"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[World], str]
    caller: str | None  # a World member role, or None for anonymous
    target: Target = field(default_factory=Target)
    rate_limited: bool = False
    transfer: bool = False
    items: int | None = None  # how many items a list answers with, checked before measuring


def _history_path(world: World) -> str:
    account = world.historian.accounts[0]
    return f"/api/v1/accounts/{account}/transactions?limit={HISTORY_PAGE_SIZE}"


def _deep_history_path(world: World) -> str:
    return f"{_history_path(world)}&cursor={urllib.parse.quote(world.deep_cursor, safe='')}"


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "products",
        "GET",
        lambda w: "/api/v1/products",
        None,
        Target(min_ratio=0.6, zero_sql=True),
        items=20,
    ),
    Endpoint(
        "users-me",
        "GET",
        lambda w: "/api/v1/users/me",
        "reader",
        Target(min_ratio=0.5, zero_auth_sql=True),
    ),
    Endpoint(
        "orders",
        "GET",
        lambda w: "/api/v1/orders?limit=20",
        "buyer",
        Target(min_ratio=0.2),
        items=20,
    ),
    Endpoint(
        "transfers",
        "POST",
        lambda w: "/api/v1/transfers",
        "payer",
        Target(min_ratio=0.1, max_p99_ms=100),
        transfer=True,
    ),
    Endpoint("history-first", "GET", _history_path, "historian", items=HISTORY_PAGE_SIZE),
    Endpoint("history-deep", "GET", _deep_history_path, "historian", items=HISTORY_PAGE_SIZE),
    Endpoint(
        "users-me-limited",
        "GET",
        lambda w: "/api/v1/users/me",
        "reader",
        Target(min_ratio=0.45),
        rate_limited=True,
    ),
)
ENDPOINT_NAMES = tuple(e.name for e in ENDPOINTS)


@dataclass(frozen=True)
class Settings:
    rounds: int
    duration_s: int
    connections: int
    threads: int
    warmup_s: int
    workers: int
    gunicorn_threads: int
    rate_limit: str
    history_entries: int
    endpoints: tuple[Endpoint, ...]
    show_sql: bool
    profile_requests: int  # per endpoint, in-process, for the layer profile; 0: none

    def wrk_line(self) -> str:
        return f"wrk -t{self.threads} -c{self.connections} -d{self.duration_s}s"


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    floor: WrkResult
    tally: WrkResult
    tally_statuses: Counter[str] | None  # from Tally's /metrics, None when unreadable

    @property
    def ratio(self) -> float:
        return self.tally.rps / self.floor.rps if self.floor.rps else 0.0

    @property
    def tally_non_2xx(self) -> int:
        if self.tally_statuses is None:
            return self.tally.status_errors
        return sum(n for status, n in self.tally_statuses.items() if not status.startswith("2"))


@dataclass
class EndpointResult:
    endpoint: Endpoint
    rounds: list[Round] = field(default_factory=list)
    sql: SqlCount | None = None

    @property
    def ratio(self) -> float:
        return statistics.median(r.ratio for r in self.rounds)

    @property
    def ratio_range(self) -> tuple[float, float]:
        ratios = [r.ratio for r in self.rounds]
        return min(ratios), max(ratios)

    @property
    def tally_rps(self) -> float:
        return statistics.median(r.tally.rps for r in self.rounds)

    @property
    def floor_rps(self) -> float:
        return statistics.median(r.floor.rps for r in self.rounds)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.tally.p50_ms for r in self.rounds)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.tally.p99_ms for r in self.rounds)

    @property
    def non_2xx(self) -> int:
        return sum(r.tally_non_2xx + r.tally.socket_errors for r in self.rounds)

    @property
    def floor_errors(self) -> int:
        return sum(r.floor.status_errors + r.floor.socket_errors for r in self.rounds)

    @property
    def statuses(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for r in self.rounds:
            total.update(r.tally_statuses or {})
        return total

    @property
    def flagged(self) -> bool:
        return self.non_2xx > 0 or self.floor_errors > 0

    def met(self) -> bool | None:
        """Whether every target of the endpoint is met; None when it has none."""
        target = self.endpoint.target
        checks = []
        if target.min_ratio is not None:
            checks.append(self.ratio >= target.min_ratio)
        if target.max_p99_ms is not None:
            checks.append(self.p99_ms < target.max_p99_ms)
        if target.zero_sql:
            checks.append(self.sql is not None and self.sql.total == 0)
        if target.zero_auth_sql:
            checks.append(self.sql is not None and self.sql.before_view == 0)
        return all(checks) if checks else None


@dataclass
class BackendRun:
    label: str
    database: str = ""
    mode: str = ""
    mode_note: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    results: dict[str, EndpointResult] = field(default_factory=dict)
    workdir: Path | None = None
    profiles: list[LayerProfile] = field(default_factory=list)
    floor_profile: LayerProfile | None = None

    def deep_over_first(self) -> float | None:
        first, deep = self.results.get("history-first"), self.results.get("history-deep")
        if not (first and deep and first.rounds and deep.rounds and deep.ratio):
            return None
        return first.ratio / deep.ratio


# --- Tally's environment -----------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    jwt_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(48))


def gunicorn_environment(settings: Settings, metrics_dir: Path) -> dict[str, str]:
    """What both servers get alike: the same gunicorn settings."""
    return {
        **clean_environment(),
        "WEB_CONCURRENCY": str(settings.workers),
        "GUNICORN_THREADS": str(settings.gunicorn_threads),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }


def tally_environment(
    settings: Settings,
    *,
    mode: str,
    database_url: str,
    redis_url: str | None,
    keys: Secrets,
    workdir: Path,
    rate_limited: bool,
    metrics_dir: Path,
) -> dict[str, str]:
    env = {
        **gunicorn_environment(settings, metrics_dir),
        "FLASK_APP": "wsgi",
        "FLASK_DEBUG": "0",
        "TALLY_ENV": mode,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",  # set, so that a .env file cannot fill it in
        "SECRET_KEY": keys.secret_key,
        "JWT_SECRET_KEY": keys.jwt_secret_key,
        "METRICS_TOKEN": keys.metrics_token,
        "LOG_LEVEL": "INFO",
        "ACCESS_TOKEN_TTL": "86400",  # a token from the start outlives the longest run
        "RATELIMIT_ENABLED": "true" if rate_limited else "false",
        # Mail is written to files should anything send one (no request measured does).
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(workdir / "mail"),
        "MAIL_SERVER": "127.0.0.1",
        "PUBLIC_URL": "http://127.0.0.1",
    }
    if rate_limited:
        env["RATELIMIT_DEFAULT"] = settings.rate_limit
    return env


def refusal_line(text: str) -> str:
    """The line of a log that says why production refused to start."""
    lines = [line for line in text.splitlines() if "REDIS_URL" in line]
    return (lines[-1] if lines else text.splitlines()[-1]).strip()[:300]


# --- One backend -------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, flush=True)


def scrape_statuses(base_url: str, token: str) -> Counter[str] | None:
    """Tally's answered requests by status, summed over workers and routes (but /metrics)."""
    request = urllib.request.Request(
        base_url + "/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
    statuses: Counter[str] = Counter()
    for line in text.splitlines():
        if not line.startswith("tally_http_requests_total{"):
            continue
        labels_text, _, value = line.rpartition(" ")
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels_text))
        if labels.get("endpoint") != "/metrics":
            statuses[labels.get("status", "?")] += int(float(value))
    return statuses


def request_for(endpoint: Endpoint, world: World, token: str | None) -> RequestSpec:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if endpoint.transfer:
        headers["Idempotency-Key"] = f"bench-{uuid.uuid4().hex}"
        body = {
            "fromAccountId": world.payer.accounts[0],
            "toAccountId": world.payer.accounts[1],
            "amount": 1,
            "memo": "bench",
        }
    return RequestSpec(endpoint.method, endpoint.path(world), headers, body)


def smoke(server: GunicornServer, endpoint: Endpoint, spec: RequestSpec, *, tally: bool) -> None:
    """One request before the measurement: it must answer 2xx (and on Tally, hold the
    items the world was seeded with, with rate limits on or off as asked), or nothing is
    measured."""
    api = Api(server.base_url)
    try:
        data = api.call(
            spec.method, spec.path, body=spec.body, headers=spec.headers, expect=(200, 201)
        )
    except SeedFailed as exc:
        raise SeedFailed(f"{server.name}: {exc}") from exc
    if not tally:
        return
    if endpoint.items is not None and (not isinstance(data, list) or len(data) != endpoint.items):
        shown = len(data) if isinstance(data, list) else type(data).__name__
        raise SeedFailed(f"{endpoint.name}: expected {endpoint.items} items, got {shown}")
    limited = "X-RateLimit-Limit" in api.last_headers
    if limited != endpoint.rate_limited:
        raise SeedFailed(
            f"{endpoint.name}: rate limits are {'on' if limited else 'off'} on {server.name}"
        )


def hit(
    wrk: str,
    server: GunicornServer,
    endpoint: Endpoint,
    world: World,
    token: str | None,
    settings: Settings,
    duration_s: int,
) -> WrkResult:
    url = server.base_url + endpoint.path(world)
    if endpoint.transfer:
        assert token is not None
        return run_wrk(
            wrk,
            url,
            threads=settings.threads,
            connections=settings.connections,
            duration_s=duration_s,
            script=TRANSFER_SCRIPT,
            script_args=(
                token,
                world.payer.accounts[0],
                world.payer.accounts[1],
                uuid.uuid4().hex[:16],
            ),
        )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return run_wrk(
        wrk,
        url,
        threads=settings.threads,
        connections=settings.connections,
        duration_s=duration_s,
        headers=headers,
    )


def measure(
    wrk: str,
    endpoint: Endpoint,
    world: World,
    tokens: dict[str, str],
    floor: GunicornServer,
    tally: GunicornServer,
    settings: Settings,
    metrics_token: str,
) -> EndpointResult:
    """Warm both up, then floor, Tally, floor, Tally, … for the endpoint."""
    token = tokens[endpoint.caller] if endpoint.caller else None
    smoke(floor, endpoint, request_for(endpoint, world, token), tally=False)
    smoke(tally, endpoint, request_for(endpoint, world, token), tally=True)
    if settings.warmup_s:
        for server in (floor, tally):
            hit(wrk, server, endpoint, world, token, settings, settings.warmup_s)
    result = EndpointResult(endpoint)
    for n in range(1, settings.rounds + 1):
        floor_run = hit(wrk, floor, endpoint, world, token, settings, settings.duration_s)
        before = scrape_statuses(tally.base_url, metrics_token)
        tally_run = hit(wrk, tally, endpoint, world, token, settings, settings.duration_s)
        after = scrape_statuses(tally.base_url, metrics_token)
        statuses = None
        if before is not None and after is not None:
            statuses = Counter({k: v for k, v in (after - before).items() if v})
        result.rounds.append(Round(floor_run, tally_run, statuses))
        r = result.rounds[-1]
        errors = r.tally_non_2xx + tally_run.socket_errors
        log(
            f"   {endpoint.name:<17} round {n}/{settings.rounds}: floor {floor_run.rps:7.0f} "
            f"req/s, Tally {tally_run.rps:7.0f} req/s, ratio {r.ratio:.3f}, "
            f"p99 {tally_run.p99_ms:.1f} ms" + (f"  ⚠ {errors} errors" if errors else "")
        )
    return result


def login_callers(api: Api, world: World, endpoints: tuple[Endpoint, ...]) -> dict[str, str]:
    callers = sorted({e.caller for e in endpoints if e.caller})
    return {role: api.login(world.member(role).email, world.password) for role in callers}


def count_sql(
    app_env: dict[str, str],
    world: World,
    endpoints: tuple[Endpoint, ...],
) -> dict[str, SqlCount]:
    """Each endpoint's statements per warm request, in-process with Tally's own config."""
    from webapp import create_app
    from webapp.infra.config import load_config
    from webapp.infra.extensions import db

    app = create_app(load_config(app_env))
    probe = SqlProbe(app)
    tokens = {
        role: probe.login(world.member(role).email, world.password)
        for role in sorted({e.caller for e in endpoints if e.caller})
    }
    counts: dict[str, SqlCount] = {}
    for endpoint in endpoints:
        token = tokens[endpoint.caller] if endpoint.caller else None
        counted = probe.count(lambda e=endpoint, t=token: request_for(e, world, t))
        if counted.status >= 300:
            raise SeedFailed(f"in-process {endpoint.name} answered {counted.status}")
        counts[endpoint.name] = counted
    with app.app_context():
        db.engine.dispose()
    return counts


def profile_endpoints(
    app_env: dict[str, str],
    world: World,
    endpoints: tuple[Endpoint, ...],
    requests: int,
) -> list[LayerProfile]:
    """Each endpoint's in-process cost per warm request, and its layers (bench/layer_profile.py)."""
    from webapp import create_app
    from webapp.infra.config import load_config
    from webapp.infra.extensions import db

    app = create_app(load_config(app_env))
    probe = SqlProbe(app)
    tokens = {
        role: probe.login(world.member(role).email, world.password)
        for role in sorted({e.caller for e in endpoints if e.caller})
    }
    profiles = []
    for endpoint in endpoints:
        token = tokens[endpoint.caller] if endpoint.caller else None
        profiled = layer_profile.profile(
            endpoint.name,
            app,
            lambda e=endpoint, t=token: request_for(e, world, t),
            requests=requests,
        )
        if profiled.status >= 300:
            raise SeedFailed(f"in-process {endpoint.name} answered {profiled.status}")
        profiles.append(profiled)
    with app.app_context():
        db.engine.dispose()
    return profiles


def profile_floor(requests: int) -> LayerProfile:
    from floor_app import app

    spec = RequestSpec("GET", "/api/v1/products", {})
    return layer_profile.profile("floor", app, lambda: spec, requests=requests)


def run_backend(
    run: BackendRun,
    settings: Settings,
    wrk: str,
    database: Database,
    redis_url: str | None,
) -> None:
    """Seed, count SQL, then measure every selected endpoint on one database (+ Redis)."""
    assert run.workdir is not None
    workdir, logs = run.workdir, run.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    keys = Secrets()
    run.database = database.label
    run.versions = server_versions(database.url, redis_url)
    if redis_url:
        flush_redis(redis_url)

    def env(mode: str, *, rate_limited: bool, name: str) -> dict[str, str]:
        return tally_environment(
            settings,
            mode=mode,
            database_url=database.url,
            redis_url=redis_url,
            keys=keys,
            workdir=workdir,
            rate_limited=rate_limited,
            metrics_dir=workdir / f"metrics-{name}",
        )

    # Production where it accepts the setup; PRODUCT.md has it refuse 2 workers without Redis.
    mode = "production"
    setup_log = logs / "setup.log"
    try:
        flask_cli(env(mode, rate_limited=False, name="cli"), ["db", "upgrade"], setup_log)
    except SeedFailed as exc:
        if redis_url or "REDIS_URL" not in str(exc):
            raise
        mode, run.mode_note = "development", refusal_line(str(exc))
        flask_cli(env(mode, rate_limited=False, name="cli"), ["db", "upgrade"], setup_log)
    seed_server = GunicornServer(
        env(mode, rate_limited=False, name="seed"), logs / "tally-seed.log", name="tally (seeding)"
    )
    try:
        seed_server.start()
    except ServerFailed as exc:
        if redis_url or mode != "production" or "REDIS_URL" not in str(exc):
            raise
        mode, run.mode_note = "development", refusal_line(str(exc))
        seed_server.env = env(mode, rate_limited=False, name="seed")
        seed_server.start()
    run.mode = mode
    log(f"   Tally in {mode} mode" + (f" ({run.mode_note})" if run.mode_note else ""))

    password = new_password()
    started = time.perf_counter()
    try:
        flask_cli(
            env(mode, rate_limited=False, name="cli"),
            ["create-admin", "--email", ADMIN_EMAIL, "--password", password, "--name", "Bench"],
            setup_log,
        )
        world = seed_over_api(Api(seed_server.base_url), ADMIN_EMAIL, password)
    finally:
        seed_server.stop()
    log(f"   seeded members, money, products and orders in {time.perf_counter() - started:.1f} s")

    selected = settings.endpoints
    plain = tuple(e for e in selected if not e.rate_limited)
    limited = tuple(e for e in selected if e.rate_limited)
    started = time.perf_counter()
    sql: dict[str, SqlCount] = {}
    with (logs / "in-process.log").open("a") as out, output_to(out):
        from webapp import create_app
        from webapp.infra.config import load_config
        from webapp.infra.extensions import db

        history_app = create_app(load_config(env(mode, rate_limited=False, name="inproc")))
        build_world_history(history_app, world, settings.history_entries)
        with history_app.app_context():
            db.engine.dispose()
        if plain:
            sql.update(count_sql(env(mode, rate_limited=False, name="inproc"), world, plain))
        if limited:
            sql.update(count_sql(env(mode, rate_limited=True, name="inproc"), world, limited))
        if settings.profile_requests:
            n = settings.profile_requests
            run.floor_profile = profile_floor(n)
            if plain:
                run.profiles += profile_endpoints(
                    env(mode, rate_limited=False, name="inproc"), world, plain, n
                )
            if limited:
                run.profiles += profile_endpoints(
                    env(mode, rate_limited=True, name="inproc"), world, limited, n
                )
    log(
        f"   built a {world.history_entries:,}-entry history, counted SQL and profiled in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if redis_url:
        flush_redis(redis_url)  # the measured servers start from a cold cache, like a deploy

    floor = GunicornServer(
        gunicorn_environment(settings, workdir / "metrics-floor"),
        logs / "floor.log",
        app="bench.floor_app:app",
        name="floor",
    )
    floor.start()
    try:
        for phase, endpoints in (("off", plain), ("on", limited)):
            if not endpoints:
                continue
            tally = GunicornServer(
                env(mode, rate_limited=phase == "on", name=f"tally-{phase}"),
                logs / f"tally-ratelimits-{phase}.log",
                name=f"tally (rate limits {phase})",
            )
            tally.start()
            try:
                tokens = login_callers(Api(tally.base_url), world, endpoints)
                for endpoint in endpoints:
                    result = measure(
                        wrk, endpoint, world, tokens, floor, tally, settings, keys.metrics_token
                    )
                    result.sql = sql.get(endpoint.name)
                    run.results[endpoint.name] = result
            finally:
                tally.stop()
    finally:
        floor.stop()


# --- Output --------------------------------------------------------------------------------


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join(
        [line(header), "| " + " | ".join("-" * w for w in widths) + " |", *map(line, rows)]
    )


def met_mark(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "NOT MET")


def sql_cell(result: EndpointResult) -> str:
    if result.sql is None:
        return "?"
    if result.endpoint.caller is None:
        return str(result.sql.total)
    return f"{result.sql.total} ({result.sql.before_view})"


def backend_table(run: BackendRun) -> str:
    header = [
        "endpoint",
        "Tally req/s",
        "floor req/s",
        "ratio",
        "range",
        "p50 ms",
        "p99 ms",
        "SQL (auth)",
        "non-2xx",
        "target",
        "met",
    ]
    rows = []
    for result in run.results.values():
        low, high = result.ratio_range
        rows.append(
            [
                result.endpoint.name + (" ⚠" if result.flagged else ""),
                f"{result.tally_rps:.0f}",
                f"{result.floor_rps:.0f}",
                f"{result.ratio:.3f}",
                f"{low:.2f}-{high:.2f}",
                f"{result.p50_ms:.1f}",
                f"{result.p99_ms:.1f}",
                sql_cell(result),
                str(result.non_2xx),
                result.endpoint.target.describe(),
                met_mark(result.met()),
            ]
        )
    return markdown_table(header, rows)


def backend_notes(run: BackendRun) -> list[str]:
    notes = []
    deep_over_first = run.deep_over_first()
    if deep_over_first is not None:
        first, deep = run.results["history-first"], run.results["history-deep"]
        notes.append(
            f"history deep/first = {deep_over_first:.2f} (target ≤ {DEEP_OVER_FIRST_MAX:g}: "
            f"{met_mark(deep_over_first <= DEEP_OVER_FIRST_MAX)}); p50 {first.p50_ms:.1f} ms "
            f"first, {deep.p50_ms:.1f} ms deep"
        )
    noisy = [
        f"{r.endpoint.name} {r.ratio_range[0]:.2f}-{r.ratio_range[1]:.2f}"
        for r in run.results.values()
        if len(r.rounds) > 1 and r.ratio and (r.ratio_range[1] - r.ratio_range[0]) > NOISY * r.ratio
    ]
    if noisy:
        notes.append(
            f"noisy: per-round ratios spread over more than {NOISY:.0%} of their median "
            f"({', '.join(noisy)}); the machine was busy: rerun, or give more --rounds"
        )
    for result in run.results.values():
        if result.non_2xx:
            shown = ", ".join(
                f"{status}: {n}"
                for status, n in sorted(result.statuses.items())
                if not status.startswith("2")
            )
            sockets = sum(r.tally.socket_errors for r in result.rounds)
            notes.append(
                f"⚠ {result.endpoint.name}: {result.non_2xx} answers outside 2xx or socket "
                f"errors on Tally ({shown or 'statuses not read'}; socket errors: {sockets})"
            )
        if result.floor_errors:
            notes.append(f"⚠ {result.endpoint.name}: {result.floor_errors} errors on the floor")
        if result.endpoint.rate_limited:
            if any(r.tally_statuses is None for r in result.rounds):
                notes.append(f"⚠ {result.endpoint.name}: 429s not counted (/metrics unread)")
            else:
                refused = result.statuses.get("429", 0)
                notes.append(
                    f"{result.endpoint.name}: {refused} answers were 429 (must be 0)"
                    + (" ⚠" if refused else "")
                )
    return notes


def comparison_table(sqlite: BackendRun, other: BackendRun) -> str | None:
    rows = []
    for name, result in other.results.items():
        base = sqlite.results.get(name)
        if base is None or not base.ratio:
            continue
        relative = result.ratio / base.ratio
        rows.append(
            [
                name,
                f"{base.ratio:.3f}",
                f"{result.ratio:.3f}",
                f"{relative:.3f}",
                f"≥ {PG_WITHIN:g}",
                met_mark(relative >= PG_WITHIN),
            ]
        )
    if not rows:
        return None
    header = ["endpoint", f"{sqlite.label} ratio", f"{other.label} ratio", "relative"]
    return markdown_table([*header, "target", "met"], rows)


def sql_listing(run: BackendRun) -> str:
    lines = []
    for result in run.results.values():
        if result.sql is None:
            continue
        lines.append(f"{result.endpoint.name}: {result.sql.total} statements")
        for n, statement in enumerate(result.sql.statements, start=1):
            marker = "auth" if n <= result.sql.before_view else "view"
            lines.append(f"  {n:>2} [{marker}] {' '.join(statement.split())[:300]}")
    return "\n".join(lines)


def report_backend(run: BackendRun, settings: Settings) -> str:
    parts = [
        f"### {run.label}",
        "",
        f"Database: {run.database}. Tally: TALLY_ENV={run.mode}"
        + (f" (production refused: {run.mode_note})" if run.mode_note else "")
        + ", debug off, JSON logs to a file, metrics on, request ids on.",
        "",
        backend_table(run),
        "",
    ]
    notes = backend_notes(run)
    if notes:
        parts += [*(f"- {note}" for note in notes), ""]
    if run.profiles and run.floor_profile:
        parts += [
            f"Where a warm request's time goes (in-process, {settings.profile_requests} "
            "requests each, bench/layer_profile.py): µs per request unprofiled, its multiple "
            "of the floor's, and the share of cProfile's own time in each layer.",
            "",
            layer_profile.markdown(run.profiles, run.floor_profile),
            "",
        ]
        held_back = profile_notes(run, settings)
        if held_back:
            parts += ["What holds the missed targets back, by the profile:", ""]
            parts += [*(f"- {line}" for line in held_back), ""]
    if settings.show_sql:
        parts += ["```", sql_listing(run), "```", ""]
    return "\n".join(parts)


def profile_notes(run: BackendRun, settings: Settings) -> list[str]:
    """For each endpoint that missed its ratio: what the target leaves Tally per request,
    what it spends in-process, and the layers that hold most of it.

    Served, one request holds a worker for about workers / floor req/s; of that the floor
    app itself spends its in-process µs, and the rest is gunicorn, the socket and wrk's
    share of the CPU, which Tally pays too. So a ratio r leaves Tally
    workers / (r x floor req/s) minus that rest, in-process."""
    assert run.floor_profile is not None
    floor_app_us = run.floor_profile.micros
    lines = []
    for profiled in run.profiles:
        result = run.results.get(profiled.name)
        target = result.endpoint.target.min_ratio if result else None
        if result is None or not result.rounds or target is None or result.ratio >= target:
            continue
        served_us = settings.workers * 1e6 / result.floor_rps
        server_us = max(served_us - floor_app_us, 0.0)
        budget_us = served_us / target - server_us
        top = sorted(profiled.shares.items(), key=lambda kv: -kv[1])[:4]
        layers = ", ".join(f"{layer} {share:.0%}" for layer, share in top)
        waiting = (
            ""
            if profiled.micros > budget_us
            else " (within it, alone: under load the time goes to waiting, for the one "
            "SQLite writer at a time or for the database's locks and round trips)"
        )
        lines.append(
            f"{profiled.name}: ratio {result.ratio:.3f}, target {target:g}. A floor request "
            f"holds a worker ~{served_us:.0f} µs, {floor_app_us:.0f} of them in the app; "
            f"the target leaves Tally ~{budget_us:.0f} µs in-process, and it spends "
            f"{profiled.micros:.0f}{waiting}: {layers}"
        )
    return lines


# --- The machine, the code, RESULTS.md -------------------------------------------------------


def command_output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    except OSError:
        return ""
    return done.stdout.strip()


def commit_description() -> str:
    commit = command_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    if command_output(["git", "status", "--porcelain"]):
        commit += " + uncommitted changes"
    return commit


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


PACKAGES = (
    "Flask",
    "Werkzeug",
    "SQLAlchemy",
    "Flask-SQLAlchemy",
    "gunicorn",
    "psycopg",
    "redis",
    "Flask-Limiter",
    "limits",
    "Flask-Caching",
    "pydantic",
    "prometheus-client",
    "PyJWT",
)


def package_versions() -> str:
    found = []
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{name} {importlib.metadata.version(name)}")
    return ", ".join(found)


@dataclass
class Context:
    started: datetime
    wrk: str
    commit: str = field(default_factory=commit_description)
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def machine_lines(self, settings: Settings, runs: list[BackendRun]) -> list[str]:
        load_after = os.getloadavg()
        versions = {k: v for run in runs for k, v in run.versions.items()}
        servers = ", ".join(f"{k} {v}" for k, v in versions.items())
        return [
            f"- Date: {self.started:%Y-%m-%d %H:%M} UTC",
            f"- Commit: {self.commit}",
            f"- Machine: `{command_output(['uname', '-a']) or platform.platform()}`",
            f"- CPU: {cpu_model()}, {os.cpu_count()} cores; load average "
            f"{self.load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end",
            f"- Python {platform.python_version()}; {package_versions()}",
            f"- {self.wrk}" + (f"; {servers}" if servers else ""),
            f"- Command: `bench/http_bench.py {' '.join(sys.argv[1:])}`"
            + (" with BENCH_DATABASE_URL / BENCH_REDIS_URL set" if len(runs) > 1 else ""),
            f"- Load: `{settings.wrk_line()}`, {settings.rounds} rounds per endpoint "
            f"alternating floor and Tally, {settings.warmup_s} s warm-up of each first",
            f"- gunicorn: gunicorn.conf.py, {settings.workers} workers x "
            f"{settings.gunicorn_threads} thread(s) "
            f"({'sync' if settings.gunicorn_threads == 1 else 'gthread'}) for both",
            f"- Rate limits off, except users-me-limited (RATELIMIT_DEFAULT="
            f"{settings.rate_limit}, per caller)",
        ]


def results_document(context: Context, settings: Settings, runs: list[BackendRun]) -> str:
    doc = __doc__ or ""
    how_to_read = doc[doc.index("How to read it") : doc.index("A missed target")]
    how_to_read = how_to_read.split("\n", 1)[1].rstrip()
    parts = [
        "# Tally HTTP benchmark results",
        "",
        "Written by `make bench` (bench/http_bench.py --write-results); rewritten by each "
        "such run. Ratios are to a bare-Flask floor measured in the same run, round by round; "
        "absolute requests/s depend on the machine and its neighbours.",
        "",
        *context.machine_lines(settings, runs),
        "",
    ]
    for run in runs:
        parts.append(report_backend(run, settings))
    if len(runs) > 1:
        table = comparison_table(runs[0], runs[1])
        if table:
            parts += [
                f"### {runs[1].label} relative to {runs[0].label}",
                "",
                f"Target: each ratio at least {PG_WITHIN:.0%} of its SQLite ratio.",
                "",
                table,
                "",
            ]
    parts += ["### How to read it", "", "```", how_to_read, "```", ""]
    return "\n".join(parts)


# --- Main ----------------------------------------------------------------------------------


def parse_settings(argv: list[str] | None) -> tuple[Settings, bool]:
    parser = argparse.ArgumentParser(
        description="Tally's requests/s as a share of a bare-Flask floor's, under wrk.",
        epilog="Endpoints: " + ", ".join(ENDPOINT_NAMES),
    )
    parser.add_argument("--rounds", type=int, help="rounds per endpoint (3; --short: 1)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (8; --short: 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t (1)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up (1), 0: none")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--gunicorn-threads", type=int, default=1, help="threads per worker (1: sync workers)"
    )
    parser.add_argument("--rate-limit", default=DEFAULT_RATE_LIMIT, help="for users-me-limited")
    parser.add_argument("--history-entries", type=int, default=HISTORY_ENTRIES)
    parser.add_argument("--only", nargs="+", choices=ENDPOINT_NAMES, metavar="ENDPOINT")
    parser.add_argument(
        "--short", action="store_true", help="1 round of 2 s: a smoke run for CI, no result"
    )
    parser.add_argument("--show-sql", action="store_true", help="list each endpoint's SQL")
    parser.add_argument(
        "--profile-requests",
        type=int,
        help="in-process requests per endpoint for the layer profile (300; --short: 30; 0: none)",
    )
    parser.add_argument(
        "--write-results",
        action="store_true",
        help=f"(over)write {RESULTS_FILE.name} (ignored with --short)",
    )
    args = parser.parse_args(argv)
    short = args.short
    args.rounds = args.rounds or (1 if short else 3)
    args.duration = args.duration or (2 if short else 8)
    if short and args.write_results:
        print(f"== {RESULTS_FILE.name} will not be written: a --short run is a smoke test")
        args.write_results = False
    if args.history_entries < 2 * HISTORY_PAGE_SIZE:
        parser.error(f"--history-entries must be at least {2 * HISTORY_PAGE_SIZE}")
    if min(args.rounds, args.duration, args.connections, args.threads, args.workers) < 1:
        parser.error("rounds, duration, connections, threads and workers must be at least 1")
    chosen = set(args.only or ENDPOINT_NAMES)
    settings = Settings(
        rounds=args.rounds,
        duration_s=args.duration,
        connections=args.connections,
        threads=args.threads,
        warmup_s=args.warmup,
        workers=args.workers,
        gunicorn_threads=args.gunicorn_threads,
        rate_limit=args.rate_limit,
        history_entries=args.history_entries,
        endpoints=tuple(e for e in ENDPOINTS if e.name in chosen),
        show_sql=args.show_sql,
        profile_requests=(
            args.profile_requests if args.profile_requests is not None else (30 if short else 300)
        ),
    )
    return settings, args.write_results


@contextlib.contextmanager
def backend_database(label: str, workdir: Path, url: str | None) -> Iterator[Database]:
    database = postgres_database(url) if url else sqlite_database(workdir)
    try:
        yield database
    finally:
        try:
            database.drop()
        except Exception as exc:  # a drop that fails must not hide the run's figures
            log(f"   could not drop the {label} database: {exc}")
        if not url:
            for suffix in ("", "-wal", "-shm"):
                Path(database.url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    settings, write_results = parse_settings(argv)
    stop_servers_on_exit()
    try:
        wrk = ensure_wrk()
    except (WrkMissing, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    context = Context(started=datetime.now(UTC), wrk=wrk_version(wrk))
    database_url = os.environ.get("BENCH_DATABASE_URL") or None
    redis_url = os.environ.get("BENCH_REDIS_URL") or None
    backends: list[tuple[str, str | None, str | None]] = [("SQLite", None, None)]
    if database_url or redis_url:
        label = ("PostgreSQL" if database_url else "SQLite") + (" + Redis" if redis_url else "")
        backends.append((label, database_url, redis_url))
    if database_url and not database_url.startswith("postgresql"):
        print("error: BENCH_DATABASE_URL must be a postgresql+psycopg:// URL", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="tally-http-bench-"))
    per_run = settings.rounds * 2 * settings.duration_s + 2 * settings.warmup_s + 1
    minutes = len(backends) * (len(settings.endpoints) * per_run + 40) / 60
    log(
        f"== make bench: {len(settings.endpoints)} endpoints x {settings.rounds} rounds of "
        f"`{settings.wrk_line()}` on {', '.join(b[0] for b in backends)} "
        f"(about {minutes:.0f} min); logs under {workdir}"
    )
    runs: list[BackendRun] = []
    for label, url, redis in backends:
        run = BackendRun(label=label, workdir=workdir / re.sub(r"\W+", "-", label.lower()))
        log(f"== {label}")
        started = time.perf_counter()
        try:
            with backend_database(label, run.workdir, url) as database:
                run_backend(run, settings, wrk, database, redis)
        except (ServerFailed, SeedFailed, WrkFailed) as exc:
            print(f"error on {label}: {exc}", file=sys.stderr)
            return 1
        except Exception:
            traceback.print_exc()
            return 1
        finally:
            if redis:
                with contextlib.suppress(Exception):
                    flush_redis(redis)
        log(f"   {label} done in {time.perf_counter() - started:.0f} s")
        runs.append(run)
        print()
        print(report_backend(run, settings), flush=True)

    if len(runs) > 1:
        table = comparison_table(runs[0], runs[1])
        if table:
            print(f"### {runs[1].label} relative to {runs[0].label} (target ≥ {PG_WITHIN:g})")
            print()
            print(table)
            print()
    flagged = [
        f"{run.label}: {r.endpoint.name}" for run in runs for r in run.results.values() if r.flagged
    ]
    if flagged:
        log(f"⚠ runs with errors (their figures are suspect): {'; '.join(flagged)}")
    if write_results:
        RESULTS_FILE.write_text(results_document(context, settings, runs))
        log(f"== wrote {RESULTS_FILE.relative_to(ROOT)}")
    log(f"== logs kept under {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
