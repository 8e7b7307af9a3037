"""SQLite connection settings for the embedded mode.

pysqlite's own transaction handling starts transactions late and cannot take the
write lock up front, so we switch it off and emit BEGIN ourselves (the recipe from
SQLAlchemy's SQLite dialect docs). A unit of work that will write money asks for
`BEGIN IMMEDIATE` through the `sqlite_begin_immediate` execution option, so two writers
queue on the busy timeout instead of failing halfway.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 10_000
BEGIN_IMMEDIATE_OPTION = "sqlite_begin_immediate"


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    immediate = connection.get_execution_options().get(BEGIN_IMMEDIATE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
