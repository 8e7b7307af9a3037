"""HTML pages: browser sessions and CSRF-protected forms."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

from webapp.web import home, session_auth  # noqa: E402,F401  (they register themselves)
