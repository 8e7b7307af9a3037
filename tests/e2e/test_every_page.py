"""Every page of the contract, at a desktop size (1280x900) and a phone size (390x844), as the
person who would see it (a visitor, a member, an admin):

- the page itself never scrolls sideways (a wide table reflows on a phone, or scrolls
  inside a box of its own that says so);
- no console error and no uncaught script error;
- no request to any host but the app's (no CDN, no font service, no analytics);
- axe-core finds no "serious" or "critical" violation;
- at phone width, no table cell clips what it holds (or its table scrolls in a box that says
  so and that the keyboard reaches), every amount is whole and on the screen, and no date,
  time or amount breaks over two lines;
- in dark mode (`prefers-color-scheme: dark`, emulated on the same page) axe again finds
  nothing serious: colour contrast holds in both schemes.

Pages with an id in their path are reached the way a person reaches them: by following the
first matching link on the page that lists them (the demo data has one of each).
Each page is saved as tests/e2e/artifacts/page-<name>-<width>.png, and dark as
page-<name>-<width>-dark.png.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import ADMIN_EMAIL, DEMO_PASSWORD, NewPage, Server, login, shot
from playwright.sync_api import Page, Response
from test_account_security_flows import turn_on_second_factor
from test_member_flow import PASSWORD, fresh_email, register, submit

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
MEMBER_EMAIL = "alice@example.com"  # the demo member with an account history and an order
BLOCKING_IMPACTS = {"serious", "critical"}
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PHONE_WIDTH = SIZES["phone"][0]


@dataclass(frozen=True)
class ContractPage:
    """One page of the contract: who sees it, and how its path is found."""

    name: str
    path: str
    visitor: str | None = None  # the email to log in as; None for a visitor
    via: str | None = None  # a link on `path` to follow to reach the page
    then: str | None = None  # a link on that page to follow next (a confirmation page's)
    status: int = 200
    fill_cart: bool = False  # put two products in the cart first (a visitor's: the session's)

    def __str__(self) -> str:
        return self.name


PAGES = [
    ContractPage("landing", "/"),
    ContractPage("register", "/register"),
    ContractPage("login", "/login"),
    ContractPage("forgot-password", "/forgot-password"),
    ContractPage("not-found", "/no-such-page", status=404),
    ContractPage("forbidden", "/admin", MEMBER_EMAIL, status=403),
    ContractPage("dashboard", "/dashboard", MEMBER_EMAIL),
    ContractPage("account", "/dashboard", MEMBER_EMAIL, via="table.accounts a[href^='/accounts/']"),
    ContractPage("transfer", "/transfer", MEMBER_EMAIL),
    ContractPage("shop", "/shop", MEMBER_EMAIL),
    ContractPage("product", "/shop", MEMBER_EMAIL, via="main a[href^='/shop/']"),
    ContractPage("cart", "/cart", MEMBER_EMAIL),
    ContractPage("cart-with-items", "/cart", MEMBER_EMAIL, fill_cart=True),
    ContractPage("visitor-cart-with-items", "/cart", fill_cart=True),
    ContractPage("requests", "/requests", MEMBER_EMAIL),
    ContractPage("request-pay", "/requests", MEMBER_EMAIL, via="a[href$='/pay']"),
    ContractPage("orders", "/orders", MEMBER_EMAIL),
    ContractPage("order", "/orders", MEMBER_EMAIL, via="main a[href^='/orders/']"),
    ContractPage("settings", "/settings", MEMBER_EMAIL),
    ContractPage("settings-security", "/settings/security", MEMBER_EMAIL),
    ContractPage("settings-tokens", "/settings/tokens", MEMBER_EMAIL),
    ContractPage("settings-close", "/settings/close", MEMBER_EMAIL),
    ContractPage("admin", "/admin", ADMIN_EMAIL),
    ContractPage("admin-users", "/admin/users", ADMIN_EMAIL),
    ContractPage(
        "admin-user", "/admin/users", ADMIN_EMAIL, via="table.admin-users a[href^='/admin/users/']"
    ),
    ContractPage("admin-products", "/admin/products", ADMIN_EMAIL),
    ContractPage("admin-orders", "/admin/orders", ADMIN_EMAIL),
    ContractPage("admin-events", "/admin/events", ADMIN_EMAIL),
    # The one confirmation page before a destructive action, for each kind of target.
    ContractPage(
        "order-cancel-confirm",
        "/orders",
        MEMBER_EMAIL,
        via="main a[href^='/orders/']",
        then="a[href$='/cancel/confirm']",
    ),
    ContractPage(
        "request-decline-confirm",
        "/requests",
        MEMBER_EMAIL,
        via="a[href$='/decline/confirm']",
    ),
    ContractPage(
        "session-revoke-confirm", "/settings", MEMBER_EMAIL, via="a[href$='/revoke/confirm']"
    ),
    ContractPage(
        "logout-everywhere-confirm",
        "/settings",
        MEMBER_EMAIL,
        via="a[href='/settings/logout-everywhere/confirm']",
    ),
    ContractPage(
        "admin-user-deactivate-confirm",
        "/admin/users",
        ADMIN_EMAIL,
        via="table.admin-users a[href*='/deactivate/confirm']",
    ),
    ContractPage(
        "admin-product-archive-confirm",
        "/admin/products",
        ADMIN_EMAIL,
        via="a[href*='/archive/confirm']",
    ),
]


def open_contract_page(page: Page, target: ContractPage) -> str:
    """Log in if the page needs it, go there, and return the path that was shown."""
    if target.visitor:
        login(page, target.visitor)
    if target.fill_cart:
        add_products_to_cart(page, count=2)
    response = follow_links(page, target)
    assert response is not None
    assert response.status == target.status, f"{page.url} answered {response.status}"
    return re.sub(r"^https?://[^/]+", "", page.url)


def follow_links(page: Page, target: ContractPage) -> Response | None:
    """Go to the page's path, then follow its `via` and `then` links; the last answer."""
    response = page.goto(target.path)
    for via in (target.via, target.then):
        if via:
            link = page.locator(via).first
            assert link.count(), f"no link {via!r} on {page.url} to reach {target}"
            href = link.get_attribute("href")
            assert href, f"{via!r} on {page.url} has no href"
            response = page.goto(href)
    return response


