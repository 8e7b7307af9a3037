"""An admin's rounds, in a real browser: log in (landing on /admin), search the users,
deactivate one through its confirmation page (whose own open browser is logged out on its
next click), change a product's price (the shop shows the new one at once) and read both
changes in the audit log.

Screenshots: admin-dashboard and admin-users at 1280x900 and 390x844, and the steps between.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from e2e_harness import ADMIN_EMAIL, NewPage, Server, login, shot
from playwright.sync_api import expect
from test_member_flow import PASSWORD, fresh_email, money, register, shots, submit

PRODUCT = "Sticker pack"  # not one the member flow buys: its price is changed here


def test_an_admin_deactivates_a_member_reprices_a_product_and_reads_the_audit_log(
    new_page: NewPage, server: Server
) -> None:
    victim_email = fresh_email("deactivated")
    victim = new_page()
    register(victim, "Vic Victim", victim_email)
    expect(victim).to_have_url(re.compile(r"/dashboard$"))

    admin = new_page()
    login(admin, ADMIN_EMAIL)
    # An admin lands on the admin dashboard, not on an empty wallet.
    expect(admin).to_have_url(re.compile(r"/admin$"))
    expect(admin.get_by_role("heading", name="Admin dashboard", level=1)).to_be_visible()
    chart = admin.get_by_role("img", name=re.compile("Orders and transfers per day"))
    expect(chart).to_be_visible()
    shots(admin, "admin-dashboard")

    # Search: only the matching user is listed.
    admin.goto("/admin/users")
    shots(admin, "admin-users")
    admin.get_by_label("Email or name").fill(victim_email)
    submit(admin, "Search")
    expect(admin.locator(".result-count")).to_contain_text(re.compile(r"\b1\W+1 of 1\b"))
    row = admin.locator("table.admin-users tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(victim_email)
    expect(row).to_contain_text("Active")
    victim_id = row.locator("td").first.inner_text().strip()
    shot(admin, "admin-users-search")

    # Deactivate from the search result, through its confirmation naming the member: the
    # admin comes back to the same search.
    with admin.expect_navigation():
        row.get_by_role("link", name="Deactivate").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Deactivate Vic Victim?")
    expect(admin.locator(".confirmation")).to_contain_text(victim_email)
    shot(admin, "admin-user-deactivate-confirm")
    submit(admin, "Deactivate Vic Victim")
    expect(admin.locator(".flash")).to_contain_text(f"({victim_email}) is deactivated")
    expect(admin.get_by_label("Email or name")).to_have_value(victim_email)
    expect(row).to_contain_text("Deactivated")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    shot(admin, "admin-users-deactivated")

    # The victim's browser still shows the dashboard; its next click lands on the login.
    with victim.expect_navigation():
        victim.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(victim).to_have_url(re.compile(r"/login(\?|$)"))
    expect(victim.get_by_role("link", name="Log in").first).to_be_visible()
    expect(victim.get_by_role("button", name="Log out")).to_have_count(0)
    shot(victim, "deactivated-member-logged-out")
    # …and the password no longer lets the member in.
    victim.get_by_label("Email").fill(victim_email)
    victim.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(victim, "Log in")
    expect(victim).to_have_url(re.compile(r"/login(\?|$)"))

    # A new price: the shop shows it on the next page load, to anyone.
    admin.goto("/admin/products")
    product_row = admin.locator("table.admin-products tbody tr").filter(has_text=PRODUCT)
    old_price = money(product_row.locator("td.number").first.inner_text())
    new_price = old_price + Decimal(1 + secrets.randbelow(9)) + Decimal("0.25")
    with admin.expect_navigation():
        product_row.get_by_role("link", name="Edit").click()
    admin.get_by_label("Price").fill(str(new_price))
    submit(admin, "Save")
    expect(admin.locator(".flash")).to_contain_text("is saved")
    expect(admin.get_by_label("Price")).to_have_value(str(new_price))
    shot(admin, "admin-product-repriced")
    product_id = re.search(r"/admin/products/(\d+)", admin.url).group(1)  # type: ignore[union-attr]

    shopper = new_page()
    shopper.goto("/shop")
    shop_row = shopper.locator("table.products tbody tr").filter(has_text=PRODUCT)
    expect(shop_row).to_contain_text(f"{new_price} USD")
    with shopper.expect_navigation():
        shop_row.get_by_role("link", name=PRODUCT).click()
    expect(shopper.locator(".price")).to_have_text(f"{new_price} USD")

    # The audit log holds both changes, with the admin as their author, each person named
    # by name and email (never "User 4" or "user:4") and the data as a labelled list.
    admin.goto("/admin/events")
    expect(admin.get_by_role("heading", name="Events", level=1)).to_be_visible()
    events = admin.locator("table.admin-events tbody tr")
    about_victim = admin.locator(f'td.event-subject[data-subject="user:{victim_id}"]')
    deactivated = events.filter(has=about_victim).filter(has_text="user.updated")
    expect(deactivated.first.locator("td.event-subject")).to_contain_text("Vic Victim")
    expect(deactivated.first.locator("td.event-subject")).to_contain_text(victim_email)
    expect(deactivated.first.locator("dl.event-facts")).to_contain_text("Sessions ended")
    about_product = admin.locator(f'td.event-subject[data-subject="product:{product_id}"]')
    repriced = events.filter(has=about_product).filter(has_text="product.updated")
    expect(repriced.first.locator("dl.event-facts dt")).to_contain_text(["Price"])
    expect(deactivated.first.locator("td.event-actor")).to_contain_text(ADMIN_EMAIL)
    expect(repriced.first.locator("td.event-actor")).to_contain_text(ADMIN_EMAIL)
    log_text = admin.locator("table.admin-events").inner_text()
    assert not re.search(r"\b(User|Member) \d|user:\d", log_text), log_text
    shots(admin, "admin-events")

    # Filtered to the victim: only events about (or by) that user.
    admin.get_by_label("User id").fill(victim_id)
    submit(admin, "Filter")
    expect(events.first).to_be_visible()
    for text in events.all_inner_texts():
        assert victim_email in text, text

    for page in (victim, admin, shopper):
        assert page.console_errors == []  # type: ignore[attr-defined]
        assert page.outside_requests == []  # type: ignore[attr-defined]
