"""The shop's pages: the catalog, the cart, checkout and the member's orders."""

from __future__ import annotations

# Importing the page modules registers their routes on the blueprint.
from webapp.web.shop import cart, catalog, checkout, orders

__all__ = ["cart", "catalog", "checkout", "orders"]
