"""The shop pages: the catalog, a product, the cart (a member's kept across logins, a visitor's
in the session), checkout and the member's orders.

Money, stock and orders are read back through the API; on every refusal nothing moves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests.support.clients import PASSWORD, bearer
from tests.support.mfa import code, fixed_clock, turn_on_api
from tests.support.pages import (
    browser,
    confirm_url_of,
    confirmation_page,
    field_errors,
    flashes,
    form_errors,
    soup,
    table_rows,
)
from webapp.models.order import MAX_ITEMS_PER_ORDER, MAX_QUANTITY

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"
ADMIN_EMAIL = "admin@example.com"
TIMES = "\N{MULTIPLICATION SIGN}"  # between quantity and name in item summaries


@dataclass
class Shop:
    """A member whose Main holds 100.00 USD, another member, an admin, and two products:
    Mug (12.50 USD, 5 in stock) and Cup (3.00 USD, 10 in stock)."""

    api: FlaskClient
    admin: dict[str, str]
    member: dict[str, str]
    other: dict[str, str]
    main: str = ""
    other_main: str = ""
    mug: str = ""
    cup: str = ""

    def call(self, method: str, url: str, headers: dict[str, str], status: int, **json: Any):
        response = self.api.open(url, method=method, json=json or None, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()["data"] if response.status_code != 204 else None

    def product(self, sku: str, name: str, price: int, stock: int, **extra: Any) -> str:
        body = {"sku": sku, "name": name, "price": price, "stock": stock, **extra}
        return self.call("POST", "/api/v1/products", self.admin, 201, **body)["id"]

    def patch(self, product_id: str, **fields: Any) -> None:
        self.call("PATCH", f"/api/v1/products/{product_id}", self.admin, 200, **fields)

    def archive(self, product_id: str) -> None:
        self.call("DELETE", f"/api/v1/products/{product_id}", self.admin, 204)

    def deposit(self, account_id: str, amount: int) -> None:
        url = f"/api/v1/accounts/{account_id}/deposits"
        self.call("POST", url, self.admin, 201, amount=amount)

    def main_of(self, headers: dict[str, str]) -> str:
        return self.call("GET", "/api/v1/accounts", headers, 200)[0]["id"]

    def order(self, headers: dict[str, str], account_id: str, *lines: tuple[str, int]) -> str:
        items = [{"productId": pid, "quantity": qty} for pid, qty in lines]
        return self.call("POST", "/api/v1/orders", headers, 201, accountId=account_id, items=items)[
            "id"
        ]

    def balance(self, account_id: str) -> int:
        return self.call("GET", f"/api/v1/accounts/{account_id}", self.admin, 200)["balance"]

    def stock(self, product_id: str) -> int:
        return self.call("GET", f"/api/v1/products/{product_id}", self.admin, 200)["stock"]

    def orders(self) -> list[dict[str, Any]]:
        return self.call("GET", "/api/v1/orders?limit=100", self.admin, 200)

    def state(self) -> dict[str, Any]:
        """Everything a checkout or a cancel could move: balances, stock, orders."""
        products = self.call("GET", "/api/v1/products?includeArchived=true", self.admin, 200)
        return {
            "balances": {a: self.balance(a) for a in (self.main, self.other_main)},
            "stock": {p["id"]: p["stock"] for p in products},
            "orders": [(o["id"], o["status"]) for o in self.orders()],
        }


@pytest.fixture
def shop(client, register, login, make_admin) -> Shop:
    register(EMAIL, "Member")
    register(OTHER_EMAIL, "Other")
    make_admin(ADMIN_EMAIL)
    world = Shop(
        client, bearer(login(ADMIN_EMAIL)), bearer(login(EMAIL)), bearer(login(OTHER_EMAIL))
    )
    world.main, world.other_main = world.main_of(world.member), world.main_of(world.other)
    world.deposit(world.main, 100_00)
    world.mug = world.product("MUG", "Mug", 12_50, 5)
    world.cup = world.product("CUP", "Cup", 3_00, 10)
    return world


@pytest.fixture
def member_browser(app, shop) -> FlaskClient:
    return browser(app)


def add(client: FlaskClient, product_id: str, quantity: int | str = 1):
    return client.post("/cart/add", data={"product_id": product_id, "quantity": str(quantity)})


def cart_lines(page: BeautifulSoup) -> list[tuple[str, str, str, str]]:
    """(product, unit price, quantity, line total) of each line of the cart page."""
    lines = []
    for tr in page.select("table.cart tbody tr"):
        cells = tr.find_all(["th", "td"])
        name = tr.select_one(".line-name").get_text(strip=True)
        quantity = tr.find("input", attrs={"name": "quantity"})["value"]
        lines.append((name, cells[1].get_text(strip=True), quantity, cells[3].get_text(strip=True)))
    return lines


def cart_total(page: BeautifulSoup) -> list[str]:
    return [tr.find("td").get_text(strip=True) for tr in page.select("table.cart tfoot tr")]


def checkout_fields(client: FlaskClient) -> dict[str, str]:
    """What the checkout form on the cart page would send as it is."""
    form = soup(client.get("/cart")).find("form", action="/cart/checkout")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    fields["account"] = form.select_one("select[name=account] option[selected]")["value"]
    return fields


def checkout(client: FlaskClient, **overrides: str):
    return client.post("/cart/checkout", data={**checkout_fields(client), **overrides})


# --- the catalog --------------------------------------------------------------------------


def test_the_shop_lists_active_products_with_decimal_prices_and_hides_archived(client, shop):
    old = shop.product("OLD", "Old thing", 1_00, 3)
    shop.archive(old)
    response = client.get("/shop")
    assert response.status_code == 200
    page = soup(response)
    assert table_rows(page, "table.products") == [
        ["Mug", "MUG", "12.50 USD", "5"],
        ["Cup", "CUP", "3.00 USD", "10"],
    ]
    links = [a["href"] for a in page.select("table.products a")]
    assert links == [f"/shop/{shop.mug}", f"/shop/{shop.cup}"]
    assert "Old thing" not in response.get_data(as_text=True)
    assert page.find("a", rel="next") is None


def test_the_more_link_walks_the_whole_catalog_once(client, shop):
    for n in range(23):
        shop.product(f"P{n:02d}", f"Thing {n:02d}", 1_00 + n, 1)
    first = soup(client.get("/shop"))
    names = [row[0] for row in table_rows(first, "table.products")]
    assert len(names) == 20
    more = first.find("a", rel="next")
    assert more.get_text(strip=True) == "More"
    assert more["href"].startswith("/shop?cursor=")
    second = soup(client.get(more["href"]))
    names += [row[0] for row in table_rows(second, "table.products")]
    assert names == ["Mug", "Cup"] + [f"Thing {n:02d}" for n in range(23)]
    assert second.find("a", rel="next") is None


def test_a_malformed_catalog_cursor_is_the_400_page(client, shop):
    response = client.get("/shop?cursor=garbage")
    assert response.status_code == 400
    assert soup(response).select_one(".error-status").string == "400"


def test_a_product_page_shows_the_product_and_an_add_to_cart_form(member_browser, shop):
    shop.patch(shop.mug, description="Holds tea.")
    response = member_browser.get(f"/shop/{shop.mug}")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Mug"
    assert page.select_one(".price").get_text(strip=True) == "12.50 USD"
    assert page.select_one(".stock").get_text(strip=True) == "5"
    assert page.select_one(".description").get_text(strip=True) == "Holds tea."
    form = page.find("form", action="/cart/add")
    assert form["method"] == "post"
    assert form.find("input", attrs={"name": "product_id"})["value"] == shop.mug
    quantity = form.find("input", attrs={"name": "quantity"})
    assert form.find("label", attrs={"for": quantity["id"]}).get_text(strip=True) == "Quantity"


def test_an_anonymous_visitor_sees_the_product_and_an_add_to_cart_form(client, shop):
    page = soup(client.get(f"/shop/{shop.mug}"))
    assert page.h1.get_text(strip=True) == "Mug"
    form = page.find("form", action="/cart/add")
    assert form.find("input", attrs={"name": "product_id"})["value"] == shop.mug


def test_a_sold_out_product_offers_no_add_to_cart_form(member_browser, shop):
    shop.patch(shop.mug, stock=0)
    page = soup(member_browser.get(f"/shop/{shop.mug}"))
    assert page.select_one(".stock").get_text(strip=True) == "Sold out"
    assert page.find("form", action="/cart/add") is None
    assert page.select_one("section .empty").get_text(strip=True) == "Sold out for now."


@pytest.mark.parametrize("which", ["unknown", "archived"])
def test_an_unknown_or_archived_product_page_is_the_404_page(client, shop, which):
    product_id = "999999"
    if which == "archived":
        shop.archive(shop.mug)
        product_id = shop.mug
    response = client.get(f"/shop/{product_id}")
    assert response.status_code == 404
    assert soup(response).select_one(".error-status").string == "404"
    assert "Mug" not in response.get_data(as_text=True)


def test_the_nav_links_to_shop_cart_and_orders(member_browser, app, shop):
    add(member_browser, shop.mug, 2)
    add(member_browser, shop.cup, 1)
    nav = soup(member_browser.get("/shop")).select_one("header nav")
    links = {a["href"]: a.get_text(" ", strip=True) for a in nav.find_all("a")}
    assert links["/shop"] == "Shop"
    assert links["/cart"] == "Cart (3)"
    assert links["/orders"] == "Orders"
    assert "/admin/products" not in links
    anonymous = soup(app.test_client().get("/")).select_one("header nav")
    assert [a["href"] for a in anonymous.find_all("a", href="/cart")] == []
    assert anonymous.find("a", href="/shop")


# --- the cart -----------------------------------------------------------------------------


def test_adding_to_the_cart_shows_the_lines_and_the_total(member_browser, shop):
    response = add(member_browser, shop.mug, 2)
    assert response.status_code == 302
    assert response.headers["Location"] == "/cart"
    add(member_browser, shop.cup, 3)
    add(member_browser, shop.mug, 1)
    response = member_browser.get("/cart")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = soup(response)
    assert cart_lines(page) == [
        ("Mug", "12.50 USD", "3", "37.50 USD"),
        ("Cup", "3.00 USD", "3", "9.00 USD"),
    ]
    assert cart_total(page) == ["46.50 USD"]
    options = page.select("select[name=account] option")
    assert [(o["value"], o.get_text(strip=True)) for o in options] == [
        (shop.main, "Main — 100.00 USD")
    ]
    assert page.find("form", action="/cart/checkout").find("button").string == "Place order"
    assert shop.balance(shop.main) == 100_00 and shop.stock(shop.mug) == 5


def test_the_flash_names_what_was_added(member_browser, shop):
    response = add(member_browser, shop.mug, 2)
    assert flashes(soup(member_browser.get(response.headers["Location"]))) == [
        "Added 2 of Mug to your cart."
    ]


def test_an_empty_cart_says_so_and_offers_no_checkout(member_browser, shop):
    page = soup(member_browser.get("/cart"))
    assert "Your cart is empty." in page.select_one(".empty").get_text()
    assert page.find("form", action="/cart/checkout") is None


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "The quantity must be between 1 and 1000."),
        ("1001", "The quantity must be between 1 and 1000."),
        ("abc", "Not a valid integer value."),
        ("1.5", "Not a valid integer value."),
        ("", "This field is required."),
        ("6", "The shop has only 5 in stock."),
    ],
)
def test_a_bad_quantity_is_refused_on_the_product_page(member_browser, shop, quantity, message):
    response = add(member_browser, shop.mug, quantity)
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Mug"
    assert field_errors(page, "quantity") == [message]
    assert page.find("input", attrs={"name": "quantity"})["aria-invalid"] == "true"
    assert cart_lines(soup(member_browser.get("/cart"))) == []


def test_the_cart_never_holds_more_than_the_stock(member_browser, shop):
    add(member_browser, shop.mug, 4)
    page = soup(add(member_browser, shop.mug, 2))
    assert field_errors(page, "quantity") == ["The shop has only 5 in stock. Your cart holds 4."]
    assert cart_lines(soup(member_browser.get("/cart")))[0][2] == "4"


@pytest.mark.parametrize("product_id", ["999999", "abc", "archived"])
def test_adding_an_unknown_or_archived_product_is_the_404_page(member_browser, shop, product_id):
    if product_id == "archived":
        shop.archive(shop.mug)
        product_id = shop.mug
    response = add(member_browser, product_id, 1)
    assert response.status_code == 404
    assert cart_lines(soup(member_browser.get("/cart"))) == []


def test_a_visitor_fills_a_session_cart_and_logs_in_to_check_out(client, shop):
    response = add(client, shop.mug, 2)
    assert response.status_code == 302
    assert response.headers["Location"] == "/cart"
    add(client, shop.cup, 1)
    assert (
        client.post("/cart/update", data={"product_id": shop.cup, "quantity": "3"}).status_code
        == 302
    )
    page = soup(client.get("/cart"))
    assert cart_lines(page) == [
        ("Mug", "12.50 USD", "2", "25.00 USD"),
        ("Cup", "3.00 USD", "3", "9.00 USD"),
    ]
    assert page.find("form", action="/cart/checkout") is None
    assert page.select_one(".checkout").find("a", href="/login?next=/cart").string == "Log in"
    nav = soup(client.get("/shop")).select_one("header nav")
    assert nav.find("a", href="/cart").get_text(" ", strip=True) == "Cart (5)"
    client.post("/cart/remove", data={"product_id": shop.mug})
    assert [line[0] for line in cart_lines(soup(client.get("/cart")))] == ["Cup"]
    assert shop.state()["orders"] == []


@pytest.mark.parametrize("path", ["/orders", "/orders/1"])
def test_the_orders_send_an_anonymous_visitor_to_login(client, shop, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2F")


def test_checkout_sends_an_anonymous_visitor_to_login_then_the_cart(client, shop):
    add(client, shop.mug, 1)
    response = client.post("/cart/checkout", data={"account": shop.main, "key": "k", "cart": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cart"
    assert shop.orders() == []


def test_a_lines_quantity_can_be_changed_and_the_line_removed(member_browser, shop):
    add(member_browser, shop.mug, 1)
    add(member_browser, shop.cup, 1)
    response = member_browser.post("/cart/update", data={"product_id": shop.mug, "quantity": "4"})
    assert response.status_code == 302
    page = soup(member_browser.get("/cart"))
    assert [line[2] for line in cart_lines(page)] == ["4", "1"]
    assert cart_total(page) == ["53.00 USD"]
    response = member_browser.post("/cart/remove", data={"product_id": shop.mug})
    assert response.status_code == 302
    page = soup(member_browser.get("/cart"))
    assert cart_lines(page) == [("Cup", "3.00 USD", "1", "3.00 USD")]
    assert flashes(page) == ["The product is out of your cart."]
    assert shop.state()["orders"] == []


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("0", "The quantity must be between 1 and 1000."), ("9", "The shop has only 5 in stock.")],
)
def test_a_bad_quantity_update_is_shown_on_its_line(member_browser, shop, quantity, message):
    add(member_browser, shop.mug, 2)
    response = member_browser.post(
        "/cart/update", data={"product_id": shop.mug, "quantity": quantity}
    )
    assert response.status_code == 200
    page = soup(response)
    assert field_errors(page, f"line-{shop.mug}") == [message]
    assert cart_lines(page)[0][2] == "2"
    assert cart_lines(soup(member_browser.get("/cart")))[0][2] == "2"


def test_updating_a_product_not_in_the_cart_changes_nothing(member_browser, shop):
    add(member_browser, shop.mug, 2)
    member_browser.get("/cart")
    response = member_browser.post("/cart/update", data={"product_id": shop.cup, "quantity": "1"})
    page = soup(member_browser.get(response.headers["Location"]))
    assert flashes(page) == ["That product is not in your cart."]
    assert cart_lines(page) == [("Mug", "12.50 USD", "2", "25.00 USD")]


def test_a_product_archived_after_adding_is_marked_and_left_out_of_the_total(member_browser, shop):
    add(member_browser, shop.mug, 1)
    add(member_browser, shop.cup, 2)
    shop.archive(shop.mug)
    page = soup(member_browser.get("/cart"))
    first = page.select("table.cart tbody tr")[0]
    assert "(no longer sold)" in first.get_text(" ", strip=True)
    assert first.find("a") is None
    assert cart_total(page) == ["6.00 USD"]


def quantity_offered(client: FlaskClient, product_id: str) -> tuple[str, str, str]:
    """The product page's quantity input: its min, its max, and the hint under it."""
    page = soup(client.get(f"/shop/{product_id}"))
    quantity = page.find("input", id="quantity")
    return quantity["min"], quantity["max"], page.select_one("#quantity-help").get_text(strip=True)


