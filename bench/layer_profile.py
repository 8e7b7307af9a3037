"""Where one warm request's time goes, layer by layer: the profile behind bench/RESULTS.md.

In-process, each endpoint's request is sent N times straight into the WSGI app (the
environ built beforehand, outside the measurement, as gunicorn hands it over), first
unprofiled for its cost in µs, then under cProfile for the split. Every function's own
time (`tottime`) is given to the layer its file belongs to: Flask and Werkzeug, the
validation and serialization layer, SQLAlchemy, the database driver, JWT, logs, metrics,
the rate limiter, the cache, Tally's other code. cProfile rather than a sampling profiler
because it sees C functions as themselves: a `sqlite3.Cursor.execute` or a socket read
is the driver's or the network's time, not the SQLAlchemy frame that called it. Its
per-call overhead inflates code that makes many small calls (the ORM most), so the split
is a picture of where the work is, and the unprofiled µs are the cost.

The floor app (bench/floor_app.py) goes through the same harness, for the share of a
request that is any Flask app's at all.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from bench_world import RequestSpec

# Layer, and the path fragments (or C function names) that place a function in it; first match wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "validation + JSON",
        (
            "webapp/api/operations.py",
            "webapp/api/schemas/",
            "webapp/api/validation.py",
            "webapp/edge/envelope.py",
            "/pydantic",
            "pydantic_core",
            "orjson",
        ),
    ),
    (
        "auth + JWT",
        (
            "webapp/api/auth_guard.py",
            "webapp/core/tokens.py",
            "webapp/core/passwords.py",
            "/jwt/",
            "webapp/services/principal.py",
            "webapp/services/user_records.py",
            "_hashlib",
            "hmac",
        ),
    ),
    ("rate limiter", ("webapp/infra/ratelimits.py", "/flask_limiter/", "/limits/")),
    ("cache", ("webapp/services/cache.py", "/flask_caching/", "/cachelib/", "_pickle", "pickle")),
    ("Redis client", ("/redis/",)),
    ("logs", ("webapp/infra/logging.py", "/logging/")),
    ("metrics", ("webapp/infra/metrics.py", "webapp/ops/metrics.py", "/prometheus_client/")),
    (
        "SQLAlchemy",
        ("/sqlalchemy/", "/flask_sqlalchemy/", "webapp/repositories/", "webapp/models/"),
    ),
    ("database driver", ("sqlite3", "/psycopg", "psycopg_binary", "psycopg_c")),
    ("network wait", ("socket", "select", "poll")),
    (
        "Flask + Werkzeug",
        ("/flask/", "/werkzeug/", "/flask_login/", "/flask_wtf/", "/blinker/", "/itsdangerous/"),
    ),
    ("Tally, other", ("webapp/",)),
)
OTHER = "stdlib, other"
LAYER_NAMES = (*(name for name, _ in LAYERS), OTHER)


def layer_of(filename: str, function: str) -> str:
    where = function if filename == "~" else filename  # "~": a C function, named by itself
    for name, marks in LAYERS:
        if any(mark in where for mark in marks):
            return name
    return OTHER


@dataclass(frozen=True)
class LayerProfile:
    name: str
    micros: float  # per request, unprofiled
    shares: dict[str, float]  # layer -> share of the profiled own time, 0..1
    status: int


def wsgi_environ(spec: RequestSpec) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path=spec.path.split("?", 1)[0],
        query_string=spec.path.split("?", 1)[1] if "?" in spec.path else None,
        method=spec.method,
        headers=dict(spec.headers),
        json=spec.body,
        base_url="http://127.0.0.1:8000",
    )
    try:
        environ = builder.get_environ()
        environ["REMOTE_ADDR"] = "127.0.0.1"
        body = environ["wsgi.input"].read()
        environ["_body"] = body
        return environ
    finally:
        builder.close()


def call(app: Any, environ: dict[str, Any]) -> int:
    """One request into the WSGI app, its body read to the end, as a server would."""
    statuses: list[int] = []

    def start_response(status: str, _headers: Iterable[Any], _exc: Any = None) -> None:
        statuses.append(int(status.split(" ", 1)[0]))

    environ = dict(environ)
    environ["wsgi.input"] = BytesIO(environ.pop("_body"))
    answer = app(environ, start_response)
    try:
        for _chunk in answer:
            pass
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return statuses[0]


def profile(
    name: str, app: Any, make_request: Callable[[], RequestSpec], *, requests: int
) -> LayerProfile:
    """The per-request cost of `make_request()`'s request (fresh each time: idempotency
    keys stay unique) and the layers its profiled own time falls in."""
    environs = [wsgi_environ(make_request()) for _ in range(2 * requests + 5)]
    for environ in environs[:5]:  # warm: caches filled, connections open
        status = call(app, environ)
    started = time.perf_counter()
    for environ in environs[5 : 5 + requests]:
        call(app, environ)
    micros = (time.perf_counter() - started) / requests * 1e6

    profiler = cProfile.Profile()
    for environ in environs[5 + requests :]:
        profiler.enable()
        call(app, environ)
        profiler.disable()
    own = own_time_by_layer(pstats.Stats(profiler).stats)  # type: ignore[attr-defined]
    total = sum(own.values()) or 1.0
    return LayerProfile(name, micros, {k: v / total for k, v in own.items()}, status)


Func = tuple[str, int, str]


def own_time_by_layer(stats: dict[Func, Any]) -> dict[str, float]:
    """Each function's own time in its layer; a function of no layer (the stdlib, a builtin
    such as isinstance) gives its time to its callers, in proportion to what each call
    site spent in it, up to the first caller that has a layer."""
    memo: dict[Func, dict[str, float]] = {}

    def layers_of(func: Func, seen: frozenset[Func]) -> dict[str, float]:
        if func in memo:
            return memo[func]
        layer = layer_of(func[0], func[2])
        callers: dict[Func, tuple[Any, ...]] = stats[func][4]
        if layer != OTHER or not callers or func in seen:
            return {layer: 1.0}
        split: dict[str, float] = defaultdict(float)
        spent = sum(edge[2] for edge in callers.values()) or 1.0
        for caller, edge in callers.items():
            for caller_layer, share in layers_of(caller, seen | {func}).items():
                split[caller_layer] += share * edge[2] / spent
        memo[func] = dict(split)
        return memo[func]

    own: dict[str, float] = defaultdict(float)
    for func, row in stats.items():
        for layer, share in layers_of(func, frozenset()).items():
            own[layer] += share * row[2]  # tottime
    return own


def markdown(profiles: list[LayerProfile], floor: LayerProfile) -> str:
    """One row per endpoint: µs per request, its multiple of the floor's, and the layers."""
    layers = [
        layer for layer in LAYER_NAMES if any(p.shares.get(layer, 0) >= 0.02 for p in profiles)
    ]
    header = ["endpoint", "µs/req", "x floor", *layers]
    rows = []
    for p in [floor, *profiles]:
        cells = [p.name, f"{p.micros:.0f}", f"{p.micros / floor.micros:.1f}"]
        cells += [f"{p.shares.get(layer, 0) * 100:.0f}%" for layer in layers]
        rows.append(cells)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join(
        [line(header), "| " + " | ".join("-" * w for w in widths) + " |", *map(line, rows)]
    )
