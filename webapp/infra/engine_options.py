"""SQLAlchemy engine options per database, with the PostgreSQL pool read from DB_*."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.infra.environment import EnvBool, EnvInt, EnvironmentSettings


class DatabasePool(EnvironmentSettings):
    """PostgreSQL's pool and statement timeout (SQLite has neither)."""

    DB_STATEMENT_TIMEOUT_MS: EnvInt = 10_000
    DB_BEHIND_PGBOUNCER: EnvBool = False
    DB_POOL_SIZE: EnvInt = 5
    DB_MAX_OVERFLOW: EnvInt = 10
    DB_POOL_TIMEOUT: EnvInt = 30


def engine_options(database_url: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Engine settings per backend: detect dead connections on PostgreSQL, fail fast.

    `hide_parameters`: a database error's message would otherwise carry the statement's
    values (a password hash, a token hash) into whatever logs it.

    PostgreSQL: a pool sized from the environment (each worker has its own: workers x
    (DB_POOL_SIZE + DB_MAX_OVERFLOW) must stay under the server's max_connections), a
    statement timeout, and no server-side prepared statements (psycopg prepares a query it
    has run five times on that connection; behind PgBouncer in transaction mode the next
    transaction may get another server connection, where it does not exist). The timeout
    is a startup option, which PgBouncer refuses: behind it (DB_BEHIND_PGBOUNCER=true),
    set it on the role instead (`ALTER ROLE tally SET statement_timeout = '10s'`).
    """
    options: dict[str, Any] = {"hide_parameters": True}
    if database_url.startswith("postgresql"):
        pool = DatabasePool(environ)
        connect_args: dict[str, Any] = {"connect_timeout": 5, "prepare_threshold": None}
        if pool.DB_STATEMENT_TIMEOUT_MS and not pool.DB_BEHIND_PGBOUNCER:
            connect_args["options"] = f"-c statement_timeout={pool.DB_STATEMENT_TIMEOUT_MS}"
        options.update(
            pool_pre_ping=True,
            pool_size=pool.DB_POOL_SIZE,
            max_overflow=pool.DB_MAX_OVERFLOW,
            pool_timeout=pool.DB_POOL_TIMEOUT,
            connect_args=connect_args,
        )
    return options
