"""Asking for money, in a real browser at desktop and at phone width: a new member, pointed
there by their empty wallet, asks a demo member for money on /requests; that member sees it
on their dashboard and pays it through its confirmation step (a second tab's confirmation of
the same request then pays nothing); both see it paid on /requests, and each account's
history names the other side. No page scrolls sideways."""

from __future__ import annotations

from decimal import Decimal

import pytest
from e2e_harness import NewPage, login, shot
from playwright.sync_api import Page, expect
from test_member_flow import flash, follow, fresh_email, main_balance, money, register, submit

PAYER_EMAIL = "carol@example.com"  # a demo member with money and no request waiting
PAYER_NAME = "Carol Castillo"


def fits(page: Page, width: int, name: str) -> None:
    """The page does not scroll sideways; saved as payment-requests-<name>-<width>."""
    shot(page, f"payment-requests-{name}-{width}")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px: {scroll}px wide"


def status_of(page: Page, table: str, name: str) -> str:
    """The status of the newest request with `name` in the table (its row on /requests)."""
    page.goto("/requests")
    row = page.locator(f"table.{table} tbody tr").filter(has_text=name).first
    return row.locator(".status").inner_text()


def newest_line(page: Page) -> str:
    """The other side of the newest line on the Main account's history."""
    page.goto("/dashboard")
    follow(page, "Main")
    return page.locator("table.history tbody tr .other-side").first.inner_text()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_new_member_asks_for_money_and_the_other_pays_it_once(
    new_page: NewPage, width: int
) -> None:
    asker, payer = new_page(width=width, height=900), new_page(width=width, height=900)
    name, email = f"Asha Asker {width}", fresh_email("asker")

    # The empty wallet points a new member to asking for money.
    register(asker, name, email)
    expect(asker.locator(".wallet-empty")).to_contain_text("ask another member for money")
    follow(asker, "ask another member for money")
    expect(asker.get_by_role("heading", level=1)).to_have_text("Payment requests")
    asker.get_by_label("Whom to ask (their email)").fill(PAYER_EMAIL)
    asker.get_by_label("Amount").fill("7.25")
    asker.get_by_label("Memo (optional)").fill("Books for the reading group")
    submit(asker, "Ask for money")
    assert f"You asked {PAYER_NAME} for 7.25 USD." in flash(asker)
    assert status_of(asker, "outgoing", PAYER_NAME) == "Pending"
    fits(asker, width, "asked")

    # The payer sees it waiting on the dashboard, and pays through the confirmation step.
    login(payer, PAYER_EMAIL)
    before = main_balance(payer)
    waiting = payer.locator(".waiting-requests tbody tr").filter(has_text=name)
    expect(waiting).to_contain_text("7.25 USD")
    expect(waiting.get_by_role("link", name="Decline")).to_be_visible()
    fits(payer, width, "dashboard")
    with payer.expect_navigation():
        waiting.get_by_role("link", name="Pay", exact=True).click()
    expect(payer.get_by_role("heading", level=1)).to_have_text(f"Pay {name}")
    expect(payer.locator(".recipient")).to_contain_text(email)
    fits(payer, width, "pay")
    # The same confirmation, open in a second tab: sent after the first, it pays nothing.
    second = payer.context.new_page()
    second.goto(payer.url)
    submit(payer, f"Pay 7.25 USD to {name}")
    assert f"Paid 7.25 USD to {name}." in flash(payer)
    submit(second, f"Pay 7.25 USD to {name}")
    assert "paid already" in flash(second)
    assert main_balance(payer) == before - Decimal("7.25")
    assert main_balance(asker) == Decimal("7.25")

    # Both see it paid, and each history names the other side.
    assert status_of(payer, "incoming", name) == "Paid"
    fits(payer, width, "paid")
    assert status_of(asker, "outgoing", PAYER_NAME) == "Paid"
    assert newest_line(asker) == f"Received from {PAYER_NAME}"
    assert newest_line(payer) == f"Sent to {name}"
    fits(payer, width, "history")
    assert money(payer.locator(".account-facts .balance").inner_text()) == before - Decimal("7.25")
    assert asker.console_errors == [] and payer.console_errors == []  # type: ignore[attr-defined]
