"""Queries over members' carts: a member's lines in the order they were added."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from webapp.models import CartItem
from webapp.repositories.base import Repository


class CartItemRepository(Repository[CartItem]):
    model = CartItem

    def lines_of(self, user_id: int) -> dict[int, int]:
        """The member's cart as product id → quantity, oldest line first, in one query."""
        statement = (
            select(CartItem.product_id, CartItem.quantity)
            .where(CartItem.user_id == user_id)
            .order_by(CartItem.added_at, CartItem.id)
        )
        return {product_id: quantity for product_id, quantity in self.session.execute(statement)}

    def quantity_held(self, user_id: int) -> int:
        statement = select(func.coalesce(func.sum(CartItem.quantity), 0)).where(
            CartItem.user_id == user_id
        )
        return int(self.session.scalar(statement) or 0)

    def put(self, user_id: int, product_id: int, quantity: int) -> None:
        """Set the line's quantity, adding the line when the cart has none of the product."""
        statement = select(CartItem).where(
            CartItem.user_id == user_id, CartItem.product_id == product_id
        )
        line = self.session.scalar(statement)
        if line is None:
            self.session.add(CartItem(user_id=user_id, product_id=product_id, quantity=quantity))
        else:
            line.quantity = quantity
        self.session.flush()

    def remove(self, user_id: int, product_id: int) -> bool:
        statement = delete(CartItem).where(
            CartItem.user_id == user_id, CartItem.product_id == product_id
        )
        return bool(self.session.execute(statement).rowcount)

    def empty(self, user_id: int) -> None:
        self.session.execute(delete(CartItem).where(CartItem.user_id == user_id))
