"""HTML pages: browser sessions and CSRF-protected forms."""

from __future__ import annotations

# Importing the page modules registers their routes (and the template filters) on the blueprint.
from webapp.web import (
    admin_shop,
    auth,
    cart,
    catalog,
    checkout,
    home,
    orders,
    session_auth,
    settings,
    template_filters,
    wallet,
)
from webapp.web.blueprint import bp

__all__ = [
    "admin_shop",
    "auth",
    "bp",
    "cart",
    "catalog",
    "checkout",
    "home",
    "orders",
    "session_auth",
    "settings",
    "template_filters",
    "wallet",
]
