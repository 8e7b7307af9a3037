"""A member's password: a change with the current one, and the new password a change and a
reset share."""

from __future__ import annotations

from webapp.core.errors import ValidationError
from webapp.core.passwords import passwords
from webapp.models import User
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_RESET_PASSWORD
from webapp.services.events import DomainEvent, subject
from webapp.services.mail import public_link, queue_mail
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user
from webapp.services.users.rules import check_password_rules

FORGOT_PASSWORD_PATH = "/forgot-password"  # where a mail about a password change points


def set_password(
    uow: UnitOfWork,
    user: User,
    new_password: str,
    *,
    keep_session_id: int | None,
    tokens_revoked: int | None = None,
) -> None:
    """A new password, for a change and a reset alike: every session but `keep_session_id`
    ends, the open reset links die, and the member is mailed. `tokens_revoked` (a reset
    through a mailed link, which also revoked that many personal access tokens) makes it a
    `user.password_reset`."""
    now = utcnow()
    reset = tokens_revoked is not None
    user.password_hash = passwords.hash(new_password)
    ended = uow.sessions.revoke_all_for(user.id, now, keep=keep_session_id)
    uow.link_tokens.void_open(user.id, PURPOSE_RESET_PASSWORD, now)
    data = {"sessionsEnded": len(ended)}
    if reset:
        data["tokensRevoked"] = tokens_revoked
    uow.emit(
        DomainEvent(
            "user.password_reset" if reset else "user.password_changed",
            subject("user", user.id),
            data,
            actor_id=user.id,
        )
    )
    queue_mail(
        uow,
        kind="password_changed",
        to=user.email,
        user_id=user.id,
        name=user.name,
        how="reset" if reset else "changed",
        when=now.strftime("%Y-%m-%d %H:%M"),
        ended_tokens=reset,
        reset_link=public_link(FORGOT_PASSWORD_PATH),
    )


def check_current_password(
    user: User, current_password: str, *, field: str = "current_password"
) -> None:
    """422 on `field` (currentPassword unless told) unless it is the user's password."""
    if not passwords.verify(user.password_hash, current_password):
        raise ValidationError(details={field: "The current password is incorrect."})


class PasswordService:
    def change_password(
        self, user_id: int, *, current_password: str, new_password: str, keep_session_id: int
    ) -> None:
        """Set a new password; every other session of the user ends, the caller's stays."""
        check_password_rules(new_password, field="new_password")

        def work(uow: UnitOfWork) -> None:
            user = load_user(uow, user_id)
            check_current_password(user, current_password)
            set_password(uow, user, new_password, keep_session_id=keep_session_id)

        transaction(work)
