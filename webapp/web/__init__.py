"""HTML pages: browser sessions and CSRF-protected forms."""

from __future__ import annotations

# Importing the page modules registers their routes (and the template filters) on the blueprint.
from webapp.web import (
    access_tokens,
    account_recovery,
    admin_dashboard,
    admin_events,
    admin_shop,
    admin_users,
    auth,
    closing,
    export,
    home,
    mfa,
    payment_requests,
    session_auth,
    settings,
    shop,
    step_up,
    template_filters,
    wallet,
)
from webapp.web.blueprint import bp

__all__ = [
    "access_tokens",
    "account_recovery",
    "admin_dashboard",
    "admin_events",
    "admin_shop",
    "admin_users",
    "auth",
    "bp",
    "closing",
    "export",
    "home",
    "mfa",
    "payment_requests",
    "session_auth",
    "settings",
    "shop",
    "step_up",
    "template_filters",
    "wallet",
]
