"""Fixtures that build the world: an app on a migrated database, clients, users, counters.

The suite runs on SQLite by default. With TEST_DATABASE_URL (and TEST_REDIS_URL) set it
runs on PostgreSQL (and Redis) instead; `make test` runs it both ways.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import event, inspect, text

from tests.support import (  # noqa: F401  (imported for what importing them does)
    answered_statuses,  # records each API answer's status for the last test
    hypothesis_profile,  # loads the suite's hypothesis settings
)
from tests.support.clients import PASSWORD, bearer
from webapp import create_app
from webapp.infra.extensions import db
from webapp.infra.settings import TestingConfig
from webapp.services.principal import Principal

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or None

# Suites that run on their own: the deployment one (nginx, two hosts, PgBouncer: `make
# deploy-test`) and the end-to-end one (a real browser: `make e2e`).
collect_ignore = [
    *([] if os.environ.get("TALLY_DEPLOY_SUITE") else ["deploy"]),
    *([] if os.environ.get("TALLY_E2E_SUITE") else ["e2e"]),
]


def testing_config(database_url: str, **environ: str) -> TestingConfig:
    """A TestingConfig from an explicit environment: the developer's own never leaks in."""
    env = {"TALLY_ENV": "testing", "DATABASE_URL": database_url}
    if TEST_REDIS_URL:
        env["REDIS_URL"] = TEST_REDIS_URL
    env.update(environ)
    return TestingConfig(env)


def reset_database(app: Flask) -> None:
    """Empty every table, children first, keeping the migrated schema; ids start at 1 again.

    On PostgreSQL, DELETE and a restart of each sequence cost a test about a third of
    TRUNCATE's time on tables this small (TRUNCATE replaces each table's files).
    """
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            if connection.dialect.name == "postgresql":
                for sequence in sequences(connection):
                    connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def sequences(connection: Any) -> list[str]:
    query = "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :schema"
    return list(connection.execute(text(query), {"schema": "public"}).scalars())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tally-test.db'}"


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """The test database, emptied of whatever an earlier run left and migrated to head."""
    app = create_app(testing_config(database_url))
    with app.app_context():
        with db.engine.begin() as connection:
            leftovers = inspect(connection).get_table_names()
            if leftovers and connection.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            elif leftovers:
                connection.execute(text("PRAGMA foreign_keys = OFF"))
                for table in leftovers:
                    connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def make_app(migrated_database: str) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with extra environment settings."""
    built: list[Flask] = []

    def build(**environ: str) -> Flask:
        app = create_app(testing_config(migrated_database, **environ))
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    reset_database(app)
    if TEST_REDIS_URL:
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def register(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Register a member through the API and return the `data` of the response."""

    def do_register(email: str = "member@example.com", name: str = "Member") -> dict[str, Any]:
        response = client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["data"]

    return do_register


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., dict[str, Any]]:
    """Log in through the API; returns the token pair (`accessToken`, `refreshToken`, …)."""

    def do_login(email: str = "member@example.com", password: str = PASSWORD) -> dict[str, Any]:
        response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["data"]

    return do_login


@pytest.fixture
def make_admin(app: Flask) -> Callable[..., int]:
    """Create an administrator through the service; returns the user id."""

    def create(email: str = "admin@example.com", name: str = "Admin") -> int:
        from webapp.services.users.registration import RegistrationService

        with app.app_context():
            outcome = RegistrationService().create_or_promote_admin(
                email=email, password=PASSWORD, name=name
            )
            return outcome.user.id

    return create


@pytest.fixture
def admin(make_admin: Callable[..., int], login: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """Bearer headers of a logged-in administrator (admin@example.com)."""
    make_admin("admin@example.com")
    return bearer(login("admin@example.com"))


@pytest.fixture
def alice(
    register: Callable[..., dict[str, Any]], login: Callable[..., dict[str, Any]]
) -> dict[str, str]:
    """Bearer headers of Alice (alice@example.com, named "Alice"), a logged-in member."""
    register("alice@example.com", "Alice")
    return bearer(login("alice@example.com"))


@pytest.fixture
def bob(
    register: Callable[..., dict[str, Any]], login: Callable[..., dict[str, Any]]
) -> dict[str, str]:
    """Bearer headers of Bob (bob@example.com, named "Bob"), a second logged-in member."""
    register("bob@example.com", "Bob")
    return bearer(login("bob@example.com"))


@pytest.fixture
def member(
    register: Callable[..., dict[str, Any]], login: Callable[..., dict[str, Any]]
) -> dict[str, str]:
    """Bearer headers of a logged-in member (member@example.com, no second factor): what
    `member` means in every test module (`registered_member` is the registration's data,
    `member_id` the user id, `member_principal` who acts in a service test)."""
    register("member@example.com")
    return bearer(login("member@example.com"))


@pytest.fixture
def member_principal(app: Flask) -> Principal:
    """The Principal a service test acts as: member@example.com, registered through the service."""
    from webapp.services.auth import AuthService
    from webapp.services.users.registration import RegistrationService

    with app.app_context():
        user = RegistrationService().register(
            email="member@example.com", password=PASSWORD, name="Member"
        )
        return AuthService().acting_as(user.id)


@pytest.fixture
def admin_principal(app: Flask, make_admin: Callable[..., int]) -> Principal:
    """The Principal a service test acts as when it needs an administrator (admin@example.com)."""
    from webapp.services.auth import AuthService

    with app.app_context():
        return AuthService().acting_as(make_admin())


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app: Flask) -> Callable[[], Any]:
    """`with count_statements() as counter:` records every SQL statement sent meanwhile."""

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()
        with app.app_context():
            engine = db.engine

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "last: run after every other test (it reads what they did)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def pytest_report_header() -> list[str]:
    backend = "PostgreSQL" if TEST_DATABASE_URL else "SQLite"
    cache = "Redis" if TEST_REDIS_URL else "in-process"
    return [f"tally: database {backend}, cache and rate limits {cache}"]
