"""A new member's first visit, in a real browser: register, see "Main" on the dashboard,
receive a deposit from an admin (who works in a browser of their own), send money to another
member by email, fill the cart with two products, check out, see the order, cancel it (the
confirmation page first, kept once, then confirmed) and see the refund.

`member_flow` is the whole story; test_without_javascript.py runs it again with JavaScript
off. Screenshots of each page at 1280x900 and at 390x844 go to tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from e2e_harness import ADMIN_EMAIL, NewPage, Server, login, shot
from playwright.sync_api import Page, expect

PASSWORD = "a long e2e password"
DESKTOP = (1280, 900)
PHONE = (390, 844)


def fresh_email(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(4)}@example.com"


def shots(page: Page, name: str) -> None:
    """The page as it is now, at desktop and at phone width: <name>-1280, <name>-390."""
    size = page.viewport_size or {"width": DESKTOP[0], "height": DESKTOP[1]}
    for width, height in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": height})
        shot(page, f"{name}-{width}")
    page.set_viewport_size(size)


def money(text: str) -> Decimal:
    """ "12.50 USD" or "+12.50 USD" → Decimal("12.50")."""
    found = re.search(r"[-+\u2212]?\d[\d,]*(?:\.\d+)?", text)
    assert found, f"no amount in {text!r}"
    return Decimal(found.group().replace(",", "").replace("\u2212", "-"))


def flash(page: Page) -> str:
    """The text of the page's flash messages."""
    return " ".join(page.locator(".flash").all_inner_texts())


def submit(page: Page, button: str) -> None:
    """Click a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).first.click()


def follow(page: Page, link: str) -> None:
    """Click a link (a destructive button leads to its confirmation) and wait for its page."""
    with page.expect_navigation():
        page.get_by_role("link", name=link, exact=True).first.click()


def register(page: Page, name: str, email: str, password: str = PASSWORD) -> None:
    page.goto("/register")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    submit(page, "Create account")


def main_balance(page: Page) -> Decimal:
    """The balance of the Main account, read from the dashboard's accounts table."""
    page.goto("/dashboard")
    row = page.locator("table.accounts tbody tr").filter(has=page.get_by_role("link", name="Main"))
    return money(row.locator("td").last.inner_text())


def admin_user_page(page: Page, email: str) -> None:
    """As an admin: search /admin/users for `email` and open that user's page."""
    page.goto("/admin/users")
    page.get_by_label("Email or name").fill(email)
    submit(page, "Search")
    row = page.locator("table.admin-users tbody tr").filter(has_text=email)
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    expect(page.get_by_text(email).first).to_be_visible()


def deposit(admin: Page, email: str, amount: str, memo: str) -> None:
    """An admin deposits `amount` into the member's first (Main) account."""
    admin_user_page(admin, email)
    form = admin.locator("form").filter(has=admin.get_by_role("button", name="Deposit"))
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Memo (optional)").fill(memo)
    submit(admin, "Deposit")
    expect(admin.locator(".flash")).to_contain_text(amount)


