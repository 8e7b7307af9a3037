"""`OrderService.checkout`: the cart as a page showed it becomes one order, once per form."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.support.clients import PASSWORD
from webapp.core.errors import CartChanged, InsufficientFunds
from webapp.infra.extensions import db
from webapp.models import Account, IdempotencyKey, Order, Product
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.services.shop.cart import CartService
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService

pytestmark = pytest.mark.usefixtures("app_context")


@dataclass(frozen=True)
class Shop:
    buyer: Principal
    account_id: int
    mug: int
    cup: int


@pytest.fixture
def shop() -> Shop:
    """A buyer with 100.00 USD, and two products of ten each: a mug at 12.50, a cup at 3.00."""
    auth = AuthService()
    admin_id = (
        RegistrationService()
        .create_or_promote_admin(email="admin@example.com", password=PASSWORD, name="Admin")
        .user.id
    )
    admin = auth.acting_as(admin_id)
    buyer_user = RegistrationService().register(
        email="buyer@example.com", password=PASSWORD, name="Buyer"
    )
    buyer = auth.acting_as(buyer_user.id)
    account_id = AccountService().all_of(buyer.user_id)[0].id
    LedgerService().deposit(admin, account_id, amount=100_00)
    catalog = CatalogService()
    mug = catalog.create(admin, sku="MUG", name="Mug", price=12_50, stock=10).id
    cup = catalog.create(admin, sku="CUP", name="Cup", price=3_00, stock=10).id
    return Shop(buyer=buyer, account_id=account_id, mug=mug, cup=cup)


def state(shop: Shop) -> tuple[int, int, int, int, int]:
    """Orders, stored keys, the buyer's balance and both stocks, read fresh."""
    db.session.rollback()
    return (
        db.session.scalar(select(func.count(Order.id))),
        db.session.scalar(select(func.count(IdempotencyKey.id))),
        db.session.get(Account, shop.account_id).balance,
        db.session.get(Product, shop.mug).stock,
        db.session.get(Product, shop.cup).stock,
    )


def fill_cart(shop: Shop, *lines: tuple[int, int]) -> None:
    for product_id, quantity in lines:
        assert CartService().add(shop.buyer.user_id, {}, product_id, quantity).problem is None


def test_checkout_of_a_cart_changed_since_shown_raises_cart_changed_and_orders_nothing(shop):
    shown = [LineRequest(shop.mug, 1)]
    fill_cart(shop, (shop.mug, 1), (shop.cup, 1))  # the cup added in another tab
    before = state(shop)
    with pytest.raises(CartChanged) as raised:
        OrderService().checkout(shop.buyer, key="form-1", account_id=shop.account_id, shown=shown)
    assert (raised.value.code, raised.value.status) == ("CART_CHANGED", 409)
    assert state(shop) == before == (0, 0, 100_00, 10, 10)
    assert CartService().view(shop.buyer.user_id, {}).cart == {shop.mug: 1, shop.cup: 1}


def test_checkout_compares_the_cart_in_product_order_and_places_it_once(shop):
    shown = [LineRequest(shop.mug, 2), LineRequest(shop.cup, 1)]
    fill_cart(shop, (shop.cup, 1), (shop.mug, 2))  # the order lines were added in
    first = OrderService().checkout(
        shop.buyer, key="form-1", account_id=shop.account_id, shown=shown
    )
    assert first.replayed is False
    assert (first.order.total, first.order.currency) == (28_00, "USD")
    assert state(shop) == (1, 1, 100_00 - 28_00, 8, 9)
    # The same form again, after the first emptied the cart: the first order, nothing more.
    assert CartService().view(shop.buyer.user_id, {}).cart == {}
    again = OrderService().checkout(
        shop.buyer, key="form-1", account_id=shop.account_id, shown=shown
    )
    assert (again.replayed, again.order.id) == (True, first.order.id)
    assert state(shop) == (1, 1, 100_00 - 28_00, 8, 9)


def test_a_refused_checkout_leaves_the_stored_cart_as_it_was(shop):
    fill_cart(shop, (shop.mug, 9))  # 112.50, the account holds 100.00
    shown = [LineRequest(shop.mug, 9)]
    before = state(shop)
    with pytest.raises(InsufficientFunds):
        OrderService().checkout(shop.buyer, key="form-1", account_id=shop.account_id, shown=shown)
    assert state(shop) == before == (0, 0, 100_00, 10, 10)
    assert CartService().view(shop.buyer.user_id, {}).cart == {shop.mug: 9}
