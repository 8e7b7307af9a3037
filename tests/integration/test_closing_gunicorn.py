"""Closing an account is felt by every worker at once: two gunicorn workers on PostgreSQL
and Redis each serve every credential of a member (an access token, a personal access token,
a browser session) until it is warm in the shared cache, the member closes the account, and
from the next request on each worker refuses each of them, and the refresh token too.

Which worker answered is read from the worker's own metrics file (counter_<pid>.db under
PROMETHEUS_MULTIPROC_DIR), counted per endpoint and status.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support.clients import PASSWORD, bearer
from tests.support.gunicorn_server import (
    BIN,
    PROJECT_ROOT,
    GunicornServer,
    clean_environment,
    running_gunicorn,
)

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="needs TEST_DATABASE_URL and TEST_REDIS_URL: two workers share their cache only"
    " through Redis (the PostgreSQL pass)",
)

EMAIL = "leaving@example.com"
ROUNDS = 3  # each worker serves each credential at least this often, before and after
CLIENTS = 4  # concurrent connections, more than the workers: both take some
DEADLINE_SECONDS = 30
# One endpoint per credential, so that the metrics tell them apart.
ME, ACCOUNTS, SETTINGS = "/api/v1/users/me", "/api/v1/accounts", "/settings"


@pytest.fixture
def server(app, tmp_path: Path) -> Iterator[GunicornServer]:
    """Two sync workers over the suite's (emptied) PostgreSQL database and Redis."""
    env = clean_environment(
        TALLY_ENV="development",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=TEST_REDIS_URL or "",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        MAIL_FILE_PATH=str(tmp_path / "mail"),
        RATELIMIT_DEFAULT="10000 per minute",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        LOG_LEVEL="WARNING",
    )
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True, timeout=120
    )
    with running_gunicorn(env, tmp_path / "gunicorn.log", health_path="/readyz") as running:
        yield running


def served(server: GunicornServer) -> dict[str, Counter[tuple[str, str]]]:
    """Per worker pid: how many answers of each (endpoint, status) it gave."""
    counts: dict[str, Counter[tuple[str, str]]] = {}
    metrics_dir = server.env["PROMETHEUS_MULTIPROC_DIR"]
    for path in glob.glob(os.path.join(metrics_dir, "counter_*.db")):
        pid = re.fullmatch(r"counter_(\d+)\.db", os.path.basename(path)).group(1)
        counts[pid] = Counter()
        for family in MultiProcessCollector.merge([path]):
            for sample in family.samples:
                if sample.name == "tally_http_requests_total":
                    key = (sample.labels["endpoint"], sample.labels["status"])
                    counts[pid][key] += int(sample.value)
    return counts


def until_both_workers(
    server: GunicornServer, send: Callable[[], int], endpoint: str, status: int
) -> list[int]:
    """Send (on new connections) until each of the two workers answered `endpoint` with
    `status` ROUNDS times more than before; returns every status seen meanwhile."""
    key = (endpoint, str(status))
    before = {pid: counts[key] for pid, counts in served(server).items()}
    seen: list[int] = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        while time.monotonic() < deadline:
            seen += clients.map(lambda _: send(), range(CLIENTS))
            now = served(server)
            grown = [c[key] - before.get(pid, 0) >= ROUNDS for pid, c in now.items()]
            if len(grown) == 2 and all(grown):
                return seen
    pytest.fail(f"the two workers did not both answer {endpoint} {status} in time: {seen}")


def browser_session(base: str) -> requests.Session:
    """A logged-in browser: the login form's CSRF token, then its POST."""
    browser = requests.Session()
    form = BeautifulSoup(browser.get(f"{base}/login", timeout=10).text, "html.parser")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    login = browser.post(
        f"{base}/login",
        data={"csrf_token": token, "email": EMAIL, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302, login.text
    return browser


def test_every_old_credential_is_refused_on_every_worker_at_once(server):
    base = server.base_url
    api = requests.Session()
    api.headers["Connection"] = "close"  # a new connection each time: any worker may take it
    register = {"email": EMAIL, "password": PASSWORD, "name": "Leaving"}
    assert api.post(f"{base}/api/v1/auth/register", json=register, timeout=10).status_code == 201
    credentials = {"email": EMAIL, "password": PASSWORD}
    pair = api.post(f"{base}/api/v1/auth/login", json=credentials, timeout=10).json()["data"]
    access = bearer(pair)
    body = {"name": "script", "scopes": ["read", "write"]}
    made = api.post(f"{base}/api/v1/tokens", json=body, headers=access, timeout=10)
    personal = bearer(made.json()["data"]["token"])
    page = browser_session(base)
    page.headers["Connection"] = "close"

    def me() -> int:
        return api.get(f"{base}{ME}", headers=access, timeout=10).status_code

    def accounts() -> int:
        return api.get(f"{base}{ACCOUNTS}", headers=personal, timeout=10).status_code

    def settings() -> int:
        return page.get(f"{base}{SETTINGS}", allow_redirects=False, timeout=10).status_code

    for send, endpoint in ((me, ME), (accounts, ACCOUNTS), (settings, SETTINGS)):
        assert set(until_both_workers(server, send, endpoint, 200)) == {200}

    closed = api.post(
        f"{base}/api/v1/users/me/close", json={"password": PASSWORD}, headers=access, timeout=10
    )
    assert closed.status_code == 204, closed.text

    assert set(until_both_workers(server, me, ME, 401)) == {401}
    assert set(until_both_workers(server, accounts, ACCOUNTS, 401)) == {401}
    assert set(until_both_workers(server, settings, SETTINGS, 302)) == {302}
    refresh = {"refreshToken": pair["refreshToken"]}
    assert api.post(f"{base}/api/v1/auth/refresh", json=refresh, timeout=10).status_code == 401
    assert api.post(f"{base}/api/v1/auth/login", json=credentials, timeout=10).status_code == 401
