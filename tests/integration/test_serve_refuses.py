"""`make serve` refuses, in one line and before any worker starts, what cannot serve
correctly: production without its secrets, a database it cannot reach, and several
workers without REDIS_URL (each would keep its own cache, limits and revoked sessions)."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from tests.support.gunicorn_server import (
    PROJECT_ROOT,
    clean_environment,
    free_port,
    gunicorn_command,
)
from webapp.infra.preflight import refusal


@pytest.fixture
def production(tmp_path) -> dict[str, str]:
    """A production environment that starts: secrets, mail settings, a SQLite file."""
    return clean_environment(
        TALLY_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        MAIL_SERVER="127.0.0.1",
        PUBLIC_URL="https://tally.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        REDIS_URL="",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="1",
    )


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        gunicorn_command(),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_valid_production_setup_has_nothing_to_refuse(production):
    assert refusal(1, production) is None
    production["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    assert refusal(4, production) is None


def test_two_workers_without_redis_are_refused_in_one_line(production):
    production["WEB_CONCURRENCY"] = "2"
    result = serve(production)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "refusing to start in production: 2 workers and no REDIS_URL; each worker would keep"
        " its own cache, rate limits and revoked sessions (a logout on one would not reach"
        " the others). Set REDIS_URL, or WEB_CONCURRENCY=1"
    ]
    assert "Booting worker" not in result.stdout


def test_missing_secrets_are_refused_in_one_line(production):
    del production["JWT_SECRET_KEY"]
    result = serve(production)
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("refusing to start in production:") and "JWT_SECRET_KEY" in line
    assert production["SECRET_KEY"] not in result.stderr + result.stdout


def test_an_unreachable_database_is_refused_in_one_line(production):
    production["DATABASE_URL"] = "postgresql+psycopg://tally:hunter2@127.0.0.1:1/tally"
    result = serve(production)
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("refusing to start: the database at postgresql+psycopg://tally:***@")
    assert "hunter2" not in result.stderr + result.stdout


def test_development_keeps_its_two_workers_without_redis(production):
    production.update(TALLY_ENV="development", WEB_CONCURRENCY="2")
    assert refusal(2, production) is None
