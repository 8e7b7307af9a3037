"""GET /api/docs: Swagger UI over the OpenAPI document, every file served from this app."""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, abort, render_template, send_from_directory, url_for

# flask-swagger-ui ships Swagger UI's dist files (its release number is Swagger UI's).
SWAGGER_UI_DIST = str(files("flask_swagger_ui") / "dist")
# Only what the page loads: nothing else of the package is reachable.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})

docs_bp = Blueprint("api_docs", __name__, url_prefix="/api/docs")


@docs_bp.get("")
def docs_page() -> str:
    return render_template("api/docs.html", openapi_url=url_for("api.openapi_document"))


@docs_bp.get("/assets/<path:filename>")
def docs_asset(filename: str) -> Response:
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI_DIST, filename)
