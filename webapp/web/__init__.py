"""HTML pages: browser sessions and CSRF-protected forms."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

# Routes register themselves on bp.
from webapp.web import (  # noqa: E402,F401
    admin_shop,
    auth,
    home,
    session_auth,
    settings,
    shop,
    wallet,
)
