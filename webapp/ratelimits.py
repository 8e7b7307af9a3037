"""Rate-limit keys and limits for flask-limiter.

Limits are callables that read the app's config per request: the limiter object is
shared by every app in the process, and each app may configure its own.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

EMAIL_FIELD = "email"


def client_ip() -> str:
    """The socket peer; ProxyFix rewrites it only when TRUSTED_PROXIES is configured."""
    return request.remote_addr or "unknown"


def user_or_ip() -> str:
    """The API's default key: the authenticated user, else the client IP."""
    if request.path.startswith("/api/"):
        from webapp.api.auth_guard import current_principal

        principal = current_principal()
        if principal is not None:
            return f"user:{principal.user_id}"
    return f"ip:{client_ip()}"


def login_email() -> str:
    """The email a login is for, from the JSON body or the form; counted lowercased."""
    email = ""
    if request.is_json:
        max_length = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        if (request.content_length or 0) <= max_length:
            body = request.get_json(silent=True)
            if isinstance(body, dict) and isinstance(body.get(EMAIL_FIELD), str):
                email = body[EMAIL_FIELD]
    else:
        email = request.form.get(EMAIL_FIELD, "")
    return f"email:{email.strip().lower()[:254]}"


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app config at request time, e.g. configured("LOGIN_RATE_LIMIT")."""

    def limit() -> str:
        return str(current_app.config[name])

    limit.__name__ = f"limit_{name.lower()}"
    return limit


def outside_api() -> bool:
    return not request.path.startswith("/api/")
