"""The blueprint of the operator's endpoints (probes and /metrics), at the root of the site.

It lives apart from the package's `__init__`, which imports the endpoint modules: were the
blueprint defined there, each endpoint module would import its own importer (a cycle).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ops", __name__)
