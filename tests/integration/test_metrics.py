"""GET /metrics: the counters move after requests (2xx, 404, 429 on the API and a page),
cache reads and business events; routes are labelled by their rule, never the raw path;
the histogram observes; METRICS_TOKEN keeps the exposition to whoever holds it.

The counters belong to the process, so each test reads them before and after it acts.
"""

from __future__ import annotations

import secrets

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.gunicorn_server import free_port
from tests.support.task_worker import queue_settings
from webapp import create_app
from webapp.infra.metrics import UNMATCHED_ENDPOINT, observed_totals
from webapp.infra.settings import ProductionConfig

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client, headers=None) -> tuple[str, Samples]:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class Meter:
    """The exposition before and after a test's actions: `meter.moved(name, **labels)`."""

    def __init__(self, client) -> None:
        self.client = client
        _, self.before = scrape(client)
        self.after: Samples = {}
        self.text = ""

    def read(self) -> Meter:
        self.text, self.after = scrape(self.client)
        return self

    def moved(self, name: str, **labels: str) -> float:
        return value(self.after, name, **labels) - value(self.before, name, **labels)


def requests_of(endpoint: str, status: int, method: str = "GET") -> dict[str, str]:
    return {"endpoint": endpoint, "method": method, "status": str(status)}


def test_metrics_is_prometheus_text_outside_the_envelope(client):
    text, samples = scrape(client)
    assert not text.lstrip().startswith("{")
    assert "# TYPE tally_http_requests_total counter" in text
    assert "# TYPE tally_http_request_duration_seconds histogram" in text
    for name in (
        "tally_cache_hits_total",
        "tally_cache_misses_total",
        "tally_rate_limited_total",
        "tally_orders_placed_total",
        "tally_transfers_total",
        "tally_refunds_total",
    ):
        assert (name, frozenset()) in samples, name
    for outcome in ("ok", "failed"):
        assert ("tally_logins_total", frozenset({("outcome", outcome)})) in samples