def test_the_quantity_limits_on_the_pages_are_the_orders(member_browser, shop):
    plenty = shop.product("TEA", "Tea", 1_00, MAX_QUANTITY + 5)
    assert quantity_offered(member_browser, plenty) == (
        "1",
        str(MAX_QUANTITY),
        f"You can buy 1 to {MAX_QUANTITY}.",
    )
    add(member_browser, plenty, 1)
    line = soup(member_browser.get("/cart")).find("input", id=f"quantity-{plenty}")
    assert (line["min"], line["max"]) == ("1", str(MAX_QUANTITY))


def test_the_quantity_limits_on_the_pages_are_what_is_in_stock(member_browser, shop):
    assert quantity_offered(member_browser, shop.mug) == ("1", "5", "You can buy 1 to 5.")
    add(member_browser, shop.mug, 1)
    line = soup(member_browser.get("/cart")).find("input", id=f"quantity-{shop.mug}")
    assert (line["min"], line["max"]) == ("1", "5")
    shop.patch(shop.mug, stock=1)
    assert quantity_offered(member_browser, shop.mug) == ("1", "1", "You can buy 1.")


def test_the_cart_never_holds_more_of_a_product_than_an_order_may(member_browser, shop):
    shop.patch(shop.mug, stock=MAX_QUANTITY + 10)
    assert add(member_browser, shop.mug, MAX_QUANTITY).status_code == 302
    page = soup(add(member_browser, shop.mug, 1))
    assert field_errors(page, "quantity") == [
        f"The quantity must be between 1 and {MAX_QUANTITY}. Your cart holds {MAX_QUANTITY}."
    ]
    assert cart_lines(soup(member_browser.get("/cart")))[0][2] == str(MAX_QUANTITY)


