"""The /api/v1 blueprint that every API route module registers on.

It lives apart from the package's `__init__`, which imports the route modules: were the
blueprint defined there, each route module would import its own importer (a cycle).
"""

from __future__ import annotations

from flask import Blueprint

from webapp.api.validation import require_json_object_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(require_json_object_body)
