"""The session cart: product id → quantity, kept in the signed session cookie.

What the lines may be ordered as (stock, whether a product is still sold, the limits of an
order) is the order service's to say: `OrderService.check_cart`.
"""

from __future__ import annotations

from flask import session

from webapp.services.shop.orders import LineRequest

CART = "cart"


def cart_contents() -> dict[int, int]:
    """The cart as product id → quantity, in the order the products were added."""
    return {int(pid): int(qty) for pid, qty in session.get(CART, {}).items()}


def save_cart(cart: dict[int, int]) -> None:
    session[CART] = {str(pid): qty for pid, qty in cart.items()}


def line_requests(cart: dict[int, int]) -> list[LineRequest]:
    return [LineRequest(pid, qty) for pid, qty in cart.items()]


def cart_snapshot(cart: dict[int, int]) -> str:
    """The cart in canonical form, "3:2,5:1": what the checkout form says was ordered."""
    return ",".join(f"{pid}:{qty}" for pid, qty in sorted(cart.items()))


def parse_snapshot(snapshot: str) -> list[LineRequest]:
    pairs = (item.split(":") for item in snapshot.split(","))
    return [LineRequest(int(pid), int(qty)) for pid, qty in pairs]