def test_the_cart_never_holds_more_products_than_an_order_may(member_browser, shop):
    add(member_browser, shop.mug, 1)
    add(member_browser, shop.cup, 1)
    for n in range(MAX_ITEMS_PER_ORDER - 2):
        assert add(member_browser, shop.product(f"P{n}", f"Thing {n}", 1_00, 1)).status_code == 302
    one_too_many = shop.product("LAST", "Last", 1_00, 1)
    page = soup(add(member_browser, one_too_many, 1))
    assert field_errors(page, "quantity") == [
        f"This product cannot be added. An order must hold 1 to {MAX_ITEMS_PER_ORDER} lines."
    ]
    assert len(cart_lines(soup(member_browser.get("/cart")))) == MAX_ITEMS_PER_ORDER
    # A product already in the full cart can still be added to.
    assert add(member_browser, shop.mug, 1).status_code == 302


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"stock": 2}, None),
        ({"stock": 1}, "The shop has only 1 of MUG in stock."),
        ({"stock": 0}, "The shop has only 0 of MUG in stock."),
        ({"isActive": False}, "The product MUG is no longer sold."),
    ],
)
def test_the_cart_marks_a_line_exactly_when_checkout_would_refuse_it(
    member_browser, shop, change, problem
):
    add(member_browser, shop.mug, 2)
    add(member_browser, shop.cup, 1)
    if change:
        shop.patch(shop.mug, **change)
    page = soup(member_browser.get("/cart"))
    mug_row, cup_row = page.select("table.cart tbody tr")
    assert field_errors(page, f"line-{shop.mug}") == ([problem] if problem else [])
    assert ("line-problem" in mug_row.get("class", [])) == (problem is not None)
    assert field_errors(page, f"line-{shop.cup}") == []
    assert "line-problem" not in cup_row.get("class", [])
    before = shop.state()
    response = checkout(member_browser)
    if problem is None:
        assert response.status_code == 302
        assert len(shop.orders()) == 1
    else:
        page = assert_refused(response, shop, before)
        assert field_errors(page, f"line-{shop.mug}") == [problem]


