"""The admin shop pages: running the catalog (create, edit, archive) and seeing every order.

What the pages change is read back through the API and the public shop pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.clients import PASSWORD, bearer
from tests.support.pages import (
    all_field_errors,
    browser,
    confirm_url_of,
    confirmation_page,
    flashes,
    soup,
    table_rows,
)
from webapp.core.money import NOT_AN_AMOUNT
from webapp.models.order import ORDER_STATUSES
from webapp.repositories.users import UserRepository

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"
ADMIN_EMAIL = "admin@example.com"
TIMES = "\N{MULTIPLICATION SIGN}"  # between quantity and name in item summaries


def data(response, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["data"]


@pytest.fixture
def tokens(client, register, login, make_admin) -> dict[str, dict[str, str]]:
    register(EMAIL, "Member")
    register(OTHER_EMAIL, "Other")
    make_admin(ADMIN_EMAIL)
    return {
        "admin": bearer(login(ADMIN_EMAIL)),
        "member": bearer(login(EMAIL)),
        "other": bearer(login(OTHER_EMAIL)),
    }


@pytest.fixture
def admin_browser(app, tokens) -> FlaskClient:
    return browser(app, ADMIN_EMAIL)


@pytest.fixture
def member_browser(app, tokens) -> FlaskClient:
    return browser(app, EMAIL)


def products(client: FlaskClient, tokens) -> list[dict[str, Any]]:
    """Every product, archived too, as the API has it now."""
    url = "/api/v1/products?includeArchived=true&limit=100"
    return data(client.get(url, headers=tokens["admin"]))


def api_product(client: FlaskClient, tokens, **fields: Any) -> dict[str, Any]:
    body = {"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5, **fields}
    return data(client.post("/api/v1/products", json=body, headers=tokens["admin"]), 201)


def create(client: FlaskClient, **fields: str):
    form = {
        "sku": "MUG",
        "name": "Mug",
        "description": "Holds tea.",
        "price": "12.50",
        "currency": "USD",
        "stock": "5",
    }
    return client.post("/admin/products", data={**form, **fields})


def edit(client: FlaskClient, product_id: str, **fields: str):
    """Send the edit form as the page fills it in, with `fields` changed."""
    form = soup(client.get(f"/admin/products/{product_id}")).find(
        "form", action=f"/admin/products/{product_id}"
    )
    sent = {
        i["name"]: i.get("value", "") for i in form.find_all("input") if i["type"] != "checkbox"
    }
    sent["description"] = form.find("textarea").get_text()
    if form.find("input", attrs={"name": "is_active"}).has_attr("checked"):
        sent["is_active"] = "y"
    sent.update(fields)
    if sent.get("is_active") == "":
        del sent["is_active"]
    return client.post(f"/admin/products/{product_id}", data=sent)


def shop_rows(client: FlaskClient) -> list[list[str]]:
    return table_rows(soup(client.get("/shop")), "table.products")


# --- who may --------------------------------------------------------------------------------


ADMIN_PAGES = ["/admin/products", "/admin/orders", "/admin/products/{id}"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_member_gets_the_403_page(member_browser, client, tokens, path):
    product = api_product(client, tokens)
    response = member_browser.get(path.format(id=product["id"]))
    assert response.status_code == 403
    assert soup(response).select_one(".error-status").string == "403"
    assert "Mug" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_anonymous_visitor_is_sent_to_login(app, client, tokens, path):
    product = api_product(client, tokens)
    url = path.format(id=product["id"])
    response = app.test_client().get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_member_cannot_create_edit_or_archive(member_browser, client, tokens):
    product = api_product(client, tokens)
    before = products(client, tokens)
    assert create(member_browser, sku="NEW").status_code == 403
    url = f"/admin/products/{product['id']}"
    form = {"sku": "MUG", "name": "Stolen", "price": "0.01", "stock": "5", "is_active": "y"}
    assert member_browser.post(url, data=form).status_code == 403
    assert member_browser.post(f"{url}/archive").status_code == 403
    anonymous = member_browser.application.test_client()
    assert anonymous.post(f"{url}/archive").headers["Location"].startswith("/login?next=")
    assert anonymous.post("/admin/products", data=form).headers["Location"].startswith("/login")
    assert products(client, tokens) == before


def test_only_admins_see_the_admin_links(admin_browser, member_browser):
    admin_nav = soup(admin_browser.get("/shop")).select_one("header nav")
    assert admin_nav.find("a", href="/admin").string == "Admin"
    section = soup(admin_browser.get("/admin")).select_one("header nav.subnav")
    assert section.find("a", href="/admin/products").string == "Products"
    assert section.find("a", href="/admin/orders").string == "Orders"
    member_page = soup(member_browser.get("/shop"))
    assert member_page.select("header a[href^='/admin']") == []


# --- products -------------------------------------------------------------------------------


def test_the_products_page_lists_every_product_with_archived_ones(admin_browser, client, tokens):
    api_product(client, tokens)
    old = api_product(client, tokens, sku="OLD", name="Old thing", price=1_00, currency="EUR")
    client.delete(f"/api/v1/products/{old['id']}", headers=tokens["admin"])
    response = admin_browser.get("/admin/products")
    assert response.status_code == 200
    page = soup(response)
    rows = table_rows(page, "table.admin-products")
    assert [row[:5] for row in rows] == [
        ["MUG", "Mug", "12.50 USD", "5", "Active"],
        ["OLD", "Old thing", "1.00 EUR", "5", "Archived"],
    ]
    form = page.find("form", action="/admin/products")
    for name in ("sku", "name", "description", "price", "currency", "stock"):
        control = form.find(attrs={"name": name})
        assert form.find("label", attrs={"for": control["id"]}), name
    currencies = [o["value"] for o in form.select("select[name=currency] option")]
    assert currencies == ["AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "USD"]


def test_a_created_product_is_in_the_shop_at_once(admin_browser, client, tokens):
    api_product(client, tokens, sku="CUP", name="Cup", price=3_00)
    assert [row[0] for row in shop_rows(client)] == ["Cup"]  # the catalog head is cached now
    response = create(admin_browser)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/products"
    assert flashes(soup(admin_browser.get("/admin/products"))) == ["Product MUG is created."]
    assert shop_rows(client) == [["Cup", "CUP", "3.00 USD", "5"], ["Mug", "MUG", "12.50 USD", "5"]]
    created = products(client, tokens)[1]
    assert (created["price"], created["currency"], created["description"]) == (
        12_50,
        "USD",
        "Holds tea.",
    )


def test_a_price_is_read_in_the_chosen_currency(admin_browser, client, tokens):
    assert create(admin_browser, price="1200", currency="JPY").status_code == 302
    assert (products(client, tokens)[0]["price"], products(client, tokens)[0]["currency"]) == (
        1200,
        "JPY",
    )
    page = soup(create(admin_browser, sku="YEN", price="12.5", currency="JPY"))
    assert all_field_errors(page) == {"price": ["The amount has more than 0 decimal places."]}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"price": "12.505"}, "price", "The amount has more than 2 decimal places."),
        ({"price": "abc"}, "price", NOT_AN_AMOUNT),
        # "12,5" once priced the product at 125.00.
        ({"price": "12,5"}, "price", NOT_AN_AMOUNT),
        ({"price": "1,250.00"}, "price", NOT_AN_AMOUNT),
        ({"price": "1.2e1"}, "price", NOT_AN_AMOUNT),
        ({"price": "0"}, "price", "Enter an amount between 0.01 USD and 10000000000.00 USD."),
        ({"price": "-1"}, "price", NOT_AN_AMOUNT),
        ({"price": ""}, "price", "This field is required."),
        ({"sku": ""}, "sku", "This field is required."),
        ({"sku": "has space"}, "sku", "The SKU must be 1 to 64 letters, digits, '.', '_' or '-'."),
        ({"name": ""}, "name", "This field is required."),
        ({"stock": "-1"}, "stock", "The stock must be between 0 and 1000000000."),
        ({"stock": "many"}, "stock", "Not a valid integer value."),
        ({"currency": "XXX"}, "currency", "Not a valid choice."),
    ],
)
def test_bad_product_fields_are_refused_on_their_field(
    admin_browser, client, tokens, fields, field, message
):
    response = create(admin_browser, **fields)
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {field: [message]}
    assert page.find(attrs={"name": field}).get("aria-invalid") == "true"
    assert products(client, tokens) == []
    if field != "sku":
        assert page.find("input", attrs={"name": "sku"})["value"] == "MUG"


def test_a_duplicate_sku_is_refused_on_the_sku_field(admin_browser, client, tokens):
    api_product(client, tokens)
    before = products(client, tokens)
    page = soup(create(admin_browser, name="Another mug"))
    assert all_field_errors(page) == {"sku": ["This SKU is already used by another product."]}
    assert products(client, tokens) == before


def test_the_edit_form_is_filled_in_with_the_product(admin_browser, client, tokens):
    product = api_product(client, tokens, description="Holds tea.")
    response = admin_browser.get(f"/admin/products/{product['id']}")
    assert response.status_code == 200
    form = soup(response).find("form", action=f"/admin/products/{product['id']}")
    values = {i["name"]: i.get("value") for i in form.find_all("input") if i["type"] != "hidden"}
    assert values == {"sku": "MUG", "name": "Mug", "price": "12.50", "stock": "5", "is_active": "y"}
    assert form.find("input", attrs={"name": "is_active"}).has_attr("checked")
    assert form.find("textarea").get_text(strip=True) == "Holds tea."
    for control in form.find_all(["input", "textarea"]):
        if control["type" if control.name == "input" else "name"] != "hidden":
            assert form.find("label", attrs={"for": control["id"]}), control["name"]


def test_an_edit_is_in_the_shop_at_once(admin_browser, client, tokens):
    product = api_product(client, tokens)
    assert shop_rows(client) == [["Mug", "MUG", "12.50 USD", "5"]]
    assert client.get(f"/shop/{product['id']}").status_code == 200  # cached
    response = edit(admin_browser, product["id"], name="Big mug", price="9.99", stock="7")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/products/{product['id']}"
    assert flashes(soup(admin_browser.get(response.headers["Location"]))) == [
        "Product MUG is saved."
    ]
    assert shop_rows(client) == [["Big mug", "MUG", "9.99 USD", "7"]]
    page = soup(client.get(f"/shop/{product['id']}"))
    assert page.h1.get_text(strip=True) == "Big mug"
    assert page.select_one(".price").get_text(strip=True) == "9.99 USD"


def test_unticking_active_takes_the_product_out_of_the_shop_and_ticking_brings_it_back(
    admin_browser, client, tokens
):
    product = api_product(client, tokens)
    assert len(shop_rows(client)) == 1
    assert edit(admin_browser, product["id"], is_active="").status_code == 302
    assert shop_rows(client) == []
    assert client.get(f"/shop/{product['id']}").status_code == 404
    assert edit(admin_browser, product["id"], is_active="y").status_code == 302
    assert shop_rows(client) == [["Mug", "MUG", "12.50 USD", "5"]]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"price": "12.505"}, "price", "The amount has more than 2 decimal places."),
        ({"price": "0"}, "price", "Enter an amount between 0.01 USD and 10000000000.00 USD."),
        ({"sku": ""}, "sku", "This field is required."),
        ({"sku": "CUP"}, "sku", "This SKU is already used by another product."),
        ({"name": "   "}, "name", "The name must be 1 to 200 characters."),
    ],
)
def test_a_bad_edit_is_refused_on_its_field_and_changes_nothing(
    admin_browser, client, tokens, fields, field, message
):
    product = api_product(client, tokens)
    api_product(client, tokens, sku="CUP", name="Cup")
    before = products(client, tokens)
    response = edit(admin_browser, product["id"], **fields)
    assert response.status_code == 200
    assert all_field_errors(soup(response)) == {field: [message]}
    assert products(client, tokens) == before


def test_editing_an_unknown_product_is_the_404_page(admin_browser):
    assert admin_browser.get("/admin/products/999999").status_code == 404
    form = {"sku": "X", "name": "X", "price": "1", "stock": "1"}
    assert admin_browser.post("/admin/products/999999", data=form).status_code == 404
    assert admin_browser.post("/admin/products/999999/archive").status_code == 404


def test_archiving_asks_first_naming_the_product_and_the_asking_keeps_it_on_sale(
    admin_browser, client, tokens
):
    product = api_product(client, tokens)
    url = confirm_url_of(soup(admin_browser.get(f"/admin/products/{product['id']}")), "Archive")
    asked = confirmation_page(admin_browser, url)
    assert asked.heading == f"Archive {product['name']}?"
    assert f"SKU {product['sku']}" in asked.text
    assert (asked.action, asked.back) == (
        f"/admin/products/{product['id']}/archive",
        "/admin/products",
    )
    assert [row[0] for row in shop_rows(client)] == [product["name"]]
    assert admin_browser.get("/admin/products/999999/archive/confirm").status_code == 404


def test_archiving_takes_the_product_out_of_the_shop_at_once(admin_browser, client, tokens):
    product = api_product(client, tokens)
    api_product(client, tokens, sku="CUP", name="Cup")
    assert len(shop_rows(client)) == 2
    page = soup(admin_browser.get("/admin/products"))
    button = page.find("a", href=f"/admin/products/{product['id']}/archive/confirm")
    assert button.string == "Archive"
    response = admin_browser.post(f"/admin/products/{product['id']}/archive")
    assert response.status_code == 302
    page = soup(admin_browser.get(response.headers["Location"]))
    assert flashes(page) == ["The product is archived: it is no longer sold."]
    assert [row[4] for row in table_rows(page, "table.admin-products")] == ["Archived", "Active"]
    assert page.find("a", href=f"/admin/products/{product['id']}/archive/confirm") is None
    assert [row[0] for row in shop_rows(client)] == ["Cup"]
    assert client.get(f"/shop/{product['id']}").status_code == 404
    assert [p["isActive"] for p in products(client, tokens)] == [False, True]


# --- orders ---------------------------------------------------------------------------------


def main_of(client: FlaskClient, headers: dict[str, str]) -> str:
    return data(client.get("/api/v1/accounts", headers=headers))[0]["id"]


def fund(client: FlaskClient, tokens, who: str, amount: int = 1_000_00) -> str:
    account = main_of(client, tokens[who])
    url = f"/api/v1/accounts/{account}/deposits"
    data(client.post(url, json={"amount": amount}, headers=tokens["admin"]), 201)
    return account


def place(client: FlaskClient, tokens, who: str, account: str, *lines: tuple[str, int]) -> str:
    body = {"accountId": account, "items": [{"productId": p, "quantity": q} for p, q in lines]}
    return data(client.post("/api/v1/orders", json=body, headers=tokens[who]), 201)["id"]


def user_id(client: FlaskClient, headers: dict[str, str]) -> str:
    return data(client.get("/api/v1/users/me", headers=headers))["id"]


def test_the_orders_page_lists_everyones_orders_with_their_buyer(admin_browser, client, tokens):
    mug = api_product(client, tokens, stock=100)["id"]
    cup = api_product(client, tokens, sku="CUP", name="Cup", price=3_00, stock=100)["id"]
    mine = place(client, tokens, "member", fund(client, tokens, "member"), (mug, 2))
    theirs = place(client, tokens, "other", fund(client, tokens, "other"), (cup, 1), (mug, 1))
    client.post(f"/api/v1/orders/{mine}/cancel", headers=tokens["member"])
    response = admin_browser.get("/admin/orders")
    assert response.status_code == 200
    page = soup(response)
    rows = [[row[0], *row[2:]] for row in table_rows(page, "table.admin-orders")]
    member_id, other_id = user_id(client, tokens["member"]), user_id(client, tokens["other"])
    assert rows == [
        [
            f"Order {theirs}",
            f"Other {OTHER_EMAIL}",
            "Paid",
            f"1 {TIMES} Cup, 1 {TIMES} Mug",
            "15.50 USD",
        ],
        [f"Order {mine}", f"Member {EMAIL}", "Cancelled", f"2 {TIMES} Mug", "25.00 USD"],
    ]
    links = [a["href"] for a in page.select("table.admin-orders a")]
    assert links == [
        f"/orders/{theirs}",
        f"/admin/users/{other_id}",
        f"/orders/{mine}",
        f"/admin/users/{member_id}",
    ]
    assert not re.search(r"Member \d", page.select_one("table.admin-orders").get_text(" "))
    status = page.find("select", attrs={"name": "status"})
    assert page.find("label", attrs={"for": status["id"]}).string == "Status"


def test_a_buyer_no_user_row_holds_is_named_by_number_not_a_500(
    admin_browser, client, tokens, monkeypatch
):
    mug = api_product(client, tokens, stock=100)["id"]
    place(client, tokens, "member", fund(client, tokens, "member"), (mug, 1))
    gone = int(user_id(client, tokens["member"]))
    found = UserRepository.names_by_ids

    # The schema keeps a buyer's row (RESTRICT); the page still copes should it ever go.
    def without_the_buyer(repository: UserRepository, ids: Any) -> dict[int, tuple[str, str]]:
        return {k: v for k, v in found(repository, ids).items() if k != gone}

    monkeypatch.setattr(UserRepository, "names_by_ids", without_the_buyer)
    response = admin_browser.get("/admin/orders")
    assert response.status_code == 200
    rows = table_rows(soup(response), "table.admin-orders")
    assert rows[0][2] == f"Member #{gone} (deleted)"


def orders_page_statements(count_statements: Callable[[], Any], client: FlaskClient) -> int:
    assert client.get("/admin/orders").status_code == 200  # warm: the session touched
    with count_statements() as counter:
        assert client.get("/admin/orders").status_code == 200
    return counter.count


def test_the_orders_page_runs_the_same_statements_for_few_or_many_orders_and_buyers(
    app, admin_browser, client, tokens, count_statements
):
    mug = api_product(client, tokens, price=1_00, stock=1_000)["id"]
    accounts = {who: fund(client, tokens, who, 1_000_00) for who in ("member", "other")}
    place(client, tokens, "member", accounts["member"], (mug, 1))
    few = orders_page_statements(count_statements, admin_browser)
    for n in range(19):
        who = ("member", "other")[n % 2]
        place(client, tokens, who, accounts[who], (mug, 1))
    many = orders_page_statements(count_statements, admin_browser)
    assert many == few
    assert few <= 4


def test_the_status_filter_offers_every_order_status(admin_browser):
    options = soup(admin_browser.get("/admin/orders")).select("select[name=status] option")
    assert [o["value"] for o in options] == ["", *ORDER_STATUSES]


@pytest.mark.parametrize(("status", "expected"), [("paid", "Paid"), ("cancelled", "Cancelled")])
def test_the_orders_page_filters_by_status(admin_browser, client, tokens, status, expected):
    mug = api_product(client, tokens, stock=100)["id"]
    account = fund(client, tokens, "member")
    first = place(client, tokens, "member", account, (mug, 1))
    place(client, tokens, "member", account, (mug, 1))
    client.post(f"/api/v1/orders/{first}/cancel", headers=tokens["member"])
    page = soup(admin_browser.get(f"/admin/orders?status={status}"))
    assert [row[3] for row in table_rows(page, "table.admin-orders")] == [expected]
    selected = page.select_one("select[name=status] option[selected]")
    assert selected["value"] == status


def test_an_unknown_status_filter_is_shown_on_the_filter(admin_browser, client, tokens):
    response = admin_browser.get("/admin/orders?status=lost")
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {"status": ["Not a valid choice."]}
    assert page.select("table.admin-orders") == []


def test_the_older_link_keeps_the_status_filter(admin_browser, client, tokens):
    mug = api_product(client, tokens, price=1_00, stock=100)["id"]
    account = fund(client, tokens, "member")
    for _ in range(22):
        place(client, tokens, "member", account, (mug, 1))
    page = soup(admin_browser.get("/admin/orders?status=paid"))
    older = page.find("a", rel="next")
    assert "status=paid" in older["href"] and "cursor=" in older["href"]
    second = soup(admin_browser.get(older["href"]))
    assert len(table_rows(page, "table.admin-orders")) == 20
    assert len(table_rows(second, "table.admin-orders")) == 2


def test_an_admin_opens_and_cancels_a_members_order(admin_browser, client, tokens):
    mug = api_product(client, tokens)["id"]
    account = fund(client, tokens, "member", 100_00)
    order_id = place(client, tokens, "member", account, (mug, 2))
    page = soup(admin_browser.get(f"/orders/{order_id}"))
    assert table_rows(page, "table.order-items") == [["MUG", "Mug", "2", "12.50 USD", "25.00 USD"]]
    response = admin_browser.post(f"/orders/{order_id}/cancel")
    assert response.status_code == 302
    page = soup(admin_browser.get(response.headers["Location"]))
    assert flashes(page) == [f"Order {order_id} is cancelled: 25.00 USD refunded."]
    balance = data(client.get(f"/api/v1/accounts/{account}", headers=tokens["member"]))["balance"]
    assert balance == 100_00
    assert products(client, tokens)[0]["stock"] == 5


def test_the_orders_page_runs_as_many_statements_for_25_orders_as_for_1(
    admin_browser, client, tokens, count_statements
):
    mug = api_product(client, tokens, price=1_00, stock=1000)["id"]
    cup = api_product(client, tokens, sku="CUP", name="Cup", price=2_00, stock=1000)["id"]
    accounts = {who: fund(client, tokens, who) for who in ("member", "other")}
    place(client, tokens, "member", accounts["member"], (mug, 1))
    admin_browser.get("/admin/orders")
    with count_statements() as one:
        assert admin_browser.get("/admin/orders").status_code == 200
    for n in range(24):
        who = ("member", "other")[n % 2]
        place(client, tokens, who, accounts[who], *[(mug, 1), (cup, 2)][: 1 + n % 2])
    admin_browser.get("/admin/orders")
    with count_statements() as many:
        page = soup(admin_browser.get("/admin/orders"))
    assert len(table_rows(page, "table.admin-orders")) == 20
    assert many.count == one.count


# --- CSRF -----------------------------------------------------------------------------------


def test_creating_a_product_needs_the_csrf_token(app, client, tokens):
    app.config["WTF_CSRF_ENABLED"] = True
    admin = app.test_client()
    token = soup(admin.get("/login")).find("input", attrs={"name": "csrf_token"})["value"]
    login = {"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token}
    assert admin.post("/login", data=login).status_code == 302
    for forged in ({}, {"csrf_token": "forged"}):
        response = create(admin, **forged)
        assert response.status_code == 400
        assert soup(response).select_one(".error-status").string == "400"
    assert products(client, tokens) == []
    form = soup(admin.get("/admin/products")).find("form", action="/admin/products")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    assert create(admin, csrf_token=token).status_code == 302
    assert [p["sku"] for p in products(client, tokens)] == ["MUG"]
