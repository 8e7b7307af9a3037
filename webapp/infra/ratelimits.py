"""The rate limiter, its keys, and the limits that pages and the API share.

Limits are callables that read the app's config per request: the limiter object is
shared by every app in the process, and each app may configure its own. A limit that
guards one thing reachable from two surfaces (a login on the page and on the API) is a
shared limit with one scope, so both surfaces count in the same bucket.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_login import current_user

from webapp.core.email_address import MAX_EMAIL_LENGTH, email_key

EMAIL_FIELD = "email"
MAX_EMAIL_TEXT = 1024  # no address is longer; the rest of a longer text is not read
PASSWORD_CHECK_FIELDS = ("currentPassword", "newPassword", "password")


def client_ip() -> str:
    """The socket peer; ProxyFix rewrites it only when TRUSTED_PROXIES is configured."""
    return request.remote_addr or "unknown"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def outside_api() -> bool:
    return not is_api_request()


def caller_or_ip() -> str:
    """The authenticated caller, else the client IP.

    On /api the caller is the bearer token's principal, which the API resolves into
    `g.principal` before the limiter counts; on pages it is the browser session's user.
    """
    if is_api_request():
        principal = g.get("principal")
        if principal is not None:
            return f"user:{principal.user_id}"
    elif current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{client_ip()}"


def _json_body() -> dict:
    """The JSON body as a dict when it is small enough to read; {} otherwise."""
    max_length = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if not request.is_json or (request.content_length or 0) > max_length:
        return {}
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def login_email() -> str:
    """The email a login or a reset is for, from the JSON body or the form, in the one form
    the lookup uses (webapp.core.email_address): every spelling of an address is one bucket."""
    given = _json_body().get(EMAIL_FIELD) if request.is_json else request.form.get(EMAIL_FIELD)
    email = given if isinstance(given, str) else ""
    return f"email:{email_key(email[:MAX_EMAIL_TEXT])[:MAX_EMAIL_LENGTH]}"


def checks_no_password() -> bool:
    """A request that sends no password (a profile update without a password change) asks
    nothing of the current password; closing the account sends `password`."""
    if is_api_request():
        return not any(field in _json_body() for field in PASSWORD_CHECK_FIELDS)
    return False


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app config at request time, e.g. configured("LOGIN_RATE_LIMIT")."""

    def limit() -> str:
        return str(current_app.config[name])

    limit.__name__ = f"limit_{name.lower()}"
    return limit


# The default limit covers /api only (per user, per IP when anonymous); pages and probes
# are limited where they need it. If the shared storage (Redis) fails, counting falls
# back to memory and the error is logged, never raised.
limiter = Limiter(
    key_func=caller_or_ip,
    default_limits=[configured("RATELIMIT_DEFAULT")],
    default_limits_exempt_when=outside_api,
    headers_enabled=True,
    swallow_errors=True,
    in_memory_fallback_enabled=True,
    key_prefix="tally",
)

# One bucket per IP and one per email, whichever surface the guess comes through.
login_per_ip = limiter.shared_limit(
    configured("LOGIN_RATE_LIMIT"), scope="login-ip", key_func=client_ip, methods=["POST"]
)
login_per_email = limiter.shared_limit(
    configured("LOGIN_RATE_LIMIT"), scope="login-email", key_func=login_email, methods=["POST"]
)
register_per_ip = limiter.shared_limit(
    configured("REGISTER_RATE_LIMIT"), scope="register-ip", key_func=client_ip, methods=["POST"]
)
refresh_per_ip = limiter.limit(configured("REFRESH_RATE_LIMIT"), key_func=client_ip)
# Someone holding a stolen session must not be able to guess the current password.
password_check_per_user = limiter.shared_limit(
    configured("PASSWORD_CHECK_RATE_LIMIT"),
    scope="password-check",
    key_func=caller_or_ip,
    methods=["POST", "PATCH"],
    exempt_when=checks_no_password,
)
# Password reset mails: one bucket per IP and one per email, shared by the page and the API,
# so that nobody floods a member's inbox (or probes addresses) from either surface.
password_reset_per_ip = limiter.shared_limit(
    configured("PASSWORD_RESET_RATE_LIMIT"),
    scope="password-reset-ip",
    key_func=client_ip,
    methods=["POST"],
)
password_reset_per_email = limiter.shared_limit(
    configured("PASSWORD_RESET_RATE_LIMIT"),
    scope="password-reset-email",
    key_func=login_email,
    methods=["POST"],
)
# A new verification link is a mail too: as many per member as reset mails per email.
verification_mail_per_user = limiter.shared_limit(
    configured("PASSWORD_RESET_RATE_LIMIT"),
    scope="verification-mail",
    key_func=caller_or_ip,
    methods=["POST"],
)


def retry_after_only_when_limited(response: Response) -> Response:
    """flask-limiter writes `Retry-After` on every response of a limited route; it tells a
    client to wait, so only a 429 carries it (the `X-RateLimit-*` headers stay on every one)."""
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def init_limiter(app: Flask) -> None:
    """Bind the limiter; its header pass is then followed by `retry_after_only_when_limited`."""
    # after_request hooks run last-registered first: registered before the limiter's, this
    # one sees the headers the limiter added.
    app.after_request(retry_after_only_when_limited)
    limiter.init_app(app)