# --- the cart across logins ---------------------------------------------------------------


def log_out(client: FlaskClient) -> None:
    assert client.post("/logout").status_code == 302


def log_in(client: FlaskClient, email: str = EMAIL) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def nav_cart(client: FlaskClient) -> str | None:
    link = soup(client.get("/shop")).select_one("header nav").find("a", href="/cart")
    return link.get_text(" ", strip=True) if link else None


def test_a_members_cart_is_the_same_after_logging_out_and_in_again(member_browser, app, shop):
    add(member_browser, shop.mug, 2)
    add(member_browser, shop.cup, 1)
    log_out(member_browser)
    assert cart_lines(soup(member_browser.get("/cart"))) == []
    assert nav_cart(member_browser) is None
    log_in(member_browser)
    expected = [("Mug", "12.50 USD", "2", "25.00 USD"), ("Cup", "3.00 USD", "1", "3.00 USD")]
    assert cart_lines(soup(member_browser.get("/cart"))) == expected
    assert nav_cart(member_browser) == "Cart (3)"
    # and on another device, where a change shows in the first one's top bar
    other_device = browser(app)
    assert cart_lines(soup(other_device.get("/cart"))) == expected
    add(other_device, shop.cup, 1)
    assert nav_cart(member_browser) == "Cart (4)"
    assert shop.state()["orders"] == []


