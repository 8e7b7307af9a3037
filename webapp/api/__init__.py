"""/api/v1: the JSON surface. Bearer tokens only, so CSRF does not apply here."""

from __future__ import annotations

# Importing the route modules registers their routes on the blueprint.
from webapp.api import (
    access_tokens,
    account_recovery,
    admin,
    auth,
    closing,
    export,
    mfa,
    openapi,
    payment_requests,
    shop,
    users,
    wallet,
)
from webapp.api.blueprint import bp

__all__ = [
    "access_tokens",
    "account_recovery",
    "admin",
    "auth",
    "bp",
    "closing",
    "export",
    "mfa",
    "openapi",
    "payment_requests",
    "shop",
    "users",
    "wallet",
]
