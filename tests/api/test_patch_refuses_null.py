"""PATCH means "change what is sent": a field left out is left alone, and `null` for a
field that cannot be null is a 422 naming that field, never silently read as "leave it".
Nothing of the request is applied, not even its valid parts."""

from __future__ import annotations

import pytest

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success

NEW_PASSWORD = "a-brand-new-passphrase"

# (endpoint, field sent as null, a valid change sent alongside it)
NON_NULLABLE = [
    pytest.param(endpoint, field, change, id=f"{endpoint}-{field}")
    for endpoint, field, change in [
        ("product", "sku", {"stock": 7}),
        ("product", "name", {"stock": 7}),
        ("product", "description", {"stock": 7}),
        ("product", "price", {"stock": 7}),
        ("product", "stock", {"price": 99}),
        ("product", "isActive", {"stock": 7}),
        ("me", "name", {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
        ("me", "currentPassword", {"name": "Renamed"}),
        ("me", "newPassword", {"name": "Renamed"}),
        ("user", "roles", {"name": "Renamed"}),
        ("user", "isActive", {"name": "Renamed"}),
        ("user", "name", {"isActive": False}),
    ]
]


@pytest.fixture
def world(client, admin, register, login):
    member = register("member@example.com", "Member")
    product = assert_success(
        client.post(
            "/api/v1/products",
            json={"sku": "MUG", "name": "Mug", "description": "A mug", "price": 1250, "stock": 5},
            headers=admin,
        ),
        201,
    )
    return {
        "admin": admin,
        "member": bearer(login("member@example.com")),
        "paths": {
            "product": f"/api/v1/products/{product['id']}",
            "me": "/api/v1/users/me",
            "user": f"/api/v1/users/{member['id']}",
        },
    }


def caller(world, endpoint: str) -> dict[str, str]:
    return world["member"] if endpoint == "me" else world["admin"]


@pytest.mark.parametrize("with_valid_change", [False, True], ids=["alone", "with-a-valid-change"])
@pytest.mark.parametrize(("endpoint", "field", "change"), NON_NULLABLE)
def test_patch_refuses_null_and_changes_nothing(
    client, login, world, endpoint, field, change, with_valid_change
):
    path, headers = world["paths"][endpoint], caller(world, endpoint)
    before = assert_success(client.get(path, headers=headers))
    body = {**(change if with_valid_change else {}), field: None}

    error = assert_error(client.patch(path, json=body, headers=headers), 422, "VALIDATION_ERROR")

    assert field in error["details"]
    assert assert_success(client.get(path, headers=headers)) == before
    if endpoint == "me":
        assert login("member@example.com", PASSWORD)["accessToken"]  # the password is unchanged


@pytest.mark.parametrize(
    ("endpoint", "change", "kept"),
    [
        ("product", {"stock": 7}, ("sku", "name", "description", "price", "isActive")),
        ("me", {"name": "Renamed"}, ("email", "roles", "isActive")),
        ("user", {"name": "Renamed"}, ("email", "roles", "isActive")),
    ],
    ids=["product", "me", "user"],
)
def test_patch_leaves_every_field_it_does_not_send(client, world, endpoint, change, kept):
    path, headers = world["paths"][endpoint], caller(world, endpoint)
    before = assert_success(client.get(path, headers=headers))

    after = assert_success(client.patch(path, json=change, headers=headers))

    assert {k: after[k] for k in change} == change
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