def add_to_cart(page: Page, product: str, quantity: int) -> Decimal:
    """From the shop, open `product`, add `quantity` of it; returns its unit price."""
    page.goto("/shop")
    with page.expect_navigation():
        page.get_by_role("link", name=product, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(product)
    price = money(page.locator(".price").inner_text())
    page.get_by_label("Quantity").fill(str(quantity))
    submit(page, "Add to cart")
    expect(page.locator(".flash")).to_contain_text(f"Added {quantity} of {product}")
    return price


def member_flow(new_page: NewPage, server: Server, prefix: str, javascript: bool = True) -> None:
    """The whole story of a new member; screenshots are named <prefix><page>-<width>."""
    member = new_page(javascript=javascript)
    admin = new_page(javascript=javascript)
    friend = new_page(javascript=javascript)
    member_email, friend_email = fresh_email("member"), fresh_email("friend")

    # Registering opens a Main account, empty, and logs the member in.
    register(member, "Mia Member", member_email)
    expect(member).to_have_url(re.compile(r"/dashboard$"))
    expect(member.locator(".flash")).to_contain_text("Main account is open")
    expect(member.get_by_role("link", name="Main", exact=True)).to_be_visible()
    assert main_balance(member) == 0
    expect(member.get_by_text("No money has moved yet.")).to_be_visible()
    expect(member.locator(".wallet-empty")).to_contain_text(f"give them your email, {member_email}")

    register(friend, "Fred Friend", friend_email)

    # An admin, in a browser of their own, deposits 100.00 into the member's Main account.
    login(admin, ADMIN_EMAIL)
    deposit(admin, member_email, "100.00", "Welcome gift")
    assert main_balance(member) == Decimal("100.00")
    activity = member.locator("table.activity tbody tr").first
    expect(activity).to_contain_text("Deposit")
    expect(activity).to_contain_text("Welcome gift")
    expect(activity).to_contain_text("+100.00 USD")
    shots(member, f"{prefix}dashboard")

    # A transfer to the friend, by email: it leaves Main and arrives in the friend's Main.
    member.goto("/transfer")
    member.get_by_label("To", exact=True).fill(friend_email)
    member.get_by_label("Amount").fill("15.25")
    member.get_by_label("Memo (optional)").fill("Thanks for lunch")
    shots(member, f"{prefix}transfer")
    # "Continue" moves nothing: a confirmation page names the friend, the amount and the account.
    submit(member, "Continue")
    expect(member.get_by_role("heading", level=1)).to_have_text("Confirm the transfer")
    recipient = member.locator(".transfer-summary .recipient")
    expect(recipient).to_contain_text("Fred Friend")
    expect(recipient).to_contain_text(friend_email)
    expect(member.locator(".transfer-summary .amount")).to_have_text("15.25 USD")
    expect(member.locator(".transfer-summary .source")).to_contain_text("Main")
    shots(member, f"{prefix}transfer-confirm")
    assert main_balance(friend) == 0
    submit(member, "Send")
    expect(member.locator(".flash")).to_contain_text("Sent 15.25 USD to Fred Friend.")
    assert main_balance(member) == Decimal("84.75")
    assert main_balance(friend) == Decimal("15.25")
    friend_line = friend.locator("table.activity tbody tr").first
    expect(friend_line).to_contain_text("Thanks for lunch")
    expect(friend_line).to_contain_text("Received from Mia Member")
    expect(member.locator("table.activity tbody tr").first).to_contain_text("Sent to Fred Friend")

    # Two products into the cart; the cart adds them up.
    member.goto("/shop")
    expect(member.get_by_role("heading", name="Shop", level=1)).to_be_visible()
    shots(member, f"{prefix}shop")
    mug = add_to_cart(member, "Tally mug", 2)
    notebook = add_to_cart(member, "Notebook", 1)
    total = 2 * mug + notebook
    member.goto("/cart")
    lines = member.locator("table.cart tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="Tally mug").get_by_label(re.compile("^Quantity"))).to_have_value(
        "2"
    )
    expect(member.locator("table.cart tfoot")).to_contain_text(f"{total} USD")
    shots(member, f"{prefix}cart")

    # Checkout pays from Main and shows the order.
    submit(member, "Place order")
    expect(member).to_have_url(re.compile(r"/orders/\d+$"))
    expect(member.locator(".flash")).to_contain_text(f"{total} USD paid")
    expect(member.locator(".order-status")).to_contain_text("Paid")
    expect(member.locator(".order-total")).to_have_text(f"{total} USD")
    items = member.locator("table.order-items tbody tr")
    expect(items).to_have_count(2)
    expect(items.filter(has_text="Tally mug")).to_contain_text(f"{2 * mug} USD")
    shots(member, f"{prefix}order")
    order_url = member.url
    assert main_balance(member) == Decimal("84.75") - total
    member.goto("/cart")
    expect(member.get_by_text("Your cart is empty.")).to_be_visible()

    # Cancelling asks first, on a page of its own naming the order and the refund; keeping
    # the order goes back and moves nothing.
    member.goto(order_url)
    order_id = order_url.rsplit("/", 1)[1]
    follow(member, "Cancel order")
    expect(member).to_have_url(re.compile(rf"/orders/{order_id}/cancel/confirm$"))
    expect(member.get_by_role("heading", level=1)).to_have_text(f"Cancel order {order_id}?")
    expect(member.locator(".confirmation")).to_contain_text(f"{total} USD")
    shots(member, f"{prefix}order-cancel-confirm")
    follow(member, "Keep the order")
    expect(member).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(member.locator(".order-status")).to_contain_text("Paid")
    assert main_balance(member) == Decimal("84.75") - total

    # Confirming refunds the total: the dashboard shows the refund and the balance is back.
    member.goto(order_url)
    follow(member, "Cancel order")
    submit(member, f"Cancel order {order_id} and refund {total} USD")
    expect(member).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(member.locator(".flash")).to_contain_text(f"{total} USD refunded")
    expect(member.locator(".order-status")).to_contain_text("Cancelled")
    expect(member.get_by_role("link", name="Cancel order")).to_have_count(0)
    assert main_balance(member) == Decimal("84.75")
    refund = member.locator("table.activity tbody tr").first
    expect(refund).to_contain_text("Refund")
    expect(refund).to_contain_text(f"+{total} USD")

    member.goto("/settings")
    expect(member.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(member.get_by_text(member_email)).to_be_visible()
    shots(member, f"{prefix}settings")

    for page in (member, admin, friend):
        assert page.console_errors == []  # type: ignore[attr-defined]
        assert page.outside_requests == []  # type: ignore[attr-defined]


def test_a_new_member_registers_is_paid_sends_money_orders_and_cancels_for_a_refund(
    new_page: NewPage, server: Server
) -> None:
    member_flow(new_page, server, prefix="")
