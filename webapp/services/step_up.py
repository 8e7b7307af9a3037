"""Step-up: proving it is still you before an action a stolen session must not take.

Each session keeps `auth_time`, when its member last proved who they are: the login, or a
password (and second-factor code) confirmed since on `/confirm-password`. A refresh keeps
it. The actions that need it (a personal access token, closing the account) call
`require_recent_login` first: older than `REAUTH_WINDOW`, they are refused with
ReauthenticationRequired, which the API answers as a 401 and the pages as a trip to
`/confirm-password` and back. The check reads the session's row: these actions are rare,
and the answer must hold the moment a password is confirmed on any worker.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from webapp.core.errors import ReauthenticationRequired, ValidationError
from webapp.core.passwords import passwords
from webapp.models.base import utcnow
from webapp.services.events import DomainEvent, subject
from webapp.services.mfa.service import MfaService
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user

WRONG_PASSWORD = "The password is incorrect."
REAUTHENTICATED = "user.reauthenticated"


def require_recent_login(principal: Principal) -> None:
    """Refuse unless this session proved who its member is within REAUTH_WINDOW. A personal
    access token has no login to be recent: it may not take these actions at all (403).
    An operator's command needs none."""
    principal.require_login_session()
    if principal.is_operator:
        return
    window = timedelta(seconds=current_app.config["REAUTH_WINDOW"])
    with UnitOfWork() as uow:
        auth_time = uow.sessions.auth_time_of(principal.user_id, principal.session_id)
    if auth_time is None or auth_time < utcnow() - window:
        raise ReauthenticationRequired()


class StepUpService:
    def confirm_password(self, principal: Principal, *, password: str, code: str = "") -> None:
        """Renew this session's `auth_time` for its member's password, and a current or
        recovery code when a second factor is on (a wrong code counts toward its lock)."""
        principal.require_login_session()
        user_id, session_id = principal.user_id, principal.session_id
        with UnitOfWork() as uow:
            user = load_user(uow, user_id)
            password_hash, second_factor = user.password_hash, user.mfa_enabled
        if not passwords.verify(password_hash, password):
            raise ValidationError(details={"password": WRONG_PASSWORD})

        def renew(uow: UnitOfWork) -> None:
            if not uow.sessions.renew_auth_time(user_id, session_id, utcnow()):
                raise ReauthenticationRequired()  # the session ended meanwhile
            uow.emit(
                DomainEvent(
                    REAUTHENTICATED,
                    subject("user", user_id),
                    {"sessionId": str(session_id)},
                    actor_id=user_id,
                )
            )

        if second_factor:
            MfaService().login_with_code(user_id, code, renew, kind="reauthentication")
        else:
            transaction(renew)