def test_a_visitors_cart_is_added_to_the_stored_cart_at_login(member_browser, client, shop):
    add(member_browser, shop.mug, 2)
    log_out(member_browser)
    add(client, shop.cup, 1)
    add(client, shop.mug, 2)
    log_in(client)
    assert cart_lines(soup(client.get("/cart"))) == [
        ("Mug", "12.50 USD", "4", "50.00 USD"),
        ("Cup", "3.00 USD", "1", "3.00 USD"),
    ]
    # The session cart is gone: logging out leaves an empty visitor's cart.
    log_out(client)
    assert cart_lines(soup(client.get("/cart"))) == []
    log_in(member_browser)
    assert [line[2] for line in cart_lines(soup(member_browser.get("/cart")))] == ["4", "1"]


def test_a_merged_line_is_capped_at_the_most_one_line_holds(member_browser, client, shop):
    shop.patch(shop.cup, stock=5 * MAX_QUANTITY)
    add(member_browser, shop.cup, MAX_QUANTITY - 100)
    add(client, shop.cup, 300)
    add(client, shop.mug, 1)
    log_in(client)
    quantities = [line[2] for line in cart_lines(soup(client.get("/cart")))]
    assert quantities == [str(MAX_QUANTITY), "1"]


def test_the_visitors_cart_is_merged_after_the_second_factor_step(client, shop, monkeypatch):
    clock = fixed_clock(monkeypatch)
    secret = turn_on_api(shop.api, shop.member, clock)["secret"]
    add(client, shop.mug, 1)
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.headers["Location"].startswith("/login/verify")
    assert nav_cart(client) == "Cart (1)"  # still the visitor's
    response = client.post("/login/verify", data={"code": code(secret, clock)})
    assert response.status_code == 302
    assert cart_lines(soup(client.get("/cart"))) == [("Mug", "12.50 USD", "1", "12.50 USD")]
    log_out(client)
    assert cart_lines(soup(client.get("/cart"))) == []


def test_another_member_never_sees_a_members_cart(member_browser, app, shop):
    add(member_browser, shop.mug, 2)
    other = browser(app, OTHER_EMAIL)
    assert cart_lines(soup(other.get("/cart"))) == []
    assert nav_cart(other) == "Cart"
    add(other, shop.cup, 1)
    assert [line[0] for line in cart_lines(soup(member_browser.get("/cart")))] == ["Mug"]
    assert other.post("/cart/remove", data={"product_id": shop.mug}).status_code == 302
    assert cart_lines(soup(member_browser.get("/cart")))[0][2] == "2"


def test_a_product_archived_in_a_stored_cart_is_shown_as_no_longer_sold(member_browser, app, shop):
    add(member_browser, shop.mug, 1)
    add(member_browser, shop.cup, 2)
    shop.archive(shop.mug)
    page = soup(browser(app).get("/cart"))
    mug_row = page.select("table.cart tbody tr")[0]
    assert "line-problem" in mug_row["class"]
    assert mug_row.select_one(".unavailable").get_text(strip=True) == "(no longer sold)"
    assert field_errors(page, f"line-{shop.mug}") == ["The product MUG is no longer sold."]
    assert cart_total(page) == ["6.00 USD"]
    before = shop.state()
    assert_refused(checkout(member_browser), shop, before)
    member_browser.post("/cart/remove", data={"product_id": shop.mug})
    assert checkout(member_browser).status_code == 302
    assert shop.balance(shop.main) == 100_00 - 6_00


def test_checkout_empties_the_stored_cart(member_browser, app, shop):
    add(member_browser, shop.mug, 1)
    assert checkout(member_browser).status_code == 302
    assert cart_lines(soup(browser(app).get("/cart"))) == []
    assert nav_cart(member_browser) == "Cart"


