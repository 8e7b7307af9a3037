"""Carts: what a member or a visitor means to order, and the rules of changing it.

A member's cart is stored (`cart_items`), so it is the same after logging in again and on
every device; a visitor's is a product id → quantity map that the caller keeps (the web
pages keep it in the session) and hands in with each call, getting the new one back. At
login the visitor's cart is merged into the member's: quantities added, each line capped at
the most one order line may hold, in one transaction.

Whether a line may be ordered is the order service's to say (`OrderService.check_cart`, by
the rules `place` enforces: a product still sold, 1 to MAX_QUANTITY, the stock); this
service words a refusal for the quantity field it answers. The products of a cart are read
in one query, so showing a cart runs the same statements whatever its number of lines;
the navigation's count of a member's items is cached (`cart_quantity.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from webapp.core.errors import OutOfStock
from webapp.models.order import MAX_QUANTITY
from webapp.services.shop.cart_quantity import cart_changed, cart_quantity
from webapp.services.shop.catalog import ProductRecord
from webapp.services.shop.orders import CartCheck, LineRequest, OrderService
from webapp.services.unit_of_work import UnitOfWork, transaction

Cart = dict[int, int]  # product id → quantity, in the order the products were added
T = TypeVar("T")


@dataclass(frozen=True)
class CartView:
    """A cart and what each of its lines may be ordered as now."""

    cart: Cart
    check: CartCheck


@dataclass(frozen=True)
class CartChange:
    """A change's answer: the cart after it (as it was, when refused) and, when refused,
    why, worded for the quantity field."""

    cart: Cart
    problem: str | None = None


def line_requests(cart: Cart) -> list[LineRequest]:
    return [LineRequest(pid, qty) for pid, qty in cart.items()]


def quantity_refused(check: CartCheck, product_id: int, in_cart: int = 0) -> str | None:
    """The order service's refusal of this product's line, worded for its quantity field;
    `in_cart` is what the cart held of it before (an addition's total is what was checked)."""
    line = check.line(product_id)
    held = f" Your cart holds {in_cart}." if in_cart else ""
    if line.refusal is not None and not line.sold:
        return line.problem
    if isinstance(line.refusal, OutOfStock) and line.product is not None:
        return f"The shop has only {line.product.stock} in stock.{held}"
    if line.refusal is not None:
        return f"{line.problem}{held}"
    if check.refusal is not None:
        return f"This product cannot be added. {check.problem}"
    return None


def merged(stored: Cart, held: Cart, known: set[int]) -> Cart:
    """`held` added to `stored`, each line capped at MAX_QUANTITY; products not in `known`
    (no such product) are left out."""
    cart = dict(stored)
    for product_id, quantity in held.items():
        if product_id in known and quantity > 0:
            cart[product_id] = min(cart.get(product_id, 0) + quantity, MAX_QUANTITY)
    return cart


class CartService:
    """Every method takes the cart's owner: a member's user id, or None for a visitor, whose
    cart (`held`) the caller keeps."""

    def view(self, member: int | None, held: Cart) -> CartView:
        with UnitOfWork() as uow:
            cart = uow.cart_items.lines_of(member) if member is not None else dict(held)
            return CartView(cart, self._check(uow, cart))

    def quantity(self, member: int) -> int:
        """How many items the member's cart holds (for the navigation; cached)."""
        return cart_quantity(member)

    def holds(self, member: int | None, held: Cart, product_id: int) -> bool:
        """Whether the cart has a line of this product."""
        with UnitOfWork() as uow:
            cart = uow.cart_items.lines_of(member) if member is not None else held
            return product_id in cart

    def add(self, member: int | None, held: Cart, product_id: int, quantity: int) -> CartChange:
        """`quantity` more of the product, if the line may then be ordered."""

        def work(uow: UnitOfWork) -> CartChange:
            cart = self._cart(uow, member, held)
            in_cart = cart.get(product_id, 0)
            wanted = {**cart, product_id: in_cart + quantity}
            if problem := quantity_refused(self._check(uow, wanted), product_id, in_cart):
                return CartChange(cart, problem)
            if member is not None:
                uow.cart_items.put(member, product_id, wanted[product_id])
            return CartChange(wanted)

        return self._run(member, work)

    def set_quantity(
        self, member: int | None, held: Cart, product_id: int, quantity: int
    ) -> CartChange | None:
        """The line's quantity set to `quantity`, if it may then be ordered; None when the
        cart holds no such line."""

        def work(uow: UnitOfWork) -> CartChange | None:
            cart = self._cart(uow, member, held)
            if product_id not in cart:
                return None
            wanted = {**cart, product_id: quantity}
            if problem := quantity_refused(self._check(uow, wanted), product_id):
                return CartChange(cart, problem)
            if member is not None:
                uow.cart_items.put(member, product_id, quantity)
            return CartChange(wanted)

        return self._run(member, work)

    def remove(self, member: int | None, held: Cart, product_id: int) -> CartChange | None:
        """The cart without the product's line; None when it held none."""

        def work(uow: UnitOfWork) -> CartChange | None:
            cart = self._cart(uow, member, held)
            if cart.pop(product_id, None) is None:
                return None
            if member is not None:
                uow.cart_items.remove(member, product_id)
            return CartChange(cart)

        return self._run(member, work)

    def merge_at_login(self, member: int, held: Cart) -> Cart | None:
        """Add a visitor's cart to the member's stored one, in one transaction; returns the
        member's cart after it (None, and no statement, when `held` is empty). Quantities of
        a product in both are added, capped at MAX_QUANTITY; a product no longer sold is kept
        (the cart page says so), one that does not exist is dropped."""
        if not held:
            return None

        def work(uow: UnitOfWork) -> Cart:
            stored = self._cart(uow, member, {})
            known = set(uow.products.find_by_ids(held))
            cart = merged(stored, held, known)
            for product_id, quantity in cart.items():
                if stored.get(product_id) != quantity:
                    uow.cart_items.put(member, product_id, quantity)
            return cart

        cart = transaction(work)
        cart_changed(member)
        return cart

    @staticmethod
    def _run(member: int | None, work: Callable[[UnitOfWork], T]) -> T:
        """A member's change in a transaction; a visitor's only reads."""
        if member is not None:
            result = transaction(work)
            cart_changed(member)
            return result
        with UnitOfWork() as uow:
            return work(uow)

    @staticmethod
    def _cart(uow: UnitOfWork, member: int | None, held: Cart) -> Cart:
        if member is None:
            return dict(held)
        uow.users.lock_for_update([member])  # one change of a member's cart at a time
        return uow.cart_items.lines_of(member)

    @staticmethod
    def _check(uow: UnitOfWork, cart: Cart) -> CartCheck:
        products = {
            product.id: ProductRecord.of(product)
            for product in uow.products.find_by_ids(cart).values()
        }
        return OrderService().check_cart(line_requests(cart), products)
