"""/api/v1/users/me/mfa/totp: the second factor; and an admin's reset of a member's."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import operation
from webapp.api.schemas.mfa import (
    RecoveryCodesPublic,
    TotpConfirm,
    TotpDisable,
    TotpEnrollmentPublic,
)
from webapp.models.user import ROLE_ADMIN
from webapp.services.mfa.service import MfaService, RecoveryCodes, TotpEnrollment


@bp.post("/users/me/mfa/totp")
@operation("users", response=TotpEnrollmentPublic, refusals=(403, 409))
def start_totp() -> TotpEnrollment:
    """Start turning on a second factor: a new secret for the authenticator app.

    The factor is on only once confirmed with a code. 409 when it is already on; 403
    INSUFFICIENT_SCOPE with a personal access token.
    """
    return MfaService().start_enrollment(principal())


@bp.post("/users/me/mfa/totp/confirm")
@operation("users", body=TotpConfirm, response=RecoveryCodesPublic, refusals=(403, 409))
def confirm_totp(body: TotpConfirm) -> RecoveryCodes:
    """Turn the second factor on with a current code; answers its ten recovery codes, once.

    A wrong code is a 422 (`details.code`) and counts toward the lock (429); 409 when no
    enrollment waits for a code.
    """
    return MfaService().confirm_enrollment(principal(), body.code)


@bp.delete("/users/me/mfa/totp")
@operation("users", body=TotpDisable, refusals=(403, 409))
def disable_totp(body: TotpDisable) -> None:
    """Turn the second factor off: the password and a current (or recovery) code.

    A wrong password or code is a 422 (`details.password`, `details.code`) and counts toward
    the lock (429); 409 when no second factor is on. The member is mailed about it.
    """
    MfaService().disable(principal(), password=body.password, code=body.code)


@bp.delete("/users/<id:user_id>/mfa")
@operation("users", roles=(ROLE_ADMIN,), refusals=(409,))
def reset_mfa(user_id: int) -> None:
    """Turn a member's second factor off (admin): for a lost device and lost codes.

    403 when the user is an admin, the caller included (an admin turns their own off with
    DELETE /users/me/mfa/totp; another admin's is an operator's job). 409 when the member
    has none on. The member is mailed about it.
    """
    MfaService().reset_by_admin(principal(), user_id)
