"""The deployment suite's stack, started once per way of reaching the database: straight to
PostgreSQL, and through PgBouncer in transaction mode. Needs the machine's PostgreSQL
(TEST_DATABASE_URL names the server), nginx, pgbouncer and redis-server; `make deploy-test`
runs it (and `.ci/run`)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url
from stack import Stack, running_stack

SERVER_URL = (
    os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def psql(url, sql: str) -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def stack(request, tmp_path_factory) -> Iterator[Stack]:
    url = make_url(SERVER_URL)
    database = f"tally_deploy_{int(time.time())}_{os.getpid()}_{request.param}"
    psql(url, f'CREATE DATABASE "{database}"')
    workdir = tmp_path_factory.mktemp(f"deploy-{request.param}")
    try:
        with running_stack(
            workdir,
            database,
            (url.host or "127.0.0.1", url.port or 5432),
            pgbouncer=request.param == "pgbouncer",
        ) as started:
            yield started
    finally:
        psql(url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