def test_a_refused_checkout_keeps_the_stored_cart(member_browser, app, shop):
    tv = shop.product("TV", "Television", 60_00, 5)
    add(member_browser, tv, 2)
    before = shop.state()
    assert_refused(checkout(member_browser), shop, before)
    log_out(member_browser)
    log_in(member_browser)
    assert cart_lines(soup(member_browser.get("/cart"))) == [
        ("Television", "60.00 USD", "2", "120.00 USD")
    ]


@pytest.mark.parametrize("who", ["member", "visitor"])
def test_the_cart_page_runs_as_many_statements_for_20_lines_as_for_1(
    member_browser, client, shop, count_statements, who
):
    page_of = member_browser if who == "member" else client
    add(page_of, shop.mug, 1)
    page_of.get("/cart")
    with count_statements() as one:
        assert page_of.get("/cart").status_code == 200
    for n in range(19):
        add(page_of, shop.product(f"P{n:02d}", f"Thing {n:02d}", 1_00, 5), 1)
    page_of.get("/cart")
    with count_statements() as many:
        page = soup(page_of.get("/cart"))
    assert len(cart_lines(page)) == 20
    assert many.count == one.count


# --- checkout -----------------------------------------------------------------------------


def test_checkout_places_one_order_moving_exactly_the_money_and_stock(member_browser, shop):
    add(member_browser, shop.mug, 2)
    add(member_browser, shop.cup, 3)
    response = checkout(member_browser)
    assert response.status_code == 302
    (placed,) = shop.orders()
    assert response.headers["Location"] == f"/orders/{placed['id']}"
    assert (placed["status"], placed["total"], placed["accountId"]) == ("paid", 34_00, shop.main)
    assert shop.balance(shop.main) == 100_00 - 34_00
    assert (shop.stock(shop.mug), shop.stock(shop.cup)) == (3, 7)
    page = soup(member_browser.get(response.headers["Location"]))
    assert flashes(page) == [f"Order {placed['id']} placed: 34.00 USD paid."]
    assert cart_lines(soup(member_browser.get("/cart"))) == []
    nav = soup(member_browser.get("/shop")).select_one("header nav")
    assert nav.find("a", href="/cart").get_text(strip=True) == "Cart"


def test_a_double_submitted_checkout_places_one_order_and_shows_it_twice(member_browser, shop):
    add(member_browser, shop.mug, 2)
    fields = checkout_fields(member_browser)
    first = member_browser.post("/cart/checkout", data=fields)
    second = member_browser.post("/cart/checkout", data=fields)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(shop.orders()) == 1
    assert shop.balance(shop.main) == 100_00 - 25_00
    assert shop.stock(shop.mug) == 3
    page = soup(member_browser.get(second.headers["Location"]))
    assert "This order was already placed." in flashes(page)


def test_a_used_checkout_form_sent_for_another_account_places_nothing(member_browser, shop):
    savings = shop.call(
        "POST", "/api/v1/accounts", shop.member, 201, name="Savings", currency="USD"
    )["id"]
    shop.deposit(savings, 100_00)
    add(member_browser, shop.mug, 1)
    fields = checkout_fields(member_browser)
    assert member_browser.post("/cart/checkout", data=fields).status_code == 302
    add(member_browser, shop.mug, 1)
    before = shop.state()
    response = member_browser.post("/cart/checkout", data={**fields, "account": savings})
    assert response.status_code == 200
    assert form_errors(soup(response)) == [
        "This checkout form was already used for another order. Check your cart and "
        "place the order again."
    ]
    assert shop.state() == before


def assert_refused(response, shop: Shop, before: dict[str, Any]) -> BeautifulSoup:
    """The cart page again, the cart as it was, and nothing moved."""
    assert response.status_code == 200
    assert shop.state() == before
    return soup(response)


def test_out_of_stock_keeps_the_cart_shows_why_and_moves_nothing(member_browser, shop):
    add(member_browser, shop.mug, 3)
    shop.patch(shop.mug, stock=2)
    before = shop.state()
    page = assert_refused(checkout(member_browser), shop, before)
    assert form_errors(page) == ["Not enough Mug in stock."]
    assert field_errors(page, f"line-{shop.mug}") == ["The shop has only 2 of MUG in stock."]
    assert cart_lines(page) == [("Mug", "12.50 USD", "3", "37.50 USD")]
    assert cart_lines(soup(member_browser.get("/cart"))) == cart_lines(page)


def test_insufficient_funds_keeps_the_cart_shows_why_and_moves_nothing(member_browser, shop):
    tv = shop.product("TV", "Television", 60_00, 5)
    add(member_browser, tv, 2)
    before = shop.state()
    page = assert_refused(checkout(member_browser), shop, before)
    assert field_errors(page, "account") == ["The account does not hold enough money."]
    assert cart_lines(page) == [("Television", "60.00 USD", "2", "120.00 USD")]


def test_a_product_archived_in_the_meantime_keeps_the_cart_and_moves_nothing(member_browser, shop):
    add(member_browser, shop.mug, 1)
    add(member_browser, shop.cup, 1)
    fields = checkout_fields(member_browser)
    shop.archive(shop.mug)
    before = shop.state()
    page = assert_refused(member_browser.post("/cart/checkout", data=fields), shop, before)
    assert form_errors(page) == ["Some products in your cart cannot be ordered."]
    assert field_errors(page, f"line-{shop.mug}") == ["The product MUG is no longer sold."]
    assert [line[0] for line in cart_lines(page)] == ["Mug", "Cup"]


