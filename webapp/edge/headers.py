"""Security headers on every response, and no caching of API answers."""

from __future__ import annotations

from flask import Flask, Response, session

from webapp.edge.errors import is_json_surface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def register_security_headers(app: Flask) -> None:
    hsts = app.config.get("HSTS_ENABLED", False)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if hsts:
            headers["Strict-Transport-Security"] = HSTS
        # The API, and every page someone is logged in to, is private and changes.
        if is_json_surface() or session.get("_user_id"):
            headers["Cache-Control"] = "no-store"
        return response
