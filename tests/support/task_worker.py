"""A real consumer of the task queue for tests: huey's own, in threads of the test process
(`running_worker`) or as `flask worker` in a process of its own (`worker_process`).

    app = make_smtp_app(**queue_settings(tmp_path))   # a real queue, not immediate mode
    with running_worker(app):
        ...                                            # the worker sends what is queued

`queue_settings` puts the queue in Redis when the suite runs on it (TEST_REDIS_URL, emptied
by the `app` fixture), else in a SQLite file of the test's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from tests.support.gunicorn_server import clean_environment
from webapp.infra import task_queue

ROOT = Path(__file__).resolve().parents[2]


def queue_settings(tmp_path: Path) -> dict[str, str]:
    """Settings of an app whose tasks wait for a worker."""
    redis_url = os.environ.get("TEST_REDIS_URL")
    url = redis_url or f"sqlite:///{tmp_path / 'tasks.db'}"
    return {"TASK_QUEUE_IMMEDIATE": "false", "TASK_QUEUE_URL": url}


@contextmanager
def running_worker(app: Flask, threads: int = 1) -> Iterator[None]:
    """`flask worker`'s consumer for `app`, in threads of this process (its signal handlers
    are the test runner's to keep); stopped once its tasks end."""
    consumer = task_queue.consumer(app, threads=threads)
    consumer._set_signal_handlers = lambda: None  # type: ignore[method-assign]
    consumer.start()
    try:
        yield
    finally:
        consumer.stop(graceful=True)


def worker_process(log_path: Path, **settings: str) -> subprocess.Popen[bytes]:
    """`flask worker` in a process of its own, on the testing configuration with `settings`;
    its output goes to `log_path`."""
    env = clean_environment(TALLY_ENV="testing", FLASK_APP="wsgi", **settings)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
