"""The one place errors become responses: the envelope under /api, a page elsewhere.

Routing errors (404, 405) never reach a blueprint's handlers, so everything is handled
at the app level and the surface is chosen by path.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Flask, Response, redirect, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp.core.errors import (
    AppError,
    ReauthenticationRequired,
    ServiceUnavailable,
    TooManyAttempts,
)
from webapp.edge.envelope import error_envelope

log = logging.getLogger(__name__)

JSON_PATHS = frozenset({"/healthz", "/readyz"})

# Codes of the contract's error table, for errors raised by Flask/Werkzeug themselves.
HTTP_ERROR_CODES = {
    400: ("BAD_REQUEST", "The request could not be understood."),
    401: ("UNAUTHORIZED", "Authentication is required."),
    403: ("FORBIDDEN", "You do not have permission to do this."),
    404: ("NOT_FOUND", "Not found."),
    405: ("METHOD_NOT_ALLOWED", "This method is not allowed here."),
    409: ("CONFLICT", "The request conflicts with the current state."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is larger than 64 KiB."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."),
    422: ("VALIDATION_ERROR", "Some fields are invalid."),
    429: ("RATE_LIMITED", "Too many requests. Slow down and try again later."),
    500: ("INTERNAL_ERROR", "Something went wrong on our side."),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
}

PAGE_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Slow down",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
PAGE_MESSAGES = {
    403: "You do not have access to this page.",
    404: "There is nothing at this address.",
    429: "You have made too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


def is_json_surface() -> bool:
    path = request.path
    return path == "/api" or path.startswith("/api/") or path in JSON_PATHS


# A snake_case segment of a detail name; any other (camelCase from a schema's alias, an
# index, a pydantic location such as "function-after[…]") is on the wire as it is.
SNAKE_SEGMENT = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def wire_name(name: str) -> str:
    """A detail's name as the API spells it: "items.0.product_id" → "items.0.productId"."""
    return ".".join(
        to_camel(part) if SNAKE_SEGMENT.fullmatch(part) else part for part in name.split(".")
    )


def render_api_error(
    status: int, code: str, message: str, details: Mapping[str, str] | None = None
) -> Response:
    """The envelope of an error; services name details in Python, the wire in camelCase."""
    wire_details = {wire_name(name): text for name, text in (details or {}).items()}
    return error_envelope(code, message, status, details=wire_details)


def render_error_page(status: int, message: str | None = None) -> Response:
    title = PAGE_TITLES.get(status, "Error")
    message = message or PAGE_MESSAGES.get(status) or HTTP_ERROR_CODES.get(status, ("", ""))[1]
    try:
        body = render_template("errors/error.html", status=status, title=title, message=message)
    except Exception:
        # The error page must not fail in turn: fall back to a page without the layout.
        log.exception("error page could not be rendered")
        body = f"<!doctype html><title>{status} {escape(title)}</title><h1>{escape(title)}</h1>"
    return Response(body, status=status, mimetype="text/html")


def _respond(
    status: int,
    code: str,
    message: str,
    details: dict[str, str] | None = None,
    *,
    page_message: str | None = None,
) -> Response:
    """The envelope on the JSON surface; elsewhere the error page (its own wording by default)."""
    if is_json_surface():
        response = render_api_error(status, code, message, details)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="tally"'
        return response
    return render_error_page(status, page_message)


# Where a page that needs a recent login sends the member (webapp.web.step_up serves it).
CONFIRM_PASSWORD_PATH = "/confirm-password"


def to_confirm_password() -> Response:
    """The step-up page, then back here: to this page, or for a form sent here (a POST), to
    the same address's GET, where it is filled and sent again."""
    back = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(f"{CONFIRM_PASSWORD_PATH}?{urlencode({'next': back})}")


def handle_app_error(error: AppError) -> Response:
    if isinstance(error, ReauthenticationRequired) and not is_json_surface():
        return to_confirm_password()
    if isinstance(error, ServiceUnavailable):
        log.error("service unavailable: %s", error.message)
    elif error.status >= 500:
        log.error("application error", exc_info=error)
    page_message = error.message if error.status < 500 else None
    response = _respond(
        error.status, error.code, error.message, error.details, page_message=page_message
    )
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
        response.headers["X-RateLimit-Limit"] = str(error.limit)
        response.headers["X-RateLimit-Remaining"] = "0"
        response.headers["X-RateLimit-Reset"] = str(int(time.time()) + error.retry_after)
    return response


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code, default_message = HTTP_ERROR_CODES.get(status, ("HTTP_ERROR", error.name))
    details = None
    if isinstance(error, RateLimitExceeded):
        # flask-limiter describes the limit ("10 per 1 minute"): a detail, not the message.
        message, details = None, {"limit": str(error.description)}
    else:
        # Our own raises carry a specific description; Werkzeug's defaults are replaced.
        message = error.description if error.description != type(error).description else None
    response = _respond(status, code, message or default_message, details, page_message=message)
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            response.headers[name] = value
    return response


def handle_csrf_error(error: CSRFError) -> Response:
    message = "The form has expired. Go back, reload the page and try again."
    return _respond(400, "BAD_REQUEST", message, page_message=message)


def handle_database_unavailable(error: OperationalError) -> Response:
    log.error("database unavailable", exc_info=error)
    unavailable = ServiceUnavailable()
    return _respond(unavailable.status, unavailable.code, unavailable.message)


def handle_unexpected_error(error: Exception) -> Response:
    log.error("unhandled exception", exc_info=error)
    code, message = HTTP_ERROR_CODES[500]
    return _respond(500, code, message)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
