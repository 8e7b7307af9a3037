"""`CartService`: a member's cart stored and kept, a visitor's handed in and back, and the
merge at login (quantities added, each line capped at MAX_QUANTITY, in one transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.cart_world import CartWorld, cart_world
from webapp.infra.extensions import db
from webapp.models import CartItem
from webapp.models.order import MAX_QUANTITY
from webapp.services.shop.cart import CartService
from webapp.services.shop.catalog import CatalogService

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def shop() -> CartWorld:
    """Mug: 5 in stock; cup: 2000."""
    return cart_world(mug_stock=5, cup_stock=2000)


def stored(user_id: int) -> dict[int, int]:
    """The member's rows, read fresh."""
    db.session.rollback()
    rows = db.session.scalars(select(CartItem).where(CartItem.user_id == user_id))
    return {row.product_id: row.quantity for row in rows}


def test_a_members_additions_are_stored_and_summed(shop):
    carts = CartService()
    assert carts.add(shop.member, {}, shop.mug, 2).problem is None
    change = carts.add(shop.member, {}, shop.mug, 1)
    assert (change.cart, change.problem) == ({shop.mug: 3}, None)
    assert stored(shop.member) == {shop.mug: 3}
    assert carts.quantity(shop.member) == 3
    assert stored(shop.other) == {}


def test_more_than_the_stock_is_refused_and_stores_nothing(shop):
    carts = CartService()
    carts.add(shop.member, {}, shop.mug, 4)
    change = carts.add(shop.member, {}, shop.mug, 2)
    assert change.problem == "The shop has only 5 in stock. Your cart holds 4."
    assert change.cart == {shop.mug: 4} == stored(shop.member)


def test_an_archived_product_cannot_be_added_and_shows_as_not_sold(shop):
    carts = CartService()
    carts.add(shop.member, {}, shop.mug, 1)
    CatalogService().archive(shop.admin, shop.mug)
    refused = carts.add(shop.member, {}, shop.mug, 1)
    assert refused.problem == "The product MUG is no longer sold."
    line = carts.view(shop.member, {}).check.line(shop.mug)
    assert (line.sold, line.problem) == (False, "The product MUG is no longer sold.")
    assert stored(shop.member) == {shop.mug: 1}


def test_a_visitors_cart_is_handed_back_and_nothing_is_stored(shop):
    carts = CartService()
    change = carts.add(None, {shop.cup: 1}, shop.mug, 2)
    assert change.cart == {shop.cup: 1, shop.mug: 2}
    assert carts.set_quantity(None, change.cart, shop.mug, 3).cart == {shop.cup: 1, shop.mug: 3}
    assert carts.remove(None, change.cart, shop.cup).cart == {shop.mug: 2}
    assert carts.remove(None, change.cart, 999999) is None
    assert db.session.scalars(select(CartItem)).all() == []


def test_setting_or_removing_a_line_the_cart_does_not_hold_changes_nothing(shop):
    carts = CartService()
    carts.add(shop.member, {}, shop.cup, 1)
    assert carts.set_quantity(shop.member, {}, shop.mug, 2) is None
    assert carts.remove(shop.member, {}, shop.mug) is None
    assert carts.remove(shop.member, {}, shop.cup).cart == {}
    assert stored(shop.member) == {}


def test_the_merge_adds_quantities_caps_each_line_and_keeps_the_stored_order(shop):
    carts = CartService()
    carts.add(shop.member, {}, shop.cup, MAX_QUANTITY - 10)
    carts.add(shop.member, {}, shop.mug, 1)
    merged = carts.merge_at_login(shop.member, {shop.mug: 2, shop.cup: 50})
    assert list(merged.items()) == [(shop.cup, MAX_QUANTITY), (shop.mug, 3)]
    assert stored(shop.member) == merged


def test_the_merge_keeps_an_archived_product_and_drops_an_unknown_one(shop):
    CatalogService().archive(shop.admin, shop.mug)
    merged = CartService().merge_at_login(shop.member, {shop.mug: 1, 999999: 2, shop.cup: 1})
    assert merged == {shop.mug: 1, shop.cup: 1} == stored(shop.member)
