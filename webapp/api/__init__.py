"""/api/v1: the JSON surface. Bearer tokens only, so CSRF does not apply here."""

from __future__ import annotations

from flask import Blueprint

from webapp.api.validation import require_json_object_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(require_json_object_body)

from webapp.api import accounts, auth, shop, users  # noqa: E402,F401  (routes register themselves)
