"""Bad input on purpose, everywhere: every field of every write endpoint and every list
filter gets wrong types, huge numbers, odd strings and ids that do not exist. Whatever
comes in, the answer is an envelope and never a 5xx."""

from __future__ import annotations

import random

import pytest

from tests.support.clients import bearer

NASTY = [
    None,
    True,
    False,
    0,
    -1,
    1,
    10**30,
    -(10**30),
    1.5,
    "",
    " ",
    "a" * 300,
    "ünïcödé 李",
    "1",
    "abc",
    "12.50",
    [],
    {},
    [1],
    {"a": 1},
    "9" * 40,
    "0",
    "-5",
    "\u202e",
    "<script>",
]
WRITES = [
    ("post", "/api/v1/auth/register", ["email", "password", "name"]),
    ("post", "/api/v1/auth/login", ["email", "password"]),
    ("post", "/api/v1/auth/refresh", ["refreshToken"]),
    ("post", "/api/v1/auth/logout", ["refreshToken"]),
    ("patch", "/api/v1/users/me", ["name", "currentPassword", "newPassword"]),
    ("patch", "/api/v1/users/{user}", ["roles", "isActive", "name"]),
    ("post", "/api/v1/accounts", ["name", "currency"]),
    ("post", "/api/v1/accounts/{account}/deposits", ["amount", "memo"]),
    ("post", "/api/v1/transfers", ["fromAccountId", "toAccountId", "amount", "memo"]),
    ("post", "/api/v1/products", ["sku", "name", "description", "price", "currency", "stock"]),
    (
        "patch",
        "/api/v1/products/{product}",
        ["sku", "name", "description", "price", "stock", "isActive"],
    ),
    ("post", "/api/v1/orders", ["accountId", "items"]),
]
LISTS = [
    "/api/v1/users",
    "/api/v1/accounts",
    "/api/v1/products",
    "/api/v1/orders",
    "/api/v1/accounts/{account}/transactions",
]
QUERY_NAMES = ["limit", "cursor", "q", "role", "userId", "status", "includeArchived", "include"]
QUERY_VALUES = [
    "",
    "0",
    "-1",
    "101",
    "abc",
    "true",
    "admin",
    "paid",
    "9" * 20,
    "orders",
    "WzJd",
    "%25",
    "1",
    "%E2%80%AE",
]


@pytest.fixture
def world(app, client, register, login, admin):
    app.config["RATELIMIT_ENABLED"] = False  # hundreds of requests from one client
    register("member@example.com", "Member")
    member = bearer(login("member@example.com"))
    account = client.get("/api/v1/accounts", headers=member).get_json()["data"][0]["id"]
    user = client.get("/api/v1/users/me", headers=member).get_json()["data"]["id"]
    product = client.post(
        "/api/v1/products", json={"sku": "P", "name": "P", "price": 100, "stock": 5}, headers=admin
    ).get_json()["data"]["id"]
    client.post(f"/api/v1/accounts/{account}/deposits", json={"amount": 100_000}, headers=admin)
    return {"member": member, "admin": admin, "account": account, "user": user, "product": product}


def assert_enveloped(response, request) -> None:
    assert response.status_code < 500, (request, response.get_data(as_text=True))
    if response.status_code != 204:
        body = response.get_json()
        assert set(body) in ({"data", "meta"}, {"error", "meta"}), request


def test_no_body_makes_a_write_endpoint_fail_with_a_5xx(client, world):
    rng = random.Random(20261124)
    ids = {k: world[k] for k in ("account", "user", "product")}
    for method, template, fields in WRITES:
        path = template.format(**ids)
        for _ in range(60):
            body = {field: rng.choice(NASTY) for field in fields if rng.random() < 0.8}
            if "items" in body and rng.random() < 0.5:
                body["items"] = [
                    {
                        "productId": rng.choice([world["product"], "x", 5, None]),
                        "quantity": rng.choice(NASTY),
                    }
                ]
            for headers in (world["member"], world["admin"]):
                response = getattr(client, method)(path, json=body, headers=headers)
                assert_enveloped(response, (method, path, body))


def test_no_query_makes_a_list_fail_with_a_5xx(client, world):
    rng = random.Random(20261125)
    for template in LISTS:
        path = template.format(account=world["account"])
        for _ in range(40):
            query = "&".join(
                f"{name}={rng.choice(QUERY_VALUES)}" for name in rng.sample(QUERY_NAMES, 3)
            )
            for headers in (world["member"], world["admin"]):
                response = client.get(f"{path}?{query}", headers=headers)
                assert_enveloped(response, (path, query))
