"""HTML pages: browser sessions and CSRF-protected forms."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

# Routes register themselves on bp.
from webapp.web import auth, home, session_auth, settings, wallet  # noqa: E402,F401
