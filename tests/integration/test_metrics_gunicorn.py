"""The counts add up across gunicorn workers: two sync workers serve N requests between
them, and one scrape of /metrics counts exactly N; the directory left by an earlier run
is emptied when gunicorn starts.

A real gunicorn on a free loopback port, with its own SQLite file and metrics directory;
every request has a timeout and the server is always stopped.
"""

from __future__ import annotations

import glob
import http.client
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gunicorn_server import (
    BIN,
    PROJECT_ROOT,
    GunicornServer,
    clean_environment,
    running_gunicorn,
)

REQUESTS = 60
CLIENTS = 4  # concurrent connections, more than the workers: both must take some
TOKEN = secrets.token_urlsafe(32)
HEALTHZ_200 = {"endpoint": "/healthz", "method": "GET", "status": "200"}
STALE_COUNT = 1000
DEADLINE_SECONDS = 30


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """One request on a new connection (so any worker may take it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def healthz_200(samples_text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(samples_text)
        for sample in family.samples
        if sample.name == "tally_http_requests_total" and sample.labels == HEALTHZ_200
    )


def worker_counts(metrics_dir: Path) -> dict[str, float]:
    """Per worker pid, the /healthz 200s its own file holds."""
    counts = {}
    for path in glob.glob(str(metrics_dir / "counter_*.db")):
        pid = re.fullmatch(r"counter_(\d+)\.db", os.path.basename(path)).group(1)
        counts[pid] = sum(
            sample.value
            for family in MultiProcessCollector.merge([path])
            for sample in family.samples
            if sample.name == "tally_http_requests_total" and sample.labels == HEALTHZ_200
        )
    return counts


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a two-worker development server on a fresh SQLite file."""
    return clean_environment(
        TALLY_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        REDIS_URL="",  # set, so that a developer's .env cannot bring one in
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",  # sync workers: one request at a time each
        LOG_LEVEL="WARNING",
    )


def run(env: dict[str, str], *command: str) -> None:
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, timeout=120)


@pytest.fixture
def gunicorn(server_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[int, Path]]:
    run(server_env, str(BIN / "flask"), "db", "upgrade")
    # What an earlier run left: gunicorn must not add it to this one's counts.
    stale = (
        "from webapp.infra import metrics; "
        f"metrics.http_requests.labels(**{HEALTHZ_200!r}).inc({STALE_COUNT})"
    )
    run(server_env, sys.executable, "-c", stale)
    metrics_dir = Path(server_env["PROMETHEUS_MULTIPROC_DIR"])
    assert glob.glob(str(metrics_dir / "counter_*.db"))

    # /readyz, not the endpoint counted below.
    with running_gunicorn(server_env, tmp_path / "gunicorn.log", health_path="/readyz") as server:
        wait_until_both_workers_serve(server, metrics_dir)
        yield server.port, metrics_dir


def wait_until_both_workers_serve(server: GunicornServer, metrics_dir: Path) -> None:
    """Until two workers have their files in the metrics directory."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert server.running(), "gunicorn exited early"
        get(server.port, "/readyz")
        if len(glob.glob(str(metrics_dir / "counter_*.db"))) >= 2:
            return
        time.sleep(0.1)
    pytest.fail("gunicorn did not start two workers in time")


def test_two_workers_count_every_request_exactly_once_between_them(gunicorn):
    port, metrics_dir = gunicorn

    def send(_: int) -> int:
        return get(port, "/healthz")[0]

    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        statuses = list(clients.map(send, range(REQUESTS)))
    assert statuses == [200] * REQUESTS

    assert get(port, "/metrics")[0] == 404  # the token is set
    status, exposition = get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert healthz_200(exposition) == REQUESTS  # the stale file was emptied at start

    served = worker_counts(metrics_dir)
    assert sum(served.values()) == REQUESTS
    assert len([pid for pid, count in served.items() if count > 0]) == 2, served
