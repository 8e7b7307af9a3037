"""Bad input on purpose, through the pages: every form gets odd values (huge, empty, not a
number, "1e999999", "NaN") and every list odd cursors. Never a 5xx."""

from __future__ import annotations

import random

from clients import PASSWORD

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
