"""Benchmark: what request validation and response serialization cost per /api/v1 request.

Part 1 builds, in this process, tiny Flask apps that expose the same two routes with the
same pydantic models from webapp.api.schemas — GET /products (ProductListQuery in, 20
ProductPublic out) and POST /transfers (TransferCreate in, a TransactionPublic echoed) — one
per way of validating: (a) bare Flask calling pydantic by hand, the floor of a thin decorator
of our own (and two variants of how it serializes), (b) spectree 3 (answers validated, not
validated as Tally does today, or serialized by spectree), (c) flask-openapi3, (d) APIFlask.
Each must give (a)'s answers and refuse the same bad input before it is timed.

Part 2 builds Tally itself (create_app on a migrated temporary SQLite database, rate limits
off, logging on as in testing), seeds an admin, a member, products and deposits through the
API, and times cached GET /api/v1/products, GET /api/v1/users/me and
GET /api/v1/accounts/<id>/transactions?limit=20. A cProfile pass then splits their time: the
validation layer's frames (spectree, or webapp/api/operations.py, with validation.py and
schemas/) as a profiler's cumulative column shows them (the view they wrap included), and
their own cost (minus the app code they call, plus the pydantic calls made from app code).
The layer is detected per route, so the script measures whichever tree comes first on
PYTHONPATH: run it on the "before" tree and on the "after" tree.

How to read it: requests go through app.wsgi_app with a prebuilt environ (a full dispatch,
no server, no test-client work in the timings), timed in this thread's CPU time; µs are
medians over rounds, each round one batch per route, all routes interleaved. "x (a)" is the
median of per-round ratios to candidate (a) (in part 2, to (a)'s GET /products, timed in
the same rounds), "+µs" the median difference. Compare runs by ratios, never by µs. Profile
shares are cProfile's, which weighs Python-heavy code more: read them as proportions.

    .venv/bin/pip install -r bench/requirements-bench.txt
    .venv/bin/python bench/validation_cost.py [--rounds 31] [--requests 80] [--clock cpu]
    PYTHONPATH=/another/tree .venv/bin/python bench/validation_cost.py   # measure that tree
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import importlib.metadata
import io
import os
import platform
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Appended, not prepended: a tree named on PYTHONPATH wins over this checkout.
sys.path.append(str(ROOT))

import pydantic  # noqa: E402
from flask import Flask, Response, jsonify, request  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from pydantic import BaseModel, TypeAdapter  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

try:
    from webapp.api.schemas.shop import ProductListQuery, ProductPublic
    from webapp.api.schemas.wallet import TransactionPublic, TransferCreate
except ImportError as error:  # a tree that still uses spectree, without spectree installed
    raise SystemExit(
        f"validation_cost: webapp does not import ({error}); "
        "install the bench's packages: .venv/bin/pip install -r bench/requirements-bench.txt"
    ) from error

# Many short rounds: each job's batch in a round runs close in time to the others', so the
# per-round ratios hold up when the machine's other work comes and goes.
DEFAULT_ROUNDS = 31
DEFAULT_REQUESTS = 80
PASSWORD = "benchmark-password-1"
FIXED_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PRODUCT_COUNT = 20
HISTORY_DEPOSITS = 25

# --- Part 1: the same two routes, one app per candidate ------------------------------------


class ProductList(BaseModel):
    """GET /products answers {"data": [ProductPublic, …]} in every candidate."""

    data: list[ProductPublic]


class TransferEcho(BaseModel):
    """POST /transfers answers {"data": TransactionPublic} in every candidate."""

    data: TransactionPublic


PRODUCTS = [
    SimpleNamespace(
        id=n,
        sku=f"SKU-{n:04d}",
        name=f"Product {n}",
        description="Something worth buying, described in a sentence.",
        price=100 * n + 99,
        currency="USD",
        stock=10 + n,
        is_active=True,
        created_at=FIXED_TIME,
        updated_at=FIXED_TIME,
    )
    for n in range(1, PRODUCT_COUNT + 1)
]

PRODUCTS_PATH = "/products?limit=20&includeArchived=false"
BAD_PRODUCTS_PATH = "/products?limit=0"
TRANSFER_PATH = "/transfers"
TRANSFER_BODY = b'{"fromAccountId": "11", "toAccountId": "12", "amount": 1250, "memo": "lunch"}'
BAD_TRANSFER_BODY = b'{"fromAccountId": 11, "toAccountId": "12", "amount": 1250}'


def transfer_record(body: TransferCreate) -> dict[str, Any]:
    """What a transfer service would hand back: a plain record, ids as ints."""
    return {
        "id": 7,
        "type": "transfer",
        "amount": body.amount,
        "currency": "USD",
        "memo": body.memo,
        "created_at": FIXED_TIME,
        "entries": [
            {
                "account_id": int(body.from_account_id),
                "amount": -body.amount,
                "balance_after": 8750,
            },
            {"account_id": int(body.to_account_id), "amount": body.amount, "balance_after": 11250},
        ],
    }


def products_payload(limit: int) -> dict[str, Any]:
    items = [ProductPublic.model_validate(p) for p in PRODUCTS[:limit]]
    return {"data": [item.model_dump(mode="json", by_alias=True) for item in items]}


def transfer_payload(body: TransferCreate) -> dict[str, Any]:
    item = TransactionPublic.model_validate(transfer_record(body))
    return {"data": item.model_dump(mode="json", by_alias=True)}


def json_response(payload: dict[str, Any], status: int) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def answer_422(error: pydantic.ValidationError) -> tuple[Response, int]:
    errors = error.errors(include_url=False, include_context=False, include_input=False)
    return jsonify(errors), 422


def bare_app() -> Flask:
    """(a) model_validate on args/body, model_dump(mode="json", by_alias=True), jsonify."""
    app = Flask("bare")
    app.register_error_handler(pydantic.ValidationError, answer_422)

    @app.get("/products")
    def list_products() -> Response:
        query = ProductListQuery.model_validate(request.args.to_dict())
        return json_response(products_payload(query.limit), 200)

    @app.post("/transfers")
    def create_transfer() -> Response:
        body = TransferCreate.model_validate(request.get_json())
        return json_response(transfer_payload(body), 201)

    return app


def bare_dump_json_app() -> Flask:
    """(a') as (a), but the envelope model writes its JSON itself (model_dump_json)."""
    app = Flask("bare-dump-json")
    app.register_error_handler(pydantic.ValidationError, answer_422)

    @app.get("/products")
    def list_products() -> Response:
        query = ProductListQuery.model_validate(request.args.to_dict())
        page = ProductList.model_validate({"data": PRODUCTS[: query.limit]}, from_attributes=True)
        return Response(page.model_dump_json(by_alias=True), 200, mimetype="application/json")

    @app.post("/transfers")
    def create_transfer() -> Response:
        body = TransferCreate.model_validate(request.get_json())
        echo = TransferEcho.model_validate({"data": transfer_record(body)})
        return Response(echo.model_dump_json(by_alias=True), 201, mimetype="application/json")

    return app


PRODUCT_ITEMS = TypeAdapter(list[ProductPublic])
TRANSACTION = TypeAdapter(TransactionPublic)


def type_adapter_app() -> Flask:
    """(at) one TypeAdapter per answer: validate_python(from_attributes) + dump_python, jsonify.

    The shape of a decorator that validates a whole page at once instead of item by item.
    """
    app = Flask("type-adapter")
    app.register_error_handler(pydantic.ValidationError, answer_422)

    @app.get("/products")
    def list_products() -> Response:
        query = ProductListQuery.model_validate(request.args.to_dict())
        items = PRODUCT_ITEMS.validate_python(PRODUCTS[: query.limit], from_attributes=True)
        data = PRODUCT_ITEMS.dump_python(items, mode="json", by_alias=True)
        return json_response({"data": data}, 200)

    @app.post("/transfers")
    def create_transfer() -> Response:
        body = TransferCreate.model_validate(request.get_json())
        item = TRANSACTION.validate_python(transfer_record(body), from_attributes=True)
        data = TRANSACTION.dump_python(item, mode="json", by_alias=True)
        return json_response({"data": data}, 201)

    return app


def spectree_app(mode: str) -> Flask:
    """(b) spectree's @spec.validate; `mode` says what it does with the answer.

    "resp": response models declared, the view returns a JSON Response (as Tally's views
    do) and spectree validates its bytes against the model; "none": HTTP_200=None, Tally's
    actual use today; "model": the view returns a model instance and spectree serializes it.
    """
    from spectree import Response as SpecResponse
    from spectree import SpecTree

    spec = SpecTree("flask", annotations=True)
    app = Flask(f"spectree-{mode}")
    list_model = None if mode == "none" else ProductList
    echo_model = None if mode == "none" else TransferEcho

    @app.get("/products")
    @spec.validate(resp=SpecResponse(HTTP_200=list_model))
    def list_products(query: ProductListQuery) -> Any:
        if mode == "model":
            return ProductList.model_validate({"data": PRODUCTS[: query.limit]})
        return json_response(products_payload(query.limit), 200)

    @app.post("/transfers")
    @spec.validate(resp=SpecResponse(HTTP_201=echo_model))
    def create_transfer(json: TransferCreate) -> Any:
        if mode == "model":
            return TransferEcho.model_validate({"data": transfer_record(json)}), 201
        return json_response(transfer_payload(json), 201)

    return app


def openapi3_app(validate_response: bool) -> Flask:
    """(c) flask-openapi3: request models from the view's annotations; the view serializes."""
    from flask_openapi3 import OpenAPI

    app = OpenAPI("openapi3", validate_response=validate_response)

    @app.get("/products", responses={200: ProductList})
    def list_products(query: ProductListQuery) -> Response:
        return json_response(products_payload(query.limit), 200)

    @app.post("/transfers", responses={201: TransferEcho})
    def create_transfer(body: TransferCreate) -> Response:
        return json_response(transfer_payload(body), 201)

    return app


def apiflask_app() -> Flask:
    """(d) APIFlask 3 with pydantic models: @app.input validates, @app.output serializes."""
    from apiflask import APIFlask

    app = APIFlask("apiflask")

    @app.get("/products")
    @app.input(ProductListQuery, location="query", arg_name="query")
    @app.output(ProductList)
    def list_products(query: ProductListQuery) -> dict[str, Any]:
        return {"data": PRODUCTS[: query.limit]}

    @app.post("/transfers")
    @app.input(TransferCreate, location="json", arg_name="body")
    @app.output(TransferEcho, status_code=201)
    def create_transfer(body: TransferCreate) -> dict[str, Any]:
        return {"data": transfer_record(body)}

    return app


@dataclass
class Candidate:
    key: str
    label: str
    build: Callable[[], Flask]
    package: str | None  # the distribution it needs beyond Flask and pydantic
    app: Flask | None = None
    skipped: str | None = None


def candidates() -> list[Candidate]:
    return [
        Candidate("a", "bare Flask, model_validate + model_dump", bare_app, None),
        Candidate("at", "bare Flask, TypeAdapter(list) + jsonify", type_adapter_app, None),
        Candidate("a'", "bare Flask, model_validate + dump_json", bare_dump_json_app, None),
        Candidate(
            "b",
            "spectree, resp models (validates answer)",
            lambda: spectree_app("resp"),
            "spectree",
        ),
        Candidate(
            "b0", "spectree, resp=None (Tally today)", lambda: spectree_app("none"), "spectree"
        ),
        Candidate(
            "bm",
            "spectree, view returns a model instance",
            lambda: spectree_app("model"),
            "spectree",
        ),
        Candidate(
            "c", "flask-openapi3, response unchecked", lambda: openapi3_app(False), "flask-openapi3"
        ),
        Candidate(
            "cr",
            "flask-openapi3, validate_response=True",
            lambda: openapi3_app(True),
            "flask-openapi3",
        ),
        Candidate("d", "APIFlask, pydantic adapter", apiflask_app, "apiflask"),
    ]


def version_of(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def apiflask_takes_pydantic() -> bool:
    try:
        from apiflask.schema_adapters import registry  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Probe:
    """One request, pre-encoded, and the status it must get."""

    label: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200

    def send(self, client: FlaskClient) -> Any:
        """Through the test client, for checks: the answer, parsed."""
        if self.body is None:
            return client.open(self.path, method=self.method, headers=self.headers)
        return client.open(
            self.path,
            method=self.method,
            data=self.body,
            content_type="application/json",
            headers=self.headers,
        )

    def sender(self, app: Flask) -> Callable[[], int]:
        """A call that serves this request through app.wsgi_app as a WSGI server would.

        The environ is built once and copied per request (with a fresh body stream), and
        the answer's body is read to its end; no test-client work lands in the timings.
        """
        builder = EnvironBuilder(
            path=self.path,
            method=self.method,
            data=self.body,
            content_type="application/json" if self.body is not None else None,
            headers=self.headers,
        )
        base = builder.get_environ()
        builder.close()
        body = self.body or b""
        statuses: list[str] = []

        def start_response(status: str, _headers: Any, _exc_info: Any = None) -> Any:
            statuses.append(status)
            return lambda _data: None

        def send() -> int:
            environ = dict(base)
            environ["wsgi.input"] = io.BytesIO(body)
            statuses.clear()
            chunks = app(environ, start_response)
            try:
                for _chunk in chunks:
                    pass
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            return int(statuses[0][:3])

        return send


CANDIDATE_PROBES = (
    Probe("GET /products", "GET", PRODUCTS_PATH),
    Probe("POST /transfers", "POST", TRANSFER_PATH, TRANSFER_BODY, status=201),
)
BAD_PROBES = (
    Probe("GET /products?limit=0", "GET", BAD_PRODUCTS_PATH),
    Probe("POST /transfers (an id as a number)", "POST", TRANSFER_PATH, BAD_TRANSFER_BODY),
)


Job = tuple[Flask, Probe]


# The thread's CPU time by default: time the machine's other work takes from this process
# while it waits for a core never lands in a sample.
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def per_request_seconds(send: Callable[[], int], expected: int, requests: int) -> float:
    started = clock()
    for _ in range(requests):
        status = send()
        if status != expected:
            raise RuntimeError(f"answered {status}, expected {expected}")
    return (clock() - started) / requests


def measure(jobs: dict[str, Job], rounds: int, requests: int) -> dict[str, list[float]]:
    """Seconds per request, one sample per job per round, the jobs interleaved in each round."""
    senders = {key: (probe.sender(app), probe.status) for key, (app, probe) in jobs.items()}
    for send, expected in senders.values():
        per_request_seconds(send, expected, max(50, requests))  # warm-up
    # What exists now is never garbage: the collector's passes stay short and alike for all.
    gc.collect()
    gc.freeze()
    keys = list(jobs)
    samples: dict[str, list[float]] = {key: [] for key in keys}
    try:
        for round_number in range(rounds):
            shift = round_number % len(keys)  # rotate the order so no job always runs first
            for key in keys[shift:] + keys[:shift]:
                samples[key].append(per_request_seconds(*senders[key], requests))
    finally:
        gc.unfreeze()
    return samples


def ratio_to(mine: list[float], floor: list[float]) -> float:
    """The median of the per-round ratios: both were measured in the same rounds."""
    return statistics.median(m / f for m, f in zip(mine, floor, strict=True))


def extra_over(mine: list[float], floor: list[float]) -> float:
    return statistics.median(m - f for m, f in zip(mine, floor, strict=True))


def check_candidate(app: Flask) -> str | None:
    """Why the candidate does not match (a)'s behaviour, or None when it does."""
    client, reference = app.test_client(), bare_app().test_client()
    for probe in CANDIDATE_PROBES:
        got, want = probe.send(client), probe.send(reference)
        if got.status_code != probe.status or got.get_json() != want.get_json():
            return f"{probe.label} answered {got.status_code} {got.get_data()[:200]!r}"
    for probe in BAD_PROBES:
        status = probe.send(client).status_code
        if not 400 <= status < 500:
            return f"{probe.label} was not refused ({status})"
    return None


def part_one(rounds: int, requests: int) -> None:
    print("Part 1 — candidates: the same two routes and models in a tiny app each")
    print(
        f"  GET: ProductListQuery in, {PRODUCT_COUNT} ProductPublic out; POST: TransferCreate in,"
    )
    print(
        f"  TransactionPublic out; {rounds} rounds x {requests} requests per route, all interleaved"
    )
    chosen = candidates()
    for candidate in chosen:
        if candidate.package and version_of(candidate.package) is None:
            candidate.skipped = f"{candidate.package} is not installed"
        elif candidate.package == "apiflask" and not apiflask_takes_pydantic():
            candidate.skipped = "this APIFlask release takes marshmallow schemas only"
        else:
            candidate.app = candidate.build()
            candidate.skipped = check_candidate(candidate.app)
            if candidate.skipped:
                candidate.app = None
    jobs = {
        f"{c.key} {p.label}": (c.app, p)
        for c in chosen
        if c.app is not None
        for p in CANDIDATE_PROBES
    }
    samples = measure(jobs, rounds, requests)

    print()
    print(f"  {'':46}" + "".join(f"{p.label:>24}" for p in CANDIDATE_PROBES))
    print(f"  {'':4}{'candidate':42}" + f"{'µs':>10}{'x (a)':>7}{'+µs':>7}" * 2)
    for candidate in chosen:
        line = f"  {candidate.key:4}{candidate.label:42}"
        if candidate.app is None:
            print(f"{line}skipped: {candidate.skipped}")
            continue
        for probe in CANDIDATE_PROBES:
            mine, floor = samples[f"{candidate.key} {probe.label}"], samples[f"a {probe.label}"]
            line += f"{statistics.median(mine) * 1e6:10.1f}{ratio_to(mine, floor):7.2f}"
            line += f"{extra_over(mine, floor) * 1e6:+7.0f}"
        print(line)
    print()


# --- Part 2: Tally itself -----------------------------------------------------------------


@dataclass
class TallyWorld:
    app: Flask
    client: FlaskClient
    probes: tuple[Probe, ...]


def call(client: FlaskClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.open(path, method=method, **kwargs)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.get_data()!r}")
    return response.get_json() or {}


def build_tally(workdir: str) -> TallyWorld:
    """The app as tests/conftest.py builds it, seeded through the API (either layer)."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.infra.config import TestingConfig
    from webapp.services.users.registration import RegistrationService

    config = TestingConfig(
        {
            "TALLY_ENV": "testing",
            "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
            "RATELIMIT_ENABLED": "false",
        }
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
        RegistrationService().create_or_promote_admin(
            email="admin@example.com", password=PASSWORD, name="Admin"
        )
    client = app.test_client()
    call(
        client,
        "POST",
        "/api/v1/auth/register",
        json={"email": "member@example.com", "password": PASSWORD, "name": "Member"},
    )

    def bearer(email: str) -> dict[str, str]:
        body = {"email": email, "password": PASSWORD}
        tokens = call(client, "POST", "/api/v1/auth/login", json=body)["data"]
        return {"Authorization": f"Bearer {tokens['accessToken']}"}

    admin, member = bearer("admin@example.com"), bearer("member@example.com")
    for n in range(1, PRODUCT_COUNT + 1):
        product = {
            "sku": f"BENCH-{n:03d}",
            "name": f"Bench product {n}",
            "description": "Something worth buying, described in a sentence.",
            "price": 100 * n + 99,
            "stock": 10 + n,
        }
        call(client, "POST", "/api/v1/products", json=product, headers=admin)
    account_id = call(client, "GET", "/api/v1/accounts", headers=member)["data"][0]["id"]
    for n in range(HISTORY_DEPOSITS):
        deposit = {"amount": 100 + n, "memo": f"deposit {n}"}
        path = f"/api/v1/accounts/{account_id}/deposits"
        call(client, "POST", path, json=deposit, headers=admin)
    probes = (
        Probe("GET /products (cached, anonymous)", "GET", "/api/v1/products"),
        Probe("GET /users/me (bearer)", "GET", "/api/v1/users/me", headers=member),
        Probe(
            "GET /accounts/<id>/transactions?limit=20",
            "GET",
            f"/api/v1/accounts/{account_id}/transactions?limit=20",
            headers=member,
        ),
    )
    return TallyWorld(app, client, probes)


def package_dir(name: str) -> str | None:
    try:
        module = __import__(name)
    except ImportError:
        return None
    # Unresolved, as a module's __file__ and its code's co_filename (what cProfile reports) are.
    return os.path.dirname(module.__file__) + os.sep


class Layers:
    """Which profiled function belongs to the validation layer, pydantic, or the app."""

    def __init__(self) -> None:
        import webapp

        self.webapp = os.path.dirname(webapp.__file__) + os.sep
        api = os.path.join(self.webapp, "api")
        schemas = os.path.join(api, "schemas")
        self.own_files = {
            os.path.join(api, name) for name in ("operations.py", "validation.py")
        } | {os.path.join(schemas, name) for name in os.listdir(schemas) if name.endswith(".py")}
        self.spectree = package_dir("spectree")
        self.pydantic = tuple(
            d for d in (package_dir("pydantic"), package_dir("pydantic_core")) if d
        )

    def kind(self, filename: str, function: str) -> str:
        if filename == "~":  # a builtin: pydantic-core's validators and serializers are these
            return "pydantic" if "pydantic_core" in function else "other"
        if filename in self.own_files or (self.spectree and filename.startswith(self.spectree)):
            return "layer"
        if filename.startswith(self.pydantic):
            return "pydantic"
        if filename.startswith(self.webapp):
            return "app"
        return "other"

    def route_layer(self, view: Callable[..., Any]) -> str:
        """spectree, operations (webapp/api/operations.py), or none, from the wrapper chain."""
        found: list[str] = []
        current: Any = view
        while current is not None:
            code = getattr(current, "__code__", None)
            filename = code.co_filename if code else ""
            if self.spectree and filename.startswith(self.spectree):
                found.append("spectree")
            elif filename.endswith(os.path.join("api", "operations.py")):
                found.append("operations")
            current = getattr(current, "__wrapped__", None)
        return "+".join(dict.fromkeys(found)) or "none"


IN_LAYER = ("layer", "pydantic")
BUILTIN_METHOD = re.compile(r"<method '(\w+)' of '(?:[\w.]+\.)?(\w+)' objects>")


@dataclass(frozen=True)
class Shares:
    """Profiled seconds, split; `app_total` is the time inside Flask.wsgi_app."""

    app_total: float
    run_total: float  # the whole profiled loop, the test client's own work included
    inclusive: float  # under layer frames, the views they call included
    own: float  # …minus the app code (views, auth, envelope) they call
    pydantic_in_app: float  # pydantic validate/serialize called from app code (the views)
    top: list[tuple[str, float]]  # the layer's and pydantic's heaviest self times

    @property
    def validation(self) -> float:
        return self.own + self.pydantic_in_app


def shares(stats: dict[Any, Any], layers: Layers) -> Shares:
    """Split profiled time by the call edges between layer, app and pydantic frames."""
    kinds = {key: layers.kind(key[0], key[2]) for key in stats}
    run_total = sum(entry[2] for entry in stats.values())
    app_total = sum(
        entry[3]
        for key, entry in stats.items()
        if key[2] == "wsgi_app" and key[0].endswith(os.path.join("flask", "app.py"))
    )
    inclusive = own_exits = pydantic_in_app = 0.0
    for key, (_cc, _nc, _tt, _ct, callers) in stats.items():
        for caller, edge in callers.items():
            caller_kind = kinds.get(caller) or layers.kind(caller[0], caller[2])
            if kinds[key] == "layer" and caller_kind != "layer":
                inclusive += edge[3]
            elif kinds[key] == "app" and caller_kind == "layer":
                own_exits += edge[3]
            elif kinds[key] == "pydantic" and caller_kind == "app":
                pydantic_in_app += edge[3]
    heaviest = sorted(
        ((key, entry[2]) for key, entry in stats.items() if kinds[key] in IN_LAYER),
        key=lambda item: item[1],
        reverse=True,
    )
    top = [(describe(key, layers), tt / (app_total or run_total)) for key, tt in heaviest[:4]]
    return Shares(
        app_total or run_total, run_total, inclusive, inclusive - own_exits, pydantic_in_app, top
    )


def describe(key: tuple[str, int, str], layers: Layers) -> str:
    filename, _line, function = key
    if filename == "~":
        method = BUILTIN_METHOD.fullmatch(function)
        return f"{method[2]}.{method[1]}" if method else function
    for prefix in (layers.spectree, *layers.pydantic, layers.webapp):
        if prefix and filename.startswith(prefix):
            filename = Path(prefix).name + "/" + filename[len(prefix) :]
            break
    return f"{filename}:{function}"


def profile(app: Flask, probe: Probe, requests: int) -> dict[Any, Any]:
    send = probe.sender(app)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        send()
    profiler.disable()
    return pstats.Stats(profiler).stats  # type: ignore[attr-defined]


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The JSON access log still formats and writes every line, into /dev/null."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def part_two(rounds: int, requests: int) -> None:
    layers = Layers()
    operations = os.path.join(layers.webapp, "api", "operations.py")
    present = [
        f"spectree {version_of('spectree')} installed" if layers.spectree else "spectree absent",
        "webapp/api/operations.py " + ("present" if os.path.exists(operations) else "absent"),
    ]
    print("Part 2 — Tally itself (create_app, migrated SQLite, rate limits off, logging on)")
    print(f"  webapp from {layers.webapp.rstrip(os.sep)}")
    print(f"  {'; '.join(present)}")
    print(f"  {rounds} rounds x {requests} requests per route, interleaved with the yardstick")
    with (
        tempfile.TemporaryDirectory(prefix="tally-validation-bench-") as workdir,
        quiet_stdout(),
    ):
        world = build_tally(workdir)
        adapter = world.app.url_map.bind("localhost")
        route_layers = {}
        for probe in world.probes:
            endpoint, _ = adapter.match(probe.path.partition("?")[0], method=probe.method)
            route_layers[probe.label] = layers.route_layer(world.app.view_functions[endpoint])
        jobs: dict[str, Job] = {probe.label: (world.app, probe) for probe in world.probes}
        jobs[YARDSTICK] = (bare_app(), CANDIDATE_PROBES[0])
        samples = measure(jobs, rounds, requests)
        profiled = max(50, rounds * requests // 5)
        splits = {p.label: shares(profile(world.app, p, profiled), layers) for p in world.probes}

    print()
    print(f"  {'route':44}{'layer':>12}{'µs':>9}{'x (a)':>8}")
    for label in jobs:
        mine = samples[label]
        layer = route_layers.get(label, "none")
        print(
            f"  {label:44}{layer:>12}{statistics.median(mine) * 1e6:9.0f}"
            f"{ratio_to(mine, samples[YARDSTICK]):8.2f}"
        )
    print()
    yardstick_us = statistics.median(samples[YARDSTICK]) * 1e6
    print(
        f"  {'profile (cProfile)':44}{'cum.':>6}{'own':>6}{'+pyd':>6}{'=val.':>7}"
        f"{'≈ µs':>7}{'in (a)':>8}"
    )
    for probe in world.probes:
        split, median_us = splits[probe.label], statistics.median(samples[probe.label]) * 1e6
        validation_us = median_us * split.validation / split.run_total
        print(
            f"  {probe.label:44}"
            + "".join(
                f"{part / split.app_total:6.0%}"
                for part in (split.inclusive, split.own, split.pydantic_in_app)
            )
            + f"{split.validation / split.app_total:7.0%}"
            + f"{validation_us:7.0f}{validation_us / yardstick_us:8.2f}"
        )
    print()
    for line in PART_TWO_LEGEND:
        print(f"  {line}")
    print()
    print("  heaviest self times in the layer and in pydantic (share of Flask.wsgi_app):")
    for probe in world.probes:
        print(f"    {probe.label}")
        for name, share in splits[probe.label].top:
            print(f"      {share:4.0%}  {name}")
    print()


YARDSTICK = "yardstick: (a) bare Flask, GET /products"
PART_TWO_LEGEND = (
    "µs: median per request through app.wsgi_app; x (a): the per-round ratio to the yardstick,",
    "  the bare app of part 1 timed in the same rounds (compare runs by it, not by µs).",
    "Shares are cProfile's, of the time inside Flask.wsgi_app, for the same requests:",
    "cum.: cumulative time in the layer's frames — spectree or webapp/api/operations.py, with",
    "  webapp/api/validation.py and schemas/ — the view they wrap included (a profiler's",
    "  cumulative column); own: that minus the app code the layer calls (view, auth, envelope);",
    "+pyd: pydantic validate/dump called from app code (the views); =val.: own + pyd, what the",
    "  validation layer costs; ≈ µs: =val. as a share of the request x its median µs; in (a):",
    "  that in yardstick requests, the figure to compare between a before and an after run.",
    "cProfile weighs code made of many small Python calls (as spectree's is) more than the",
    "  rest: read ≈ µs as an upper bound; part 1's +µs are the direct, unprofiled figures.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="rounds per route")
    parser.add_argument(
        "--requests", type=int, default=DEFAULT_REQUESTS, help="requests per route per round"
    )
    parser.add_argument(
        "--part", choices=("all", "candidates", "tally"), default="all", help="what to run"
    )
    parser.add_argument(
        "--clock",
        choices=tuple(CLOCKS),
        default="cpu",
        help="cpu: this thread's CPU time (default); wall: perf_counter",
    )
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    versions = ", ".join(
        f"{name} {version_of(name) or '—'}"
        for name in ("flask", "pydantic", "spectree", "flask-openapi3", "apiflask")
    )
    print(f"validation_cost: Python {platform.python_version()}; {versions}")
    print(f"clock: {args.clock} ({'thread CPU time' if args.clock == 'cpu' else 'perf_counter'})")
    print()
    started = time.perf_counter()
    if args.part in ("all", "candidates"):
        part_one(args.rounds, args.requests)
    if args.part in ("all", "tally"):
        part_two(args.rounds, args.requests)
    print(f"whole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