def add_products_to_cart(page: Page, count: int) -> None:
    page.goto("/shop")
    hrefs = page.locator("main a[href^='/shop/']").evaluate_all("links => links.map(a => a.href)")
    assert len(hrefs) >= count, f"the shop lists {len(hrefs)} products"
    for href in hrefs[:count]:
        page.goto(href)
        with page.expect_navigation():
            page.get_by_role("button", name="Add to cart").click()


def horizontal_overflow(page: Page) -> dict[str, Any]:
    """How far the page is wider than the window, and the elements that stick out."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const sticking = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 0.5)
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, sticking};
        }"""
    )


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page. Evaluated through the driver, not as a <script> tag, so the
    app's CSP (script-src 'self') stays untouched and reports nothing."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(f"{' '.join(node['target'])} {node['html'][:80]}" for node in v["nodes"][:6])
        for v in violations
    )


CLIPPED_IN_TABLES = """() => {
    // A box that clips its content sideways: the table may be wider than it only when the
    // box says so (a visible scroll hint) and the keyboard can scroll it (a named region).
    const clipper = el => {
        for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if (overflow !== 'visible') return box;
        }
        return null;
    };
    const visible = el => el.getClientRects().length > 0
        && getComputedStyle(el).visibility !== 'hidden';
    const says_it_scrolls = box => box.getAttribute('role') === 'region'
        && box.tabIndex === 0
        && (box.hasAttribute('aria-label') || box.hasAttribute('aria-labelledby'))
        && [...box.querySelectorAll('.scroll-hint')].some(visible);
    const name = el => el.tagName.toLowerCase()
        + (typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
        + ' "' + el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
    // A visually hidden head or table (a 1px clipping box) is for screen readers only.
    const for_screen_readers = el => {
        for (let a = el; a && a !== document.body; a = a.parentElement) {
            const clips = getComputedStyle(a).overflow !== 'visible';
            if (clips && a.getBoundingClientRect().width <= 1) return true;
        }
        return false;
    };
    const problems = [];
    for (const cell of document.querySelectorAll('main td, main th')) {
        if (!visible(cell) || for_screen_readers(cell)) continue;
        if (cell.scrollWidth > cell.clientWidth + 1) {
            problems.push(`${name(cell)}: content ${cell.scrollWidth}px wide`
                + ` in a ${cell.clientWidth}px cell`);
            continue;
        }
        const box = clipper(cell);
        if (!box || says_it_scrolls(box)) continue;
        const inner = box.getBoundingClientRect();
        const left = inner.left + box.clientLeft, right = left + box.clientWidth;
        const r = cell.getBoundingClientRect();
        if (r.left < left - 1 || r.right > right + 1) {
            problems.push(`${name(cell)}: spans ${Math.round(r.left)}..${Math.round(r.right)}px`
                + ` but its ${name(box).split(' ')[0]} shows`
                + ` ${Math.round(left)}..${Math.round(right)}px`);
        }
    }
    return problems;
}"""

