"""Bearer-token authentication for /api: the only way in (no cookies, no query strings)."""

from __future__ import annotations

from flask import g, request

from webapp.core.errors import Forbidden, InsufficientScope, Unauthorized
from webapp.services.auth import AuthService
from webapp.services.principal import Principal

_UNRESOLVED = object()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY = "This personal access token has the read scope only: it may only read (GET)."


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_principal() -> Principal | None:
    """The caller behind this request's bearer token, resolved once per request."""
    principal = g.get("principal", _UNRESOLVED)
    if principal is _UNRESOLVED:
        token = bearer_token()
        principal = None
        if token is not None:
            try:
                principal = AuthService().principal_for_access_token(token)
            except Unauthorized:
                principal = None
        g.principal = principal
        if principal is not None:
            g.user_id = principal.user_id
    return principal  # type: ignore[return-value]


def identify_api_caller() -> None:
    """Resolve an /api request's bearer token before anything counts by caller, and refuse
    a personal access token without `write` on anything but a read (403
    INSUFFICIENT_SCOPE) before anything else about the request is looked at: its route,
    method or body.

    Registered on the app ahead of the rate limiter, whose key is `g.principal`.
    """
    if request.path.startswith("/api/"):
        principal = current_principal()
        if (
            principal is not None
            and request.method not in SAFE_METHODS
            and not principal.may_write()
        ):
            raise InsufficientScope(READ_ONLY)


def authorize(roles: tuple[str, ...] = ()) -> Principal:
    """The caller: 401 without a live access token; 403 when they lack every one of `roles`."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized()
    if roles and not any(principal.has_role(role) for role in roles):
        raise Forbidden()
    return principal


def principal() -> Principal:
    """The authenticated caller, inside an operation that requires a token."""
    resolved = current_principal()
    assert resolved is not None, "principal() used in an operation that needs no token"
    return resolved
