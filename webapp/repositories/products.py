"""Queries over the catalog."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from webapp.models import Product
from webapp.repositories.base import Repository
from webapp.repositories.keyset import KeysetOrder, Page

# Oldest first: the catalog keeps its order as products are added.
CATALOG_ORDER = KeysetOrder((Product.id,), descending=False)
ACTIVE = Product.is_active.is_(True)


def catalog_cursor(product: Any) -> str:
    """The cursor of the catalog page that follows `product` (a Product or a record of one)."""
    return CATALOG_ORDER.encode(product)


class ProductRepository(Repository[Product]):
    model = Product

    @property
    def default_order(self) -> KeysetOrder:
        return CATALOG_ORDER

    def find_by_sku(self, sku: str) -> Product | None:
        return self.session.scalar(select(Product).where(Product.sku == sku))

    def first_active(self, limit: int) -> list[Product]:
        """The head of the public catalog: its first `limit` products on sale."""
        return self.find_many(where=[ACTIVE], limit=limit)

    def page_catalog(
        self, *, limit: int, cursor: str | None, include_archived: bool
    ) -> Page[Product]:
        """One catalog page after `cursor`: products on sale, or every product for admins."""
        where = [] if include_archived else [ACTIVE]
        return self.find_page(limit=limit, cursor=cursor, where=where)