CUT_AMOUNTS = """() => {
    const width = window.innerWidth;
    const problems = [];
    const label = el => `"${el.innerText.trim()}"`;
    for (const amount of document.querySelectorAll('main .amount')) {
        if (amount.getClientRects().length === 0 || amount.closest('.visually-hidden')) continue;
        const r = amount.getBoundingClientRect();
        if (r.left < -0.5 || r.right > width + 0.5) {
            problems.push(`${label(amount)} lies at`
                + ` ${Math.round(r.left)}..${Math.round(r.right)}px of ${width}px`);
        }
        if (amount.scrollWidth > amount.clientWidth + 1) {
            problems.push(`${label(amount)} is cut:`
                + ` ${amount.scrollWidth}px of text in ${amount.clientWidth}px`);
        }
        const cell = amount.closest('td, th');
        if (cell && cell !== amount) {
            const c = cell.getBoundingClientRect();
            if (r.left < c.left - 1 || r.right > c.right + 1) {
                problems.push(`${label(amount)} sticks out of its cell`);
            }
        }
    }
    // A date, a time or an amount is read whole: never broken over two lines.
    for (const token of document.querySelectorAll('main time, main .amount')) {
        if (token.closest('.visually-hidden')) continue;
        const lines = new Set([...token.getClientRects()]
            .filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) problems.push(`${label(token)} breaks over ${lines.size} lines`);
    }
    return problems;
}"""


def check_tables_and_amounts(page: Page, path: str) -> None:
    """At phone width: no table cell clips what it holds (unless its table scrolls in a box
    that says so), every amount is whole and on the screen, and no date or amount breaks."""
    clipped = page.evaluate(CLIPPED_IN_TABLES)
    assert clipped == [], f"{path} at {PHONE_WIDTH}px clips table cells:\n" + "\n".join(clipped)
    cut = page.evaluate(CUT_AMOUNTS)
    assert cut == [], f"{path} at {PHONE_WIDTH}px cuts amounts or dates:\n" + "\n".join(cut)


def check_dark_mode(page: Page, name: str, path: str, width: int) -> None:
    """The same page with `prefers-color-scheme: dark`: saved, and axe finds nothing serious."""
    page.emulate_media(color_scheme="dark")
    try:
        shot(page, f"{name}-dark")
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
        assert blocking == [], f"axe on {path} at {width}px in dark mode:\n{describe(blocking)}"
    finally:
        page.emulate_media(color_scheme="light")


