"""Connections to PostgreSQL as production makes them: a pool sized from the environment, a
statement timeout, and no server-side prepared statements (which would break behind
PgBouncer in transaction mode). Runs in the PostgreSQL pass of `make test`."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from webapp.infra.engine_options import engine_options
from webapp.infra.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
URL = "postgresql+psycopg://tally@db.internal/tally"


def test_the_pool_and_the_timeout_come_from_the_environment():
    options = engine_options(
        URL, {"DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "2", "DB_STATEMENT_TIMEOUT_MS": "250"}
    )
    assert options["pool_size"] == 3 and options["max_overflow"] == 2
    assert options["pool_pre_ping"] is True
    assert options["connect_args"]["options"] == "-c statement_timeout=250"
    assert options["connect_args"]["prepare_threshold"] is None


def test_behind_pgbouncer_no_startup_option_is_sent():
    options = engine_options(URL, {"DB_BEHIND_PGBOUNCER": "true"})
    assert "options" not in options["connect_args"]
    assert options["connect_args"]["prepare_threshold"] is None


def test_sqlite_gets_none_of_it():
    assert engine_options("sqlite:///x.db", {"DB_POOL_SIZE": "3"}) == {"hide_parameters": True}


postgres_only = pytest.mark.skipif(
    TEST_DATABASE_URL is None, reason="needs TEST_DATABASE_URL (the PostgreSQL pass)"
)


@postgres_only
def test_a_statement_over_the_timeout_is_cancelled(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT_MS="200")
    with app.app_context():
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(2)"))
        db.session.rollback()
        assert db.session.execute(text("SELECT 1")).scalar() == 1


@postgres_only
def test_a_query_run_many_times_is_never_prepared_on_the_server(app):
    with app.app_context():
        for _ in range(20):
            db.session.execute(text("SELECT count(*) FROM users WHERE id > :id"), {"id": 0})
        prepared = db.session.execute(text("SELECT count(*) FROM pg_prepared_statements"))
        assert prepared.scalar() == 0