def test_a_2xx_is_counted_under_its_rule_and_timed(client):
    meter = Meter(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/products/12345").status_code == 404  # a matched rule, a 404
    meter.read()
    assert meter.moved("tally_http_requests_total", **requests_of("/healthz", 200)) == 3
    rule = "/api/v1/products/<id:product_id>"
    assert meter.moved("tally_http_requests_total", **requests_of(rule, 404)) == 1
    assert "/api/v1/products/12345" not in meter.text
    timed = {"endpoint": "/healthz", "method": "GET"}
    assert meter.moved("tally_http_request_duration_seconds_count", **timed) == 3
    assert meter.moved("tally_http_request_duration_seconds_bucket", **timed, le="+Inf") == 3
    assert meter.moved("tally_http_request_duration_seconds_sum", **timed) > 0


def test_an_unmatched_path_is_counted_under_one_label_never_its_own(client):
    meter = Meter(client)
    assert client.get("/api/v1/no-such/12345").status_code == 404
    assert client.get("/no-such-page/67890").status_code == 404
    meter.read()
    unmatched = requests_of(UNMATCHED_ENDPOINT, 404)
    assert meter.moved("tally_http_requests_total", **unmatched) == 2
    assert "/api/v1/no-such/12345" not in meter.text
    assert "no-such-page" not in meter.text


def test_an_unknown_method_is_counted_as_other(client):
    meter = Meter(client)
    assert client.open("/healthz", method="BREW").status_code == 405
    meter.read()
    assert meter.moved("tally_http_requests_total", **requests_of("<unmatched>", 405, "OTHER"))
    assert "BREW" not in meter.text


def test_every_429_is_counted_on_the_api_and_on_a_page(make_app):
    app = make_app(RATELIMIT_DEFAULT="2/minute", LOGIN_RATE_LIMIT="2/hour")
    client = app.test_client()
    meter = Meter(client)
    totals = observed_totals()
    for _ in range(2):
        assert client.get("/api/v1/users/me").status_code == 401
    assert_error(client.get("/api/v1/users/me"), 429, "RATE_LIMITED")
    wrong = {"email": "nobody@example.com", "password": "not-the-password"}
    remote = {"REMOTE_ADDR": "10.9.0.1"}
    for _ in range(2):
        assert client.post("/login", data=wrong, environ_base=remote).status_code == 200
    page = client.post("/login", data=wrong, environ_base=remote)
    assert page.status_code == 429 and page.mimetype == "text/html"
    meter.read()
    assert meter.moved("tally_rate_limited_total") == 2
    assert meter.moved("tally_http_requests_total", **requests_of("/api/v1/users/me", 429)) == 1
    assert meter.moved("tally_http_requests_total", **requests_of("/login", 429, "POST")) == 1
    assert observed_totals().rate_limited - totals.rate_limited == 2
    # The scraper is never limited, however often it asks.
    for _ in range(5):
        scrape(client)


def test_cache_hits_and_misses_are_counted(client, admin):
    product = assert_success(
        client.post(
            "/api/v1/products",
            json={"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5},
            headers=admin,
        ),
        201,
    )
    meter = Meter(client)
    totals = observed_totals()
    client.get(f"/api/v1/products/{product['id']}")  # cold: a miss
    client.get(f"/api/v1/products/{product['id']}")  # warm: a hit
    meter.read()
    hits, misses = meter.moved("tally_cache_hits_total"), meter.moved("tally_cache_misses_total")
    assert hits >= 1 and misses >= 1
    now = observed_totals()
    assert (now.cache_hits - totals.cache_hits, now.cache_misses - totals.cache_misses) == (
        hits,
        misses,
    )


@pytest.fixture
def buyer(register, login):
    register("buyer@example.com", "Buyer")
    return bearer(login("buyer@example.com"))


def main_account_id(client, headers) -> int:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]


def test_orders_transfers_and_refunds_are_counted_once_committed(
    client, admin, buyer, register, login
):
    account = main_account_id(client, buyer)
    deposit = {"amount": 100_00}
    assert (
        client.post(f"/api/v1/accounts/{account}/deposits", json=deposit, headers=admin)
    ).status_code == 201
    mug = assert_success(
        client.post(
            "/api/v1/products",
            json={"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5},
            headers=admin,
        ),
        201,
    )
    register("friend@example.com", "Friend")
    friend = bearer(login("friend@example.com"))
    friends_account = main_account_id(client, friend)
    meter = Meter(client)

    lines = {"accountId": account, "items": [{"productId": mug["id"], "quantity": 1}]}
    placed = assert_success(client.post("/api/v1/orders", json=lines, headers=buyer), 201)
    too_many = lines | {"items": [{"productId": mug["id"], "quantity": 99}]}
    assert_error(client.post("/api/v1/orders", json=too_many, headers=buyer), 422, "OUT_OF_STOCK")
    assert_success(client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=buyer))
    transfer = {"fromAccountId": account, "toAccountId": friends_account, "amount": 5_00}
    assert_success(client.post("/api/v1/transfers", json=transfer, headers=buyer), 201)
    too_much = transfer | {"amount": 10_000_00}
    refused = client.post("/api/v1/transfers", json=too_much, headers=buyer)
    assert_error(refused, 422, "INSUFFICIENT_FUNDS")

    meter.read()
    assert meter.moved("tally_orders_placed_total") == 1  # the refused order is not counted
    assert meter.moved("tally_refunds_total") == 1
    assert meter.moved("tally_transfers_total") == 1  # nor the refused transfer


def test_logins_are_counted_by_outcome(client, register):
    register("member@example.com")
    meter = Meter(client)
    good = {"email": "member@example.com", "password": PASSWORD}
    bad = {"email": "member@example.com", "password": "not-the-password"}
    assert client.post("/api/v1/auth/login", json=good).status_code == 200
    assert client.post("/api/v1/auth/login", json=bad).status_code == 401
    page = client.post("/login", data=bad)
    assert page.status_code == 200  # the form again, with its error
    meter.read()
    assert meter.moved("tally_logins_total", outcome="ok") == 1
    assert meter.moved("tally_logins_total", outcome="failed") == 2


TOKEN = secrets.token_urlsafe(32)


def test_with_a_token_metrics_answers_only_its_bearer(make_app):
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    unknown = client.get("/no-such-page")
    for headers in (
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ):
        refused = client.get("/metrics", headers=headers)
        # Indistinguishable from a path that does not exist.
        assert refused.status_code == 404
        assert refused.get_data() == unknown.get_data()
        assert "tally_" not in refused.get_data(as_text=True)
    text, _ = scrape(client, {"Authorization": f"Bearer {TOKEN}"})
    assert "tally_http_requests_total" in text


def production_app(database_url: str, **environ: str):
    return create_app(
        ProductionConfig(
            {
                "TALLY_ENV": "production",
                "MAIL_SERVER": "127.0.0.1",
                "PUBLIC_URL": "https://tally.example.com",
                "DATABASE_URL": database_url,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "JWT_SECRET_KEY": secrets.token_urlsafe(48),
                **environ,
            }
        )
    )


def test_production_serves_metrics_only_with_a_token(migrated_database):
    closed = production_app(migrated_database).test_client()
    assert closed.get("/metrics").status_code == 404
    assert closed.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404

    token = secrets.token_urlsafe(48)
    opened = production_app(migrated_database, METRICS_TOKEN=token).test_client()
    assert opened.get("/metrics").status_code == 404
    assert scrape(opened, {"Authorization": f"Bearer {token}"})[0]


def test_tasks_waiting_are_read_at_scrape_time(make_app, tmp_path):
    app = make_app(**queue_settings(tmp_path))
    client = app.test_client()
    assert value(scrape(client)[1], "tally_tasks_queued") == 0
    for email in ("one@example.com", "two@example.com"):
        body = {"email": email, "password": PASSWORD, "name": "Member"}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
    text, samples = scrape(client)
    assert "# TYPE tally_tasks_queued gauge" in text
    assert value(samples, "tally_tasks_queued") == 2  # one mail each, no worker yet


def test_a_queue_that_is_down_leaves_the_gauge_out(make_app):
    app = make_app(TASK_QUEUE_IMMEDIATE="false", TASK_QUEUE_URL=f"redis://127.0.0.1:{free_port()}")
    text, _ = scrape(app.test_client())
    assert "tally_tasks_queued" not in text and "tally_http_requests_total" in text
