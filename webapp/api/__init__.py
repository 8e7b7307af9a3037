"""/api/v1: the JSON surface. Bearer tokens only, so CSRF does not apply here."""

from __future__ import annotations

# Importing the route modules registers their routes on the blueprint.
from webapp.api import accounts, admin, auth, openapi, shop, users
from webapp.api.blueprint import bp

__all__ = ["accounts", "admin", "auth", "bp", "openapi", "shop", "users"]