def check_page(page: Page, name: str, path: str, width: int, *, status: int = 200) -> None:
    """The contract's checks on the page shown, saved as <name>.png: it fits, it is quiet, it
    asks no other host for anything, axe finds nothing serious (an error page's own status is
    the one console line Chromium writes for it), tables and amounts are whole on a phone,
    and the same holds in dark mode."""
    page.wait_for_load_state("load")
    shot(page, name)
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], (
        f"{path} at {width}px scrolls sideways: the page is {overflow['scrollWidth']}px wide; "
        f"sticking out: {overflow['sticking']}"
    )
    errors = [
        message
        for message in page.console_errors  # type: ignore[attr-defined]
        if not (status >= 400 and f"status of {status}" in message)
    ]
    assert errors == [], f"{path} at {width}px logged console errors: {errors}"
    assert page.outside_requests == [], (  # type: ignore[attr-defined]
        f"{path} asked another host for: {page.outside_requests}"  # type: ignore[attr-defined]
    )
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], f"axe on {path} at {width}px:\n{describe(blocking)}"
    if width <= PHONE_WIDTH:
        check_tables_and_amounts(page, path)
    check_dark_mode(page, name, path, width)


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("target", PAGES, ids=str)
def test_every_page_fits_is_quiet_stays_home_and_passes_axe(
    new_page: NewPage, target: ContractPage, size: str
) -> None:
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    path = open_contract_page(page, target)
    check_page(page, f"page-{target}-{width}", path, width, status=target.status)


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_the_pages_behind_mailed_links_and_the_second_step_pass_the_same_checks(
    new_page: NewPage, server: Server, size: str
) -> None:
    """/verify-email/<token> and /reset-password/<token> (reached from their mails) and
    /login/verify (a login waiting for its code)."""
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    address = fresh_email("linked")
    register(page, "Lina Linked", address)
    page.goto(newest_link(server, address, "verify-email"))
    check_page(page, f"page-verify-email-{width}", "/verify-email/<token>", width)

    turn_on_second_factor(page)
    submit(page, "Log out")
    page.goto("/login")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(page, "Log in")
    assert "/login/verify" in page.url, page.url
    check_page(page, f"page-login-verify-{width}", "/login/verify", width)

    page.goto("/forgot-password")
    page.get_by_label("Email").fill(address)
    submit(page, "Mail me a link")
    page.goto(newest_link(server, address, "reset-password"))
    check_page(page, f"page-reset-password-{width}", "/reset-password/<token>", width)


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_the_too_many_requests_page_passes_the_same_checks(new_page: NewPage, size: str) -> None:
    """The 429 page, met as a member meets it: wrong current passwords until the limit answers
    (10 a minute per member, on a sliding window: tries that straddle a minute's edge count
    the older minute's only in part, so on a busy machine the 11th may still pass; by the
    21st, well within a minute of the first, it never does)."""
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    register(page, "Tess Tries", fresh_email("tries"))
    status = 200
    for _ in range(21):
        page.goto("/settings")
        page.get_by_label("Current password").fill("not the password at all")
        page.get_by_label("New password", exact=True).fill("a brand new passphrase")
        page.get_by_label("Repeat the new password").fill("a brand new passphrase")
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Change password", exact=True).click()
        response = navigation.value
        status = response.status if response is not None else 0
        if status == 429:
            break
    assert status == 429, "21 wrong current passwords were never limited"
    check_page(
        page, f"page-too-many-requests-{width}", "/settings/password (429)", width, status=429
    )


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_the_transfer_confirmation_passes_the_same_checks(new_page: NewPage, size: str) -> None:
    """/transfer's second step (it has no address of its own): the recipient and the amount
    before any money moves."""
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    login(page, MEMBER_EMAIL)
    page.goto("/transfer")
    page.get_by_label("To", exact=True).fill("bob@example.com")
    page.get_by_label("Amount").fill("12.50")
    page.get_by_label("Memo (optional)").fill("A memo long enough to wrap on a phone screen")
    submit(page, "Continue")
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm the transfer"
    check_page(page, f"page-transfer-confirm-{width}", "/transfer (confirm)", width)


