"""Queries over the catalog."""

from __future__ import annotations

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
