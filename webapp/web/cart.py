"""The session cart: product id → quantity, kept in the signed session cookie.

Lines are shown with each product as the catalog has it now (read through the cache);
the rules of an order (stock, funds, limits) are the order service's, applied at checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session

from webapp.errors import NotFound
from webapp.services.catalog import CatalogService, ProductRecord
from webapp.services.orders import LineRequest

CART = "cart"


def cart_contents() -> dict[int, int]:
    """The cart as product id → quantity, in the order the products were added."""
    return {int(pid): int(qty) for pid, qty in session.get(CART, {}).items()}


def save_cart(cart: dict[int, int]) -> None:
    session[CART] = {str(pid): qty for pid, qty in cart.items()}


def cart_snapshot(cart: dict[int, int]) -> str:
    """The cart in canonical form, "3:2,5:1": what the checkout form says was ordered."""
    return ",".join(f"{pid}:{qty}" for pid, qty in sorted(cart.items()))


def parse_snapshot(snapshot: str) -> list[LineRequest]:
    pairs = (item.split(":") for item in snapshot.split(","))
    return [LineRequest(int(pid), int(qty)) for pid, qty in pairs]


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int
    product: ProductRecord | None  # None: the product is gone from the database
    errors: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return self.product is not None and self.product.is_active

    @property
    def line_total(self) -> int:
        return self.product.price * self.quantity if self.product is not None else 0


def cart_lines(cart: dict[int, int], errors: dict[int, list[str]] | None = None) -> list[CartLine]:
    """Each line with its product as the catalog has it now (read through the cache)."""
    lines = []
    for product_id, quantity in cart.items():
        try:
            product: ProductRecord | None = CatalogService().get(product_id, include_archived=True)
        except NotFound:
            product = None
        problems = tuple((errors or {}).get(product_id, ()))
        lines.append(CartLine(product_id, quantity, product, problems))
    return lines


def totals_of(lines: list[CartLine]) -> dict[str, int]:
    """What the available lines cost, per currency."""
    totals: dict[str, int] = {}
    for line in lines:
        if line.available and line.product is not None:
            currency = line.product.currency
            totals[currency] = totals.get(currency, 0) + line.line_total
    return totals
