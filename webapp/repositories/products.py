"""Queries over the catalog."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from webapp.models import Product
from webapp.repositories.base import Repository
from webapp.repositories.keyset import KeysetOrder


class ProductRepository(Repository[Product]):
    model = Product

    @property
    def default_order(self) -> KeysetOrder:
        """Oldest first: the catalog keeps its order as products are added."""
        return KeysetOrder((Product.id,), descending=False)

    def find_by_sku(self, sku: str) -> Product | None:
        return self.session.scalar(select(Product).where(Product.sku == sku))

    def lock_for_update(self, product_ids: Iterable[int]) -> dict[int, Product]:
        """Lock the rows in ascending id order and read their committed stock."""
        statement = (
            select(Product)
            .where(Product.id.in_(sorted(set(product_ids))))
            .order_by(Product.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {product.id: product for product in self.session.scalars(statement)}
