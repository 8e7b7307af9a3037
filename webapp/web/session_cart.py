"""Whose cart a request reads and writes: a logged-in member's stored cart, or a visitor's
session cart (product id → quantity, kept in the signed session cookie until login merges it
into the member's, `CartService.merge_at_login`).

The rules of a cart (what may be added, and how much) are `CartService`'s.
"""

from __future__ import annotations

from flask import session
from flask_login import current_user

from webapp.services.shop.cart import Cart, CartChange, CartService
from webapp.services.shop.orders import LineRequest

CART = "cart"


def cart_contents() -> Cart:
    """The session cart as product id → quantity, in the order the products were added."""
    return {int(pid): int(qty) for pid, qty in session.get(CART, {}).items()}


def save_cart(cart: Cart) -> None:
    session[CART] = {str(pid): qty for pid, qty in cart.items()}


def cart_owner() -> int | None:
    """The member whose stored cart this request uses; None for a visitor."""
    return current_user.id if current_user.is_authenticated else None


def held_cart() -> Cart:
    """What the caller hands `CartService` as the visitor's cart (a member's is stored)."""
    return {} if current_user.is_authenticated else cart_contents()


def keep(change: CartChange) -> None:
    """A visitor's changed cart back into the session (a member's is already stored)."""
    if not current_user.is_authenticated:
        save_cart(change.cart)


def cart_quantity() -> int:
    """How many items the cart holds, for the navigation."""
    owner = cart_owner()
    if owner is None:
        return sum(cart_contents().values())
    return CartService().quantity(owner)


def take_session_cart(user_id: int) -> None:
    """At login: the session cart merged into the member's stored cart (the caller clears
    the session afterwards), and the top bar's count of it cached for the pages that follow."""
    carts = CartService()
    carts.merge_at_login(user_id, cart_contents())
    carts.quantity(user_id)


def cart_snapshot(cart: Cart) -> str:
    """The cart in canonical form, "3:2,5:1": what the checkout form says was ordered."""
    return ",".join(f"{pid}:{qty}" for pid, qty in sorted(cart.items()))


def parse_snapshot(snapshot: str) -> list[LineRequest]:
    pairs = (item.split(":") for item in snapshot.split(","))
    return [LineRequest(int(pid), int(qty)) for pid, qty in pairs]