RENDER_500 = (
    "from webapp import create_app\n"
    "from webapp.edge.errors import render_error_page\n"
    "with create_app().test_request_context('/'):\n"
    "    print(render_error_page(500).get_data(as_text=True))\n"
)


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_the_500_page_passes_the_same_checks(new_page: NewPage, server: Server, size: str) -> None:
    """Nothing in a healthy app answers 500, so the page is rendered by the app's own error
    handler (an app built on the server's configuration) and served at the app's origin by
    the browser's router; its stylesheet and icon come from the running server."""
    width, height = SIZES[size]
    rendered = subprocess.run(
        [sys.executable, "-c", RENDER_500],
        cwd=Path(__file__).resolve().parents[2],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    html = rendered.stdout
    assert "500" in html and "</html>" in html, html[-400:]
    page = new_page(width=width, height=height)
    page.route(
        f"{server.url}/broken",
        lambda route: route.fulfill(status=500, content_type="text/html", body=html),
    )
    response = page.goto("/broken")
    assert response is not None and response.status == 500
    check_page(page, f"page-server-error-{width}", "a 500 page", width, status=500)


def newest_link(server: Server, address: str, route: str) -> str:
    """The newest /<route>/<token> link mailed to `address` (sent after the commit)."""
    pattern = re.compile(rf"https?://[^\s\"'<>]+/{route}/[A-Za-z0-9_-]+")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [
            link
            for path in sorted(server.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime)
            if address in (text := path.read_text(errors="replace"))
            for link in pattern.findall(text)
        ]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no {route} link mailed to {address} in {server.mail_dir}")


def test_every_page_has_a_title_that_says_where_you_are(new_page: NewPage) -> None:
    """No two pages a visitor or a member sees share a title, and each ends with the site's."""
    titles: dict[str, str] = {}
    for visitor in (None, MEMBER_EMAIL):
        page = new_page()
        if visitor:
            login(page, visitor)
        for target in (p for p in PAGES if p.visitor == visitor and not p.fill_cart):
            follow_links(page, target)
            titles[target.name] = page.title()
    assert all(title.endswith(" · Tally") for title in titles.values()), titles
    assert len(set(titles.values())) == len(titles), f"pages share a title: {titles}"


# The three faults the issue reported, each held by a test of its own.


def test_the_landing_pages_cards_line_up(new_page: NewPage) -> None:
    page = new_page(width=1280, height=900)
    page.goto("/")
    tops = page.eval_on_selector_all(
        ".cards > .card", "cards => cards.map(c => c.getBoundingClientRect().top)"
    )
    assert len(tops) == 4
    assert max(tops) - min(tops) < 1, f"the cards start at different heights: {tops}"


def test_the_dashboard_shows_every_amount_on_a_phone(new_page: NewPage) -> None:
    page = new_page(width=390, height=844)
    login(page, MEMBER_EMAIL)
    page.goto("/dashboard")
    boxes = page.eval_on_selector_all(
        "table.activity td.number",
        "cells => cells.map(c => [c.innerText, c.getBoundingClientRect().left,"
        " c.getBoundingClientRect().right])",
    )
    assert boxes, "the demo member has no activity on the dashboard"
    cut = [text for text, left, right in boxes if left < 0 or right > 390]
    assert cut == [], f"amounts cut off at 390px: {cut}"


def test_an_admins_top_bar_stays_on_one_line_at_desktop_width(
    new_page: NewPage, server: Server
) -> None:
    """The longest top bar there is: an admin with a long name and a count on the cart."""
    email = "long-name-admin@example.com"
    server.flask(
        "create-admin",
        "--email",
        email,
        "--password",
        DEMO_PASSWORD,
        "--name",
        "Maximiliana Wolfeschlegelsteinhausen-Bergerdorff",
    )
    page = new_page(width=1280, height=900)
    login(page, email)
    page.goto("/shop")
    page.goto(page.locator("main a[href^='/shop/']").first.get_attribute("href") or "")
    with page.expect_navigation():
        page.get_by_role("button", name="Add to cart").click()
    page.goto("/admin")
    assert page.locator(".nav .nav-count").count() == 1
    bottoms = page.eval_on_selector_all(
        "nav.nav > *", "items => items.map(i => Math.round(i.getBoundingClientRect().bottom))"
    )
    assert max(bottoms) - min(bottoms) <= 8, f"the top bar wraps: item bottoms {bottoms}"
    shot(page, "admin-top-bar-1280")


@dataclass(frozen=True)
class Chart:
    """A chart of web/chart.py on its page: who sees it, and how many day labels a phone keeps."""

    name: str
    email: str
    path: str
    selector: str
    day_labels: int
    via: str | None = None

    def __str__(self) -> str:
        return self.name


CHARTS = [
    Chart("admin-bars", ADMIN_EMAIL, "/admin", "svg.bar-chart", 7),
    Chart(
        "balance-line",
        MEMBER_EMAIL,
        "/dashboard",
        "svg.line-chart",
        4,
        via="table.accounts a[href^='/accounts/']",
    ),
]


@pytest.mark.parametrize("chart", CHARTS, ids=str)
def test_the_charts_labels_are_readable_on_a_phone(new_page: NewPage, chart: Chart) -> None:
    """A chart is drawn for 720 units and shrunk to the phone: its labels must still be
    10px or more, side by side without touching, and inside the drawing."""
    page = new_page(width=PHONE_WIDTH, height=844)
    login(page, chart.email)
    page.goto(chart.path)
    if chart.via:
        page.locator(chart.via).first.click()
    svg = page.eval_on_selector(chart.selector, "s => s.getBoundingClientRect().toJSON()")
    labels = page.eval_on_selector_all(
        f"{chart.selector} text",
        """texts => texts.filter(t => t.getClientRects().length)
            .map(t => ({text: t.textContent, day: t.classList.contains('day-label'),
                        size: parseFloat(getComputedStyle(t).fontSize)
                              * t.getScreenCTM().a,
                        box: t.getBoundingClientRect().toJSON()}))""",
    )
    assert labels, "the chart has no labels"
    small = [(label["text"], round(label["size"], 1)) for label in labels if label["size"] < 10]
    assert small == [], f"chart labels smaller than 10px at {PHONE_WIDTH}px: {small}"
    outside = [
        label["text"]
        for label in labels
        if label["box"]["left"] < svg["left"] - 0.5 or label["box"]["right"] > svg["right"] + 0.5
    ]
    assert outside == [], f"chart labels cut at the drawing's edge: {outside}"
    days = sorted((label["box"] for label in labels if label["day"]), key=lambda b: b["left"])
    touching = [
        (round(a["right"]), round(b["left"]))
        for a, b in itertools.pairwise(days)
        if a["right"] > b["left"] - 2
    ]
    assert touching == [], f"day labels overlap at {PHONE_WIDTH}px: {touching}"
    assert len(days) >= chart.day_labels, f"only {len(days)} day labels left on a phone"
    shot(page, f"chart-{chart.name}-{PHONE_WIDTH}")


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_an_accounts_balance_chart_is_drawn_whole_with_its_table_for_screen_readers(
    new_page: NewPage, size: str
) -> None:
    """The last 30 days' balance line fits the screen at both sizes; the table of the same
    balances is there for a screen reader, and out of sight."""
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    login(page, MEMBER_EMAIL)
    page.goto("/dashboard")
    page.locator("table.accounts a[href^='/accounts/']").first.click()
    chart = page.get_by_role("img", name=re.compile(r"^Balance of .+ at the end of each day"))
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.locator("svg.line-chart circle.point").count() == 30
    table = page.locator("table.balance-table")
    assert table.locator("tbody tr").count() == 30
    assert table.evaluate("t => getComputedStyle(t).clipPath") == "inset(50%)"  # out of sight
    shot(page, f"balance-chart-{width}")
