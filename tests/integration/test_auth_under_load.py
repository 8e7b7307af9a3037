"""Authentication under concurrency, rate limits and failure: the properties that only
show with several requests at once or with a service down."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.clients import PASSWORD, bearer
from tests.support.concurrency import run_in_threads
from tests.support.envelopes import assert_error, assert_success
from webapp.core.passwords import passwords
from webapp.infra.config import password_cost
from webapp.infra.extensions import cache, db
from webapp.models import User

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"


def test_a_warm_cache_authenticated_get_runs_no_sql(client, register, login, count_statements):
    register()
    tokens = login()
    assert client.get(ME, headers=bearer(tokens)).status_code == 200  # warms the cache
    with count_statements() as counter:
        response = client.get(ME, headers=bearer(tokens))
    assert response.status_code == 200
    assert counter.statements == []


def test_a_cold_cache_costs_a_bounded_number_of_statements(
    client, app, register, login, count_statements
):
    register()
    tokens = login()
    with app.app_context():
        cache.clear()
    with count_statements() as counter:
        assert client.get(ME, headers=bearer(tokens)).status_code == 200
    assert 1 <= counter.count <= 4  # user, roles, sessions (+ transaction control)


def test_twenty_parallel_refreshes_of_one_token_give_exactly_one_200(app, register, login):
    register()
    tokens = login()
    statuses: list[int] = []

    def refresh(_index: int) -> None:
        response = app.test_client().post(
            "/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
        )
        statuses.append(response.status_code)

    run_in_threads(20, refresh)
    assert sorted(statuses) == [200] + [401] * 19


def test_the_eleventh_login_in_a_minute_is_429_with_retry_after(client, register):
    register()
    for _ in range(10):
        client.post(LOGIN, json={"email": "member@example.com", "password": "wrong-password"})
    response = client.post(LOGIN, json={"email": "member@example.com", "password": PASSWORD})
    assert_error(response, 429, "RATE_LIMITED")
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Limit"] == "10"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.get_json()["error"]["details"] == {"limit": "10 per 1 minute"}


def test_login_is_limited_per_email_whatever_the_ip(make_app, register):
    app = make_app(TRUSTED_PROXIES="1")
    client = app.test_client()
    with app.app_context():
        from webapp.services.users.registration import RegistrationService

        RegistrationService().register(email="target@example.com", password=PASSWORD, name="T")
    for n in range(10):
        client.post(
            LOGIN,
            json={"email": "target@example.com", "password": f"guess-number-{n}"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
    response = client.post(
        LOGIN,
        json={"email": "TARGET@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.200"},
    )
    assert_error(response, 429, "RATE_LIMITED")
    other = client.post(
        LOGIN,
        json={"email": "someone@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.201"},
    )
    assert other.status_code == 401  # another email from another IP is not limited


def test_x_forwarded_for_is_not_trusted_by_default(client):
    for n in range(10):
        client.post(
            LOGIN,
            json={"email": f"u{n}@example.com", "password": "whatever-it-is"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
    response = client.post(
        LOGIN,
        json={"email": "fresh@example.com", "password": "whatever-it-is"},
        headers={"X-Forwarded-For": "198.51.100.99"},
    )
    assert_error(response, 429, "RATE_LIMITED")  # all of them came from one socket


def test_register_is_limited_per_ip(client):
    for n in range(10):
        client.post("/api/v1/auth/register", json={"email": f"r{n}@example.com"})
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "late@example.com", "password": PASSWORD, "name": "Late"},
    )
    assert_error(response, 429, "RATE_LIMITED")


def test_refresh_is_limited_per_ip(make_app):
    client = make_app(REFRESH_RATE_LIMIT="3/minute").test_client()
    for _ in range(3):
        client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
    response = client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
    assert_error(response, 429, "RATE_LIMITED")


def test_the_api_default_limit_counts_per_user_not_per_ip(make_app):
    app = make_app(RATELIMIT_DEFAULT="3/minute")
    client = app.test_client()
    with app.app_context():
        from webapp.services.users.registration import RegistrationService

        for email in ("one@example.com", "two@example.com"):
            RegistrationService().register(email=email, password=PASSWORD, name="U")
    one = client.post(LOGIN, json={"email": "one@example.com", "password": PASSWORD})
    two = client.post(LOGIN, json={"email": "two@example.com", "password": PASSWORD})
    one, two = one.get_json()["data"], two.get_json()["data"]
    for _ in range(3):
        assert client.get(ME, headers=bearer(one)).status_code == 200
    assert_error(client.get(ME, headers=bearer(one)), 429, "RATE_LIMITED")
    assert client.get(ME, headers=bearer(two)).status_code == 200  # same IP, other user


def test_requests_are_served_when_the_cache_backend_is_down(client, register, login, monkeypatch):
    register()
    tokens = login()

    def down(*_args, **_kwargs):
        raise ConnectionError("cache is down")

    for name in ("get", "set", "add"):
        monkeypatch.setattr(cache, name, down)
    assert assert_success(client.get(ME, headers=bearer(tokens)))["email"] == "member@example.com"
    assert client.patch(ME, json={"name": "Still works"}, headers=bearer(tokens)).status_code == 200


def test_login_rehashes_a_password_hashed_with_old_parameters(app, client, register):
    register()
    with app.app_context():
        old_hash = db.session.scalar(select(User.password_hash))
    app.config["ARGON2_TIME_COST"] = 2  # the operator raised the cost
    passwords.configure(password_cost(app.config))
    assert (
        client.post(LOGIN, json={"email": "member@example.com", "password": PASSWORD}).status_code
        == 200
    )
    with app.app_context():
        new_hash = db.session.scalar(select(User.password_hash))
    assert new_hash != old_hash
    assert ",t=2," in new_hash
    assert passwords.verify(new_hash, PASSWORD)


def test_parallel_registrations_of_one_email_create_one_user(app):
    statuses: list[int] = []

    def register(index: int) -> None:
        response = app.test_client().post(
            "/api/v1/auth/register",
            json={"email": "twin@example.com", "password": PASSWORD, "name": f"Twin {index}"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{index}"},  # past the per-IP limit
        )
        statuses.append(response.status_code)

    run_in_threads(8, register)

    assert sorted(statuses) == [201] + [409] * 7
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
