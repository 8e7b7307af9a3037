"""The task queue: huey, on SQLite or Redis, bound to one app.

A service declares its background work with a decorator and asks for it by name:

    @task_queue.task("mail.send")
    def send_queued(mail_id: int) -> None: ...

    @task_queue.periodic_task("mail.sweep", crontab(), at_start=True)  # every minute
    def sweep() -> None: ...

    uow.on_commit(lambda: task_queue.enqueue("mail.send", mail_id))

`init_app` builds the app's Huey from TASK_QUEUE_URL (`sqlite:///<path>` → SqliteHuey,
`redis://…` → RedisHuey) and registers every declared task on it, each run inside the app's
context. With TASK_QUEUE_IMMEDIATE (the tests) huey runs a task as it is enqueued, in the
caller, and keeps delayed ones in memory. `enqueue` never raises: a queue that is down is
logged, and the work stays in its table for the periodic sweep. `flask worker` runs one
consumer (`consumer(app)`), with the periodic tasks; those declared `at_start` are queued
as it starts too, so that what a crash left behind goes at once, not at the next minute.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer
from redis import ConnectionPool

log = logging.getLogger(__name__)

EXTENSION = "task_queue"
QUEUE_NAME = "tally"
# A Redis that is down costs an enqueue a second at most; a blocking read waits READ_TIMEOUT.
REDIS_CONNECT_TIMEOUT = 1
REDIS_SOCKET_TIMEOUT = 2
REDIS_READ_TIMEOUT = 1
# How long an idle consumer on SQLite waits between two looks at the queue, at most.
SQLITE_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class _Declared:
    name: str
    function: Callable[..., Any]
    schedule: Callable[[Any], bool] | None  # a crontab for a periodic task
    retries: int
    at_start: bool = False  # a periodic task queued as a consumer starts, too


_DECLARED: dict[str, _Declared] = {}


def task(name: str, *, retries: int = 0) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare `name`: a function a worker runs when it is enqueued."""
    return _declare(name, schedule=None, retries=retries)


def periodic_task(
    name: str, schedule: Callable[[Any], bool], *, at_start: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare `name`: a function every consumer enqueues when `schedule` (a crontab) says,
    and as it starts when `at_start`."""
    return _declare(name, schedule=schedule, retries=0, at_start=at_start)


def _declare(
    name: str, *, schedule: Callable[[Any], bool] | None, retries: int, at_start: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        _DECLARED[name] = _Declared(name, function, schedule, retries, at_start)
        return function

    return register


def build_huey(url: str, *, immediate: bool = False) -> Huey:
    """A Huey on `url`: `sqlite:///<path>` or `redis://…` (`rediss://`, `unix://` too)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        return SqliteHuey(QUEUE_NAME, filename=path, results=False, immediate=immediate)
    if scheme in {"redis", "rediss", "unix"}:
        pool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
        )
        return RedisHuey(
            QUEUE_NAME,
            connection_pool=pool,
            read_timeout=REDIS_READ_TIMEOUT,
            results=False,
            immediate=immediate,
        )
    raise ValueError(f"TASK_QUEUE_URL must be sqlite:///<path> or redis://…, got {url!r}")


@dataclass
class TaskQueue:
    """The app's Huey and its tasks by name."""

    huey: Huey
    tasks: dict[str, TaskWrapper]

    def waiting(self) -> int:
        """Tasks waiting for a worker: due now, or scheduled for later (a retry)."""
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())


def init_app(app: Flask) -> TaskQueue:
    huey = build_huey(app.config["TASK_QUEUE_URL"], immediate=app.config["TASK_QUEUE_IMMEDIATE"])
    tasks = {declared.name: _register(huey, app, declared) for declared in _DECLARED.values()}
    queue = TaskQueue(huey, tasks)
    app.extensions[EXTENSION] = queue
    return queue


def _register(huey: Huey, app: Flask, declared: _Declared) -> TaskWrapper:
    run = _in_app_context(app, declared.function)
    if declared.schedule is None:
        return huey.task(name=declared.name, retries=declared.retries)(run)
    return huey.periodic_task(declared.schedule, name=declared.name)(run)


def _in_app_context(app: Flask, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
            return function(*args, **kwargs)  # immediate mode: in the caller's context
        with app.app_context():
            return function(*args, **kwargs)

    return run


def queue_of(app: Flask | None = None) -> TaskQueue:
    target = app if app is not None else current_app
    queue: TaskQueue = target.extensions[EXTENSION]
    return queue


def enqueue(name: str, *args: Any, delay: float | None = None) -> bool:
    """Queue the task `name` (in `delay` seconds); False, logged, when the queue is down."""
    wrapper = queue_of().tasks[name]
    try:
        if delay:
            wrapper.schedule(args, delay=delay)
        else:
            wrapper(*args)
    except Exception as exc:  # Redis down, SQLite file locked: the sweep finds the work
        log.warning(
            "task not queued; its work stays for the periodic sweep",
            extra={"fields": {"task": name, "error": type(exc).__name__}},
        )
        return False
    return True


def waiting_or_none() -> int | None:
    """The app's tasks waiting (for /metrics), or None, logged, when the queue is down."""
    try:
        return queue_of().waiting()
    except Exception as exc:
        log.warning("task queue not read", extra={"fields": {"error": type(exc).__name__}})
        return None


def declared_periodic() -> list[str]:
    return sorted(d.name for d in _DECLARED.values() if d.schedule is not None)


def consumer(app: Flask, *, threads: int = 1) -> Consumer:
    """One consumer of the app's queue: `threads` workers and the periodic scheduler; the
    periodic tasks declared `at_start` are queued first."""
    with app.app_context():
        for declared in _DECLARED.values():
            if declared.at_start:
                enqueue(declared.name)
    return queue_of(app).huey.create_consumer(
        workers=threads,
        periodic=True,
        max_delay=SQLITE_POLL_SECONDS,
        check_worker_health=True,
    )
