"""/api/v1/users/me/close: a member closes their account."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import operation
from webapp.api.schemas.users import AccountClose
from webapp.infra.ratelimits import password_check_per_user
from webapp.services.users.closing import ClosingService


@bp.post("/users/me/close")
@password_check_per_user
@operation("users", body=AccountClose, refusals=(403, 409))
def close_me(body: AccountClose) -> None:
    """Close the caller's account for good: every session and token ends, the personal data
    is erased, the money history stays.

    Needs a recent login (401 REAUTHENTICATION_REQUIRED) and the password (422 on
    `password`, counted in the current-password limit). 409 ACCOUNT_NOT_EMPTY while an
    account holds money (`details.accounts` names them); 409 CONFLICT for the last active
    admin. 403 INSUFFICIENT_SCOPE with a personal access token.
    """
    ClosingService().close(principal(), body.password)
