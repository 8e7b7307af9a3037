"""SQLite connection settings for the embedded mode.

pysqlite's own transaction handling starts transactions late and cannot take the
write lock up front, so we switch it off and emit BEGIN ourselves (the recipe from
SQLAlchemy's SQLite dialect docs). A unit of work that will write money asks for
`BEGIN IMMEDIATE` through the `sqlite_begin_immediate` execution option, so two writers
queue on the busy timeout instead of failing halfway.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
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


# Writers of one SQLite file take turns through an OS file lock, taken before BEGIN
# IMMEDIATE: a waiting writer wakes the moment the lock is free, where SQLite's busy
# handler sleeps and polls (1, 2, 5, 10 … ms), which costs a busy two-worker server more
# time asleep than the writes take. A thread lock orders the threads of one process (a
# file lock does not tell them apart); each process opens the file itself (after a fork
# too), since processes that share one open file share its lock.
_turns_in_process = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}


def take_writer_turn(engine: Engine) -> Callable[[], None] | None:
    """Wait for this database's writer turn; returns the function that ends it, or None
    for a database that needs no turns (PostgreSQL, an in-memory SQLite)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = os.path.abspath(f"{url.database}-writer.lock")
    _turns_in_process.acquire()
    try:
        key = (os.getpid(), path)
        descriptor = _lock_files.get(key)
        if descriptor is None:
            descriptor = _lock_files[key] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError:
        # No lock file where the database should be: SQLite's own locking still holds,
        # and opening the database will say what is wrong (a 503, not this).
        _turns_in_process.release()
        return None
    except BaseException:
        _turns_in_process.release()
        raise

    def end_turn() -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        _turns_in_process.release()

    return end_turn
