"""/api/v1 email verification and password reset."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import operation
from webapp.api.schemas.account_recovery import (
    EmailVerification,
    MailQueuedPublic,
    PasswordResetConfirm,
    PasswordResetRequest,
)
from webapp.infra.ratelimits import (
    client_ip,
    password_reset_per_email,
    password_reset_per_ip,
    verification_mail_per_user,
)
from webapp.services.email_verification import EmailVerificationService
from webapp.services.mailed_links import MailQueued
from webapp.services.password_reset import PasswordResetService


@bp.post("/users/me/verify-email")
@verification_mail_per_user
@operation("users", status=202, response=MailQueuedPublic, refusals=(403, 409))
def send_verification_email() -> MailQueued:
    """Mail the caller a new link to verify their email address (older links stop working).

    409 when the address is already verified. A personal access token with the `write`
    scope may ask too: the link goes to the member's own address and changes nothing.
    """
    return EmailVerificationService().resend(principal())


@bp.post("/auth/verify-email")
@operation("auth", auth=False, body=EmailVerification)
def verify_email(body: EmailVerification) -> None:
    """Verify an email address with the token of a mailed `/verify-email/<token>` link.

    A token that does not work (unknown, used, expired, or replaced by a newer link) is one
    422 (`details.token`), whatever the reason.
    """
    EmailVerificationService().verify(body.token)


@bp.post("/auth/password-reset")
@password_reset_per_ip
@password_reset_per_email
@operation("auth", status=202, auth=False, body=PasswordResetRequest, response=MailQueuedPublic)
def request_password_reset(body: PasswordResetRequest) -> MailQueued:
    """Mail a link to reset the password to the member with this email, if there is one.

    The answer is the same, in about the same time, whether or not the email belongs to
    anyone. Limited to 5 an hour per client IP and per email, with the page's requests.
    """
    return PasswordResetService().request_reset(body.email, ip=client_ip())


@bp.post("/auth/password-reset/confirm")
@operation("auth", auth=False, body=PasswordResetConfirm)
def confirm_password_reset(body: PasswordResetConfirm) -> None:
    """Set a new password with the token of a mailed `/reset-password/<token>` link.

    Every session and personal access token of the member ends, and they are mailed. A
    token that does not work is one 422 (`details.token`) whatever the reason.
    """
    PasswordResetService().reset(body.token, body.new_password)