def test_a_product_in_another_currency_is_refused_and_moves_nothing(member_browser, shop):
    tea = shop.product("TEA", "Tea", 2_00, 5, currency="EUR")
    add(member_browser, tea, 1)
    before = shop.state()
    page = assert_refused(checkout(member_browser), shop, before)
    assert field_errors(page, "account") == [
        "The product TEA is priced in EUR; the account holds USD."
    ]
    assert cart_total(page) == ["2.00 EUR"]


def test_a_cart_changed_since_the_page_was_shown_is_not_ordered(member_browser, shop):
    add(member_browser, shop.mug, 1)
    fields = checkout_fields(member_browser)
    add(member_browser, shop.cup, 1)  # in another tab
    before = shop.state()
    page = assert_refused(member_browser.post("/cart/checkout", data=fields), shop, before)
    assert form_errors(page) == [
        "Your cart changed since this page was shown. Check it and place the order again."
    ]
    assert [line[0] for line in cart_lines(page)] == ["Mug", "Cup"]
    # The page now carries the cart as it is: ordering it works.
    assert checkout(member_browser).status_code == 302
    assert shop.balance(shop.main) == 100_00 - 15_50


def test_paying_from_another_members_account_is_refused(member_browser, shop):
    shop.deposit(shop.other_main, 100_00)
    add(member_browser, shop.mug, 1)
    before = shop.state()
    page = assert_refused(checkout(member_browser, account=shop.other_main), shop, before)
    assert field_errors(page, "account") == ["Not a valid choice."]
    assert cart_lines(page) == [("Mug", "12.50 USD", "1", "12.50 USD")]


def test_checking_out_an_empty_cart_places_nothing(member_browser, shop):
    response = member_browser.post(
        "/cart/checkout", data={"account": shop.main, "key": "k", "cart": ""}
    )
    assert response.status_code == 302
    assert flashes(soup(member_browser.get("/cart"))) == ["Your cart is empty."]
    assert shop.orders() == []


# --- orders -------------------------------------------------------------------------------


def test_the_orders_page_lists_only_my_orders_newest_first(member_browser, shop):
    first = shop.order(shop.member, shop.main, (shop.mug, 2))
    second = shop.order(shop.member, shop.main, (shop.cup, 1), (shop.mug, 1))
    shop.deposit(shop.other_main, 100_00)
    theirs = shop.order(shop.other, shop.other_main, (shop.cup, 4))
    shop.call("POST", f"/api/v1/orders/{first}/cancel", shop.member, 200)
    response = member_browser.get("/orders")
    assert response.status_code == 200
    page = soup(response)
    rows = table_rows(page, "table.orders")
    assert [[row[0], *row[2:]] for row in rows] == [
        [f"Order {second}", "Paid", f"1 {TIMES} Cup, 1 {TIMES} Mug", "15.50 USD"],
        [f"Order {first}", "Cancelled", f"2 {TIMES} Mug", "25.00 USD"],
    ]
    hrefs = [a["href"] for a in page.select("table.orders a")]
    assert hrefs == [f"/orders/{second}", f"/orders/{first}"]
    assert f"/orders/{theirs}" not in response.get_data(as_text=True)


def test_an_admin_sees_only_their_own_orders_on_the_orders_page(app, shop):
    shop.order(shop.member, shop.main, (shop.mug, 1))
    page = soup(browser(app, ADMIN_EMAIL).get("/orders"))
    assert table_rows(page, "table.orders") == []
    assert "You have not ordered anything yet." in page.select_one(".empty").get_text()


def test_the_order_page_shows_the_item_snapshots_and_a_cancel_button(member_browser, shop):
    add(member_browser, shop.mug, 2)
    add(member_browser, shop.cup, 1)
    location = checkout(member_browser).headers["Location"]
    shop.patch(shop.mug, price=99_00, name="Gold mug")
    response = member_browser.get(location)
    assert response.status_code == 200
    page = soup(response)
    assert table_rows(page, "table.order-items") == [
        ["MUG", "Mug", "2", "12.50 USD", "25.00 USD"],
        ["CUP", "Cup", "1", "3.00 USD", "3.00 USD"],
    ]
    assert page.select_one(".order-status").get_text(strip=True) == "Paid"
    assert page.select_one(".order-total").get_text(strip=True) == "28.00 USD"
    assert page.find("a", href=f"{location}/cancel/confirm").string == "Cancel order"
    assert page.find("form", action=f"{location}/cancel") is None


@pytest.mark.parametrize("whose", ["another member's", "unknown"])
def test_another_members_or_an_unknown_order_is_the_404_page(member_browser, shop, whose):
    shop.deposit(shop.other_main, 100_00)
    order_id = shop.order(shop.other, shop.other_main, (shop.mug, 1))
    if whose == "unknown":
        order_id = "999999"
    response = member_browser.get(f"/orders/{order_id}")
    assert response.status_code == 404
    assert soup(response).select_one(".error-status").string == "404"
    assert "12.50" not in response.get_data(as_text=True)
    before = shop.state()
    assert member_browser.post(f"/orders/{order_id}/cancel").status_code == 404
    assert shop.state() == before


