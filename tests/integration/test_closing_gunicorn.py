"""Closing an account is felt by every worker at once: two gunicorn workers on PostgreSQL
and Redis each serve every credential of a member (an access token, a personal access token,
a browser session) until it is warm in the shared cache, the member closes the account, and
from the next request on each worker refuses each of them, and the refresh token too.

Which worker answered is read from the worker's own metrics file (counter_<pid>.db under
PROMETHEUS_MULTIPROC_DIR), counted per endpoint and status.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
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


@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a 302 is an answer to look at, not to follow


class Client:
    """A small HTTP client on the standard library: a cookie jar (a browser's session),
    no redirects followed, a new connection per request (any worker may take it)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirects())

    def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data, sent = None, {"Connection": "close", **(headers or {})}
        if json_body is not None:
            data, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            data = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        request = Request(f"{self.base}{path}", data=data, headers=sent, method=method)
        try:
            with self._opener.open(request, timeout=10) as response:
                return Answer(response.status, response.read().decode())
        except HTTPError as error:
            return Answer(error.code, error.read().decode())

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.send("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.send("POST", path, **kwargs)


def browser_session(base: str) -> Client:
    """A logged-in browser: the login form's CSRF token, then its POST."""
    browser = Client(base)
    form = BeautifulSoup(browser.get("/login").text, "html.parser")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    login = browser.post("/login", form={"csrf_token": token, "email": EMAIL, "password": PASSWORD})
    assert login.status == 302, login.text
    return browser


def test_every_old_credential_is_refused_on_every_worker_at_once(server):
    api = Client(server.base_url)
    register = {"email": EMAIL, "password": PASSWORD, "name": "Leaving"}
    assert api.post("/api/v1/auth/register", json_body=register).status == 201
    credentials = {"email": EMAIL, "password": PASSWORD}
    pair = api.post("/api/v1/auth/login", json_body=credentials).json()["data"]
    access = bearer(pair)
    body = {"name": "script", "scopes": ["read", "write"]}
    made = api.post("/api/v1/tokens", json_body=body, headers=access)
    personal = bearer(made.json()["data"]["token"])
    page = browser_session(server.base_url)

    def me() -> int:
        return api.get(ME, headers=access).status

    def accounts() -> int:
        return api.get(ACCOUNTS, headers=personal).status

    def settings() -> int:
        return page.get(SETTINGS).status

    for send, endpoint in ((me, ME), (accounts, ACCOUNTS), (settings, SETTINGS)):
        assert set(until_both_workers(server, send, endpoint, 200)) == {200}

    closed = api.post("/api/v1/users/me/close", json_body={"password": PASSWORD}, headers=access)
    assert closed.status == 204, closed.text

    assert set(until_both_workers(server, me, ME, 401)) == {401}
    assert set(until_both_workers(server, accounts, ACCOUNTS, 401)) == {401}
    assert set(until_both_workers(server, settings, SETTINGS, 302)) == {302}
    refresh = {"refreshToken": pair["refreshToken"]}
    assert api.post("/api/v1/auth/refresh", json_body=refresh).status == 401
    assert api.post("/api/v1/auth/login", json_body=credentials).status == 401
