"""Bad input on purpose, through the pages: every form gets odd values (huge, empty, not a
number, "1e999999", "NaN") and every list odd cursors. Never a 5xx."""

from __future__ import annotations

import io
import random

import pytest
from sqlalchemy import select

from tests.support.clients import PASSWORD, bearer
from tests.support.pages import browser, soup
from webapp.infra.extensions import db
from webapp.models import Account, Order, Product, User

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"
NEW_PASSWORD = "staple-lantern-orbit"

NASTY = [
    "",
    " ",
    "a" * 300,
    "ünïcödé 李",
    "1",
    "abc",
    "12.50",
    "-5",
    "0",
    "9" * 40,
    "1e999999",
    "NaN",
    "Infinity",
    "-0",
    "0.001",
    "1" * 20,
    "x@y",
    "<b>",
]
FORMS = [
    ("/register", ["name", "email", "password", "confirm"]),
    ("/login", ["email", "password"]),
    ("/transfer", ["from_account", "to", "amount", "memo"]),
    ("/transfer/confirm", ["from_account", "to", "amount", "memo", "key"]),
    ("/requests", ["payer_email", "amount", "memo", "account_id"]),
    ("/requests/1/pay", ["from_account"]),
    ("/cart/add", ["product_id", "quantity"]),
    ("/cart/update", ["product_id", "quantity"]),
    ("/cart/remove", ["product_id"]),
    ("/cart/checkout", ["account", "key", "cart"]),
    ("/settings/profile", ["name"]),
    ("/settings/password", ["current_password", "new_password", "confirm"]),
    ("/admin/products", ["sku", "name", "description", "price", "currency", "stock"]),
    ("/admin/products/1", ["sku", "name", "description", "price", "stock", "is_active"]),
]
LISTS = ["/shop", "/orders", "/admin/orders", "/dashboard", "/accounts/1", "/admin/products"]


def test_no_form_or_list_query_makes_a_page_fail_with_a_5xx(app, client, admin):
    app.config["RATELIMIT_ENABLED"] = False
    client.post(
        "/api/v1/products", json={"sku": "P", "name": "P", "price": 100, "stock": 5}, headers=admin
    )
    assert (
        client.post("/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code
        == 302
    )
    rng = random.Random(20261124)
    for path, fields in FORMS:
        for _ in range(40):
            data = {field: rng.choice(NASTY) for field in fields if rng.random() < 0.85}
            response = client.post(path, data=data)
            assert response.status_code < 500, (path, data)
    for path in LISTS:
        for value in NASTY:
            response = client.get(path, query_string={"cursor": value, "status": value})
            assert response.status_code < 500, (path, value)


# --- a file where a text field is expected ------------------------------------------------
#
# Flask-WTF reads request.files into the form data, so a multipart POST with a file in a
# text field reaches the field as a FileStorage. It is a 400, and nothing changes.

NEW_EMAIL = "new@example.com"


def a_file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"x"), "x.txt"


def everything(app) -> dict[str, object]:
    """What any of these forms could change: users, balances, stock, orders."""
    with app.app_context():
        return {
            "users": db.session.execute(
                select(User.email, User.name, User.password_hash).order_by(User.id)
            ).all(),
            "balances": db.session.execute(
                select(Account.id, Account.balance).order_by(Account.id)
            ).all(),
            "stock": db.session.execute(select(Product.id, Product.stock)).all(),
            "orders": db.session.scalars(select(Order.id)).all(),
        }


def post_with_file(client, path: str, fields: dict[str, str], file_field: str):
    data: dict[str, object] = {**fields, file_field: a_file()}
    return client.post(path, data=data, content_type="multipart/form-data")


def assert_refused_as_400(response) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:2000]
    page = soup(response)
    assert page.select_one(".error-status").string == "400"
    assert "a file cannot be sent" in page.select_one(".error-page").get_text()
    assert page.select_one("header nav"), "the error page is in the site's layout"


@pytest.fixture
def seeded_ids(client, register, login, make_admin) -> dict[str, str]:
    """A member whose Main holds 100.00 USD, another member, and a product (5 in stock)."""
    register(EMAIL, "Member")
    register(OTHER_EMAIL, "Other")
    make_admin("admin@example.com")
    admin = bearer(login("admin@example.com"))
    main = client.get("/api/v1/accounts", headers=bearer(login(EMAIL))).get_json()["data"][0]
    other = client.get("/api/v1/accounts", headers=bearer(login(OTHER_EMAIL))).get_json()
    client.post(f"/api/v1/accounts/{main['id']}/deposits", json={"amount": 100_00}, headers=admin)
    product = client.post(
        "/api/v1/products",
        json={"sku": "MUG", "name": "Mug", "price": 100, "stock": 5},
        headers=admin,
    ).get_json()["data"]
    return {"main": main["id"], "other_main": other["data"][0]["id"], "product": product["id"]}


@pytest.mark.parametrize("file_field", ["email", "password"])
def test_a_file_in_the_login_form_is_a_400_and_logs_nobody_in(app, client, seeded_ids, file_field):
    fields = {"email": EMAIL, "password": PASSWORD}
    before = everything(app)
    assert_refused_as_400(post_with_file(client, "/login", fields, file_field))
    assert client.get("/dashboard").status_code == 302
    assert everything(app) == before


@pytest.mark.parametrize("file_field", ["name", "email", "password", "confirm"])
def test_a_file_in_the_register_form_is_a_400_and_registers_nobody(
    app, client, seeded_ids, file_field
):
    fields = {"name": "New", "email": NEW_EMAIL, "password": PASSWORD, "confirm": PASSWORD}
    before = everything(app)
    assert_refused_as_400(post_with_file(client, "/register", fields, file_field))
    assert client.get("/dashboard").status_code == 302
    assert everything(app) == before


@pytest.mark.parametrize("file_field", ["from_account", "to", "amount", "memo"])
def test_a_file_in_the_transfer_form_is_a_400_and_moves_no_money(app, seeded_ids, file_field):
    member_browser = browser(app)
    fields = {"from_account": seeded_ids["main"], "to": seeded_ids["other_main"], "amount": "12.50"}
    fields["memo"] = "rent"
    before = everything(app)
    assert_refused_as_400(post_with_file(member_browser, "/transfer", fields, file_field))
    assert everything(app) == before


def test_a_file_in_the_profile_form_is_a_400_and_renames_nobody(app, seeded_ids):
    member_browser = browser(app)
    before = everything(app)
    assert_refused_as_400(post_with_file(member_browser, "/settings/profile", {}, "name"))
    assert everything(app) == before


@pytest.mark.parametrize("file_field", ["current_password", "new_password", "confirm"])
def test_a_file_in_the_password_form_is_a_400_and_changes_no_password(app, seeded_ids, file_field):
    member_browser = browser(app)
    fields = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    before = everything(app)
    assert_refused_as_400(post_with_file(member_browser, "/settings/password", fields, file_field))
    assert everything(app) == before
    assert member_browser.get("/settings").status_code == 200, "the session is still on"


@pytest.mark.parametrize("file_field", ["product_id", "quantity"])
def test_a_file_in_the_add_to_cart_form_is_a_400_and_adds_nothing(app, seeded_ids, file_field):
    member_browser = browser(app)
    fields = {"product_id": seeded_ids["product"], "quantity": "1"}
    before = everything(app)
    assert_refused_as_400(post_with_file(member_browser, "/cart/add", fields, file_field))
    assert "Cart (" not in member_browser.get("/shop").get_data(as_text=True)
    assert member_browser.get("/cart").get_data(as_text=True).count("Your cart is empty.") == 1
    assert everything(app) == before