def test_cancel_asks_first_naming_the_order_and_the_refund_and_the_asking_moves_nothing(
    member_browser, shop
):
    add(member_browser, shop.mug, 2)
    location = checkout(member_browser).headers["Location"]
    order_id = location.rsplit("/", 1)[1]
    before = shop.state()
    url = confirm_url_of(soup(member_browser.get(location)), "Cancel order")
    assert url == f"{location}/cancel/confirm"
    asked = confirmation_page(member_browser, url)
    assert asked.heading == f"Cancel order {order_id}?"
    assert f"Order {order_id} Refund 25.00 USD" in asked.text
    assert f"Cancel order {order_id} and refund 25.00 USD" in asked.text
    assert (asked.action, asked.back) == (f"{location}/cancel", location)
    assert shop.state() == before
    response = member_browser.post(asked.action, follow_redirects=True)
    assert flashes(soup(response)) == [f"Order {order_id} is cancelled: 25.00 USD refunded."]
    assert shop.balance(shop.main) == 100_00


def test_the_cancel_confirmation_of_another_members_order_is_the_404_page(member_browser, shop):
    shop.deposit(shop.other_main, 10_00)
    theirs = shop.order(shop.other, shop.other_main, (shop.cup, 1))
    before = shop.state()
    response = member_browser.get(f"/orders/{theirs}/cancel/confirm")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert shop.state() == before


def test_cancel_refunds_once_and_a_second_cancel_moves_nothing(member_browser, shop):
    add(member_browser, shop.mug, 2)
    location = checkout(member_browser).headers["Location"]
    order_id = location.rsplit("/", 1)[1]
    member_browser.get(location)
    response = member_browser.post(f"{location}/cancel")
    assert response.status_code == 302
    assert response.headers["Location"] == location
    page = soup(member_browser.get(location))
    assert flashes(page) == [f"Order {order_id} is cancelled: 25.00 USD refunded."]
    assert page.select_one(".order-status").get_text(strip=True) == "Cancelled"
    assert page.find("form", action=f"{location}/cancel") is None
    assert shop.balance(shop.main) == 100_00
    assert shop.stock(shop.mug) == 5
    before = shop.state()
    again = member_browser.post(f"{location}/cancel")
    assert again.status_code == 302
    assert flashes(soup(member_browser.get(again.headers["Location"]))) == [
        "Only a paid order can be cancelled."
    ]
    assert shop.state() == before


def place_orders(shop: Shop, count: int) -> None:
    """`count` orders of one or two lines, through the API."""
    shop.deposit(shop.main, 1_000_00)
    shop.patch(shop.mug, stock=1000)
    shop.patch(shop.cup, stock=1000)
    for n in range(count):
        shop.order(shop.member, shop.main, *[(shop.mug, 1), (shop.cup, 2)][: 1 + n % 2])


def test_the_older_link_walks_every_order_once(member_browser, shop):
    place_orders(shop, 23)
    seen: list[str] = []
    url: str | None = "/orders"
    while url:
        page = soup(member_browser.get(url))
        seen += [row[0] for row in table_rows(page, "table.orders")]
        older = page.find("a", rel="next")
        url = older["href"] if older else None
    expected = [f"Order {o['id']}" for o in shop.orders()]
    assert len(seen) == 23 and seen == expected


def test_the_orders_page_runs_as_many_statements_for_25_orders_as_for_1(
    member_browser, shop, count_statements
):
    place_orders(shop, 1)
    member_browser.get("/orders")
    with count_statements() as one:
        assert member_browser.get("/orders").status_code == 200
    place_orders(shop, 24)
    member_browser.get("/orders")
    with count_statements() as many:
        page = soup(member_browser.get("/orders"))
    assert len(table_rows(page, "table.orders")) == 20
    assert many.count == one.count


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_browser(app, shop) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = soup(client.get("/login")).find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_checkout_without_the_csrf_token_places_nothing(csrf_browser, shop):
    form = soup(csrf_browser.get(f"/shop/{shop.mug}")).find("form", action="/cart/add")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    added = csrf_browser.post(
        "/cart/add", data={"product_id": shop.mug, "quantity": "1", "csrf_token": token}
    )
    assert added.status_code == 302
    fields = checkout_fields(csrf_browser)
    before = shop.state()
    for forged in ({}, {"csrf_token": "forged"}):
        data = {k: v for k, v in fields.items() if k != "csrf_token"} | forged
        response = csrf_browser.post("/cart/checkout", data=data)
        assert response.status_code == 400
        assert soup(response).select_one(".error-status").string == "400"
    assert shop.state() == before
    assert csrf_browser.post("/cart/checkout", data=fields).status_code == 302
    assert len(shop.orders()) == 1


def test_adding_to_the_cart_without_the_csrf_token_adds_nothing(csrf_browser, shop):
    response = csrf_browser.post("/cart/add", data={"product_id": shop.mug, "quantity": "1"})
    assert response.status_code == 400
    assert cart_lines(soup(csrf_browser.get("/cart"))) == []
