"""The domain error hierarchy.

Services raise these; `webapp.edge.errors` is the one place that turns them into an API
envelope or an error page. Nothing here knows about Flask.
"""

from __future__ import annotations

from collections.abc import Mapping


class AppError(Exception):
    """Base of every error a caller may see: a stable code, an HTTP status, a message."""

    code = "INTERNAL_ERROR"
    status = 500
    message = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, details: Mapping[str, str] | None = None):
        self.message = message or type(self).message
        self.details = dict(details) if details else None
        super().__init__(self.message)


class BadRequest(AppError):
    code = "BAD_REQUEST"
    status = 400
    message = "The request could not be understood."


class InvalidCursor(BadRequest):
    message = "The cursor is malformed."


class Unauthorized(AppError):
    code = "UNAUTHORIZED"
    status = 401
    message = "Authentication is required."


class MfaRequired(Unauthorized):
    code = "MFA_REQUIRED"
    message = "A current code from your authenticator app (or a recovery code) is required."


class ReauthenticationRequired(Unauthorized):
    """The action needs a login more recent than the session's (`REAUTH_WINDOW`)."""

    code = "REAUTHENTICATION_REQUIRED"
    message = "Confirm it is you: log in again (or confirm your password) to do this."


class Forbidden(AppError):
    code = "FORBIDDEN"
    status = 403
    message = "You do not have permission to do this."


class AccountDisabled(Forbidden):
    code = "ACCOUNT_DISABLED"
    message = "This account has been disabled."


class InsufficientScope(Forbidden):
    code = "INSUFFICIENT_SCOPE"
    message = "This personal access token may not do this."


class EmailNotVerified(Forbidden):
    code = "EMAIL_NOT_VERIFIED"
    message = "Verify your email address first: we sent you a link."


class NotFound(AppError):
    code = "NOT_FOUND"
    status = 404
    message = "Not found."


class Conflict(AppError):
    code = "CONFLICT"
    status = 409
    message = "The request conflicts with the current state."


class CartChanged(Conflict):
    """The cart a checkout page showed is no longer the cart (it changed in another tab).

    Only the pages keep a cart, so the API never answers with this code."""

    code = "CART_CHANGED"
    message = "Your cart changed since this page was shown. Check it and place the order again."


class AccountNotEmpty(Conflict):
    """An account is closed only once every wallet account of it is empty."""

    code = "ACCOUNT_NOT_EMPTY"
    message = "Move the money out of your accounts first: an account that holds money stays open."


class ValidationError(AppError):
    code = "VALIDATION_ERROR"
    status = 422
    message = "Some fields are invalid."


class BusinessRuleError(AppError):
    """A well-formed request that the rules of the domain refuse."""

    status = 422


class InsufficientFunds(BusinessRuleError):
    code = "INSUFFICIENT_FUNDS"
    message = "The account does not hold enough money."


class OutOfStock(BusinessRuleError):
    code = "OUT_OF_STOCK"
    message = "Not enough stock."


class CurrencyMismatch(BusinessRuleError):
    code = "CURRENCY_MISMATCH"
    message = "The currencies do not match."


class IdempotencyKeyReused(BusinessRuleError):
    code = "IDEMPOTENCY_KEY_REUSED"
    message = "This Idempotency-Key was used with a different request."


class TooManyAttempts(AppError):
    """A limit that a service counts itself (wrong second-factor codes), as a 429."""

    code = "RATE_LIMITED"
    status = 429
    message = "Too many attempts. Wait a few minutes and try again."

    def __init__(self, message: str | None = None, *, retry_after: int, limit: int) -> None:
        super().__init__(message)
        self.retry_after = max(int(retry_after), 1)
        self.limit = limit


class ServiceUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    message = "The service is temporarily unavailable."
