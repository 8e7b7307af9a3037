"""The API reads JSON bodies only: a form post, with or without a file in it, is 415 on
every write endpoint (whoever sends it), and nothing is written."""

from __future__ import annotations

from io import BytesIO

import pytest

from tests.support.clients import bearer
from tests.support.envelopes import assert_error, assert_success


@pytest.fixture
def world(client, admin, register, login):
    register("member@example.com", "Member")
    member = bearer(login("member@example.com"))
    account = assert_success(client.get("/api/v1/accounts", headers=member))[0]
    product = assert_success(
        client.post(
            "/api/v1/products", json={"sku": "MUG", "name": "Mug", "price": 100}, headers=admin
        ),
        201,
    )
    return {"admin": admin, "member": member, "account": account, "product": product}


def form(with_file: bool) -> dict[str, object]:
    fields: dict[str, object] = {"name": "Renamed", "price": "1", "amount": "100"}
    if with_file:
        fields["file"] = (BytesIO(b"\x89PNG\r\n\x1a\n not really"), "picture.png", "image/png")
    return fields


# (method, path template, who sends it)
WRITES = [
    ("post", "/api/v1/auth/login", None),
    ("post", "/api/v1/products", "admin"),
    ("patch", "/api/v1/products/{product}", "admin"),
    ("post", "/api/v1/accounts/{account}/deposits", "admin"),
    ("post", "/api/v1/transfers", "member"),
    ("post", "/api/v1/orders", "member"),
    ("patch", "/api/v1/users/me", "member"),
]


def snapshot(client, world) -> tuple[object, ...]:
    admin, member = world["admin"], world["member"]
    return (
        assert_success(client.get("/api/v1/products?includeArchived=true", headers=admin)),
        assert_success(client.get(f"/api/v1/accounts/{world['account']['id']}", headers=admin)),
        assert_success(client.get("/api/v1/users/me", headers=member)),
        assert_success(client.get("/api/v1/orders", headers=admin)),
    )


@pytest.mark.parametrize("with_file", [False, True], ids=["fields", "fields-and-a-file"])
@pytest.mark.parametrize(("method", "template", "who"), WRITES, ids=[w[1] for w in WRITES])
def test_a_multipart_body_is_415_and_writes_nothing(
    client, world, method, template, who, with_file
):
    path = template.format(product=world["product"]["id"], account=world["account"]["id"])
    headers = world[who] if who else {}
    before = snapshot(client, world)

    response = getattr(client, method)(
        path, data=form(with_file), content_type="multipart/form-data", headers=headers
    )

    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert snapshot(client, world) == before


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_other_non_json_bodies_are_415_too(client, world, content_type):
    path = f"/api/v1/products/{world['product']['id']}"
    response = client.patch(path, data="price=1", content_type=content_type, headers=world["admin"])
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert assert_success(client.get(path))["price"] == 100
