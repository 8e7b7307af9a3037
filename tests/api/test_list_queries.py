"""List queries: the page size is bounded by the constant the catalog cache is sized by,
and a cursor too long to be one of ours is a malformed cursor (400), like any other."""

from __future__ import annotations

import pytest

from tests.support.envelopes import assert_error, assert_success
from webapp.repositories.keyset import MAX_CURSOR_LENGTH
from webapp.services.shop.catalog import MAX_PAGE_SIZE


def test_the_largest_page_is_served_and_one_more_is_refused(client):
    assert assert_success(client.get(f"/api/v1/products?limit={MAX_PAGE_SIZE}")) == []
    error = assert_error(
        client.get(f"/api/v1/products?limit={MAX_PAGE_SIZE + 1}"), 422, "VALIDATION_ERROR"
    )
    assert "limit" in error["details"]


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/orders", "/api/v1/users"])
def test_an_overlong_cursor_is_a_malformed_cursor(client, admin, path):
    cursor = "A" * (MAX_CURSOR_LENGTH + 1)
    assert_error(client.get(f"{path}?cursor={cursor}", headers=admin), 400, "BAD_REQUEST")
