"""The end-to-end harness: the app served by a real gunicorn on a free loopback port (a fresh
SQLite file, migrated, demo data seeded, mail written as .eml files) and Debian's Chromium
driven by Playwright.

Fixtures:
- `server` (session): `.url`, `.mail_dir`, `.flask(*args)` (the CLI on the same database).
- `browser` (session): the headless Chromium.
- `new_page(width=1280, height=900, javascript=True)`: a page in a context of its own; each
  page records `page.console_errors` and `page.outside_requests`.
- `login(page, email, password=DEMO_PASSWORD)`, `shot(page, name)`: plain functions (also
  fixtures of those names).

Test modules import from this module as `e2e_harness` (`from e2e_harness import login,
shot, NewPage, Server`): every conftest without a package is named "conftest", so which one
`import conftest` finds depends on the order pytest loaded them in.

Run with `make e2e` (TALLY_E2E_SUITE=1). No browser is ever downloaded: Chromium comes from
Debian (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Request as PlaywrightRequest

from tests.support.gunicorn_server import (
    BIN,
    PROJECT_ROOT,
    GunicornServer,
    ServerFailed,
    clean_environment,
    free_port,
)

sys.modules.setdefault("e2e_harness", sys.modules[__name__])

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("TALLY_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "tally-demo-password"
ADMIN_EMAIL = "admin@example.com"
STARTUP_SECONDS = 30
TIMEOUT_MS = 10_000


@dataclass
class Server:
    """The running app: where it listens, where its mail goes, its CLI."""

    url: str
    mail_dir: Path
    env: dict[str, str]
    log_path: Path

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`flask <args>` on the server's database and configuration."""
        return subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def server_environment(tmp: Path, port: int) -> dict[str, str]:
    """A one-worker development server on a fresh SQLite file; nothing of the developer's own
    settings leaks in."""
    return clean_environment(
        TALLY_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp / 'tally.db'}",
        REDIS_URL="",  # set, so that a developer's .env cannot bring one in
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        MAIL_BACKEND="file",
        MAIL_FILE_PATH=str(tmp / "mail"),
        TASK_QUEUE_IMMEDIATE="true",  # the mail is on disk when the request returns
        PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"),
        LOG_LEVEL="WARNING",
        # Rate limits stay on (the pages that show them are real), but every browser here
        # comes from 127.0.0.1: many logins and registrations a minute are the suite, not
        # an attack.
        LOGIN_RATE_LIMIT="1000/minute",
        REGISTER_RATE_LIMIT="1000/minute",
        PASSWORD_RESET_RATE_LIMIT="1000/hour",
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("e2e-server")
    port = free_port()
    env = server_environment(tmp, port)
    (tmp / "mail").mkdir()
    running = Server(
        url=f"http://127.0.0.1:{port}",
        mail_dir=tmp / "mail",
        env=env,
        log_path=tmp / "gunicorn.log",
    )
    running.flask("db", "upgrade")
    running.flask("seed-demo")

    gunicorn = GunicornServer(env, running.log_path, port=port)
    try:
        gunicorn.start(timeout=STARTUP_SECONDS)
    except ServerFailed as failure:
        pytest.fail(str(failure))
    try:
        yield running
    finally:
        gunicorn.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (never download one)")
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


class NewPage(Protocol):
    def __call__(self, width: int = 1280, height: int = 900, javascript: bool = True) -> Page: ...


@dataclass
class PageWatch:
    """What a page did that a person would not see: console errors, requests elsewhere."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Error) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def on_request(self, request: PlaywrightRequest) -> None:
        url = request.url
        own = url == self.origin or url.startswith(self.origin + "/")
        if not own and not url.startswith(("data:", "about:", "blob:")):
            self.outside_requests.append(url)


@pytest.fixture
def new_page(browser: Browser, server: Server) -> Iterator[NewPage]:
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900, javascript: bool = True) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            base_url=server.url,
            locale="en-GB",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(origin=server.url)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        page.on("request", watch.on_request)
        page.console_errors = watch.console_errors  # type: ignore[attr-defined]
        page.outside_requests = watch.outside_requests  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def submit_login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Send the /login form; returns once the page it leads to has loaded, whatever it is."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through /login; returns once the page after the login has loaded."""
    submit_login(page, email, password)
    assert "/login" not in page.url.split("?")[0] or "/login/verify" in page.url, (
        f"login as {email} failed: still on {page.url}"
    )


def shot(page: Page, name: str) -> Path:
    """Save tests/e2e/artifacts/<name>.png (the full page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    return login


@pytest.fixture(name="shot")
def shot_fixture() -> Callable[[Page, str], Path]:
    return shot
