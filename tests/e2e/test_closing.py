"""A member closes their account in a real browser, at 1280 and at 390 px wide: they register
(no money to move), their login grows older than REAUTH_WINDOW, and from /settings they
follow "Close my account" to its page, type the password and confirm; the stale login goes
through /confirm-password and back to the page, where they confirm again. They land on the
landing page logged out, and the password no longer logs them in. No page on the way
scrolls sideways.

The login is aged in the server's SQLite file (the suite's one server keeps the default
window, which the other flows rely on).
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from e2e_harness import NewPage, Server, shot, submit_login
from playwright.sync_api import Page, expect
from test_every_page import horizontal_overflow
from test_member_flow import PASSWORD, follow, fresh_email, register, submit

WIDTHS = {1280: 900, 390: 844}


def age_login(server: Server, email: str) -> None:
    """The member's sessions logged in an hour ago: older than REAUTH_WINDOW."""
    path = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as database:
        database.execute(
            "UPDATE auth_sessions SET auth_time = datetime('now', '-1 hour')"
            " WHERE user_id = (SELECT id FROM users WHERE email = ?)",
            (email,),
        )


def assert_no_sideways_scroll(page: Page) -> None:
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], (page.url, overflow)


@pytest.mark.parametrize("width", WIDTHS, ids=str)
def test_a_member_closes_their_account_through_the_pages(
    new_page: NewPage, server: Server, width: int
) -> None:
    page = new_page(width=width, height=WIDTHS[width])
    email = fresh_email("leaving")
    register(page, "Lee Leaving", email)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    age_login(server, email)

    page.goto("/settings")
    expect(page.locator("main section.card").last.get_by_role("heading")).to_have_text(
        "Close my account"
    )
    follow(page, "Close my account")
    expect(page).to_have_url(re.compile(r"/settings/close$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Close my account?")
    assert_no_sideways_scroll(page)
    shot(page, f"close-account-{width}")

    # The login is stale: the confirmation goes through /confirm-password and back.
    page.get_by_label("Your password").fill(PASSWORD)
    submit(page, "Close my account for good")
    expect(page).to_have_url(re.compile(r"/confirm-password\?next=%2Fsettings%2Fclose$"))
    assert_no_sideways_scroll(page)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(page, "Confirm")
    expect(page).to_have_url(re.compile(r"/settings/close$"))

    page.get_by_label("Your password").fill(PASSWORD)
    submit(page, "Close my account for good")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".flash")).to_contain_text("Your account is closed")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    assert_no_sideways_scroll(page)

    submit_login(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()
