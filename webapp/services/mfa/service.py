"""The second factor's use cases: turn it on and off, new recovery codes, an admin's or an
operator's reset, and the code step of a login."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pyotp

from webapp.core.email_address import email_key
from webapp.core.errors import (
    AppError,
    Conflict,
    Forbidden,
    MfaRequired,
    NotFound,
    ValidationError,
)
from webapp.core.passwords import passwords
from webapp.core.tokens import hash_token
from webapp.models import User
from webapp.models.base import utcnow
from webapp.models.user import ROLE_ADMIN
from webapp.services.events import DomainEvent, subject
from webapp.services.mail import public_link, queue_mail
from webapp.services.mfa.failure_lock import (
    PURPOSE_CONFIRM,
    PURPOSE_DISABLE,
    PURPOSE_LOGIN,
    PURPOSE_RECOVERY_CODES,
    Refused,
    counting_transaction,
    failures,
)
from webapp.services.mfa.totp import (
    RECOVERY_CODE_COUNT,
    is_totp_code,
    matching_step,
    new_recovery_code,
    normalize_code,
)
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user

T = TypeVar("T")

ISSUER = "Tally"

WRONG_CODE = "The code is wrong, expired or already used."
WRONG_PASSWORD = "The password is wrong."
ALREADY_ON = "A second factor is already on."
NOT_STARTED = "No second factor is waiting for confirmation: turn it on first."
NOT_ON = "No second factor is on."
ADMIN_FACTOR_NOT_RESET = (
    "An admin's second factor is not reset from the app: they turn it off themselves with "
    "their password and a code, or an operator runs flask reset-second-factor."
)


@dataclass(frozen=True)
class TotpEnrollment:
    secret: str
    otpauth_uri: str


@dataclass(frozen=True)
class RecoveryCodes:
    recovery_codes: list[str]


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    enrollment: TotpEnrollment | None  # set while a new secret waits for its first code
    recovery_codes_left: int


def wrong(field: str) -> ValidationError:
    """The answer to a wrong code or password, on its field."""
    return ValidationError(details={field: WRONG_PASSWORD if field == "password" else WRONG_CODE})


def admin_may_reset(user: User) -> bool:
    """An admin resets a member's second factor, never an admin's: a stolen admin session
    must not strip a factor for good. Their own goes with their password and a code."""
    return not user.has_role(ROLE_ADMIN)


def enrollment_of(user: User) -> TotpEnrollment:
    assert user.totp_secret is not None
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TotpEnrollment(secret=user.totp_secret, otpauth_uri=uri)


class MfaService:
    # --- turning it on and off --------------------------------------------------------------

    def status(self, user_id: int) -> MfaStatus:
        """What the security settings page shows."""
        with UnitOfWork() as uow:
            user = load_user(uow, user_id)
            enrollment = None
            if user.totp_secret is not None and not user.mfa_enabled:
                enrollment = enrollment_of(user)
            left = uow.recovery_codes.count_unused_for(user_id) if user.mfa_enabled else 0
            return MfaStatus(user.mfa_enabled, enrollment, left)

    def start_enrollment(self, principal: Principal) -> TotpEnrollment:
        """A new secret for the caller, waiting for a code to confirm it (409 when on)."""
        principal.require_login_session()

        def work(uow: UnitOfWork) -> TotpEnrollment:
            user = load_user(uow, principal.user_id, lock=True)
            if user.mfa_enabled:
                raise Conflict(ALREADY_ON)
            user.totp_secret = pyotp.random_base32()
            user.totp_last_step = None
            return enrollment_of(user)

        return transaction(work)

    def confirm_enrollment(self, principal: Principal, code: str) -> RecoveryCodes:
        """Turn the factor on with a current code; the ten recovery codes, shown only now."""
        principal.require_login_session()
        user_id = principal.user_id
        typed = normalize_code(code)

        def work(uow: UnitOfWork) -> RecoveryCodes | Refused:
            user = self._user_to_check(uow, user_id)
            if user.mfa_enabled or user.totp_secret is None:
                raise Conflict(ALREADY_ON if user.mfa_enabled else NOT_STARTED)
            step = matching_step(user.totp_secret, typed, after=user.totp_last_step)
            if step is None:
                return failures.refuse(
                    uow, user_id, PURPOSE_CONFIRM, wrong("code"), actor_id=user_id
                )
            user.totp_enabled_at = utcnow()
            user.totp_last_step = step
            codes = self._replace_recovery_codes(uow, user_id)
            uow.emit(DomainEvent("user.mfa_enabled", subject("user", user_id), actor_id=user_id))
            return codes

        return counting_transaction(work)

    def disable(self, principal: Principal, *, password: str, code: str) -> None:
        """Turn the caller's factor off: their password and a current or recovery code.

        A wrong password counts toward the lock like a wrong code: a stolen session must
        not be able to guess the password here faster than through the login.
        """
        principal.require_login_session()
        user_id = principal.user_id
        typed = normalize_code(code)
        with UnitOfWork() as uow:
            # Refused early, without the hash's cost; `work` checks again under the lock.
            failures.ensure_not_locked(uow, user_id)
            user = load_user(uow, user_id)
            if not user.mfa_enabled:
                raise Conflict(NOT_ON)
            password_hash = user.password_hash
        # Checked before the write lock is taken: a password hash costs time on purpose.
        password_ok = passwords.verify(password_hash, password)

        def work(uow: UnitOfWork) -> Refused | None:
            user = self._user_to_check(uow, user_id)
            if not user.mfa_enabled:
                raise Conflict(NOT_ON)
            if not password_ok or not self._consume(uow, user, typed):
                field = "code" if password_ok else "password"
                return failures.refuse(
                    uow, user_id, PURPOSE_DISABLE, wrong(field), actor_id=user_id
                )
            self._turn_off(uow, user, by_admin=False, actor_id=user_id)
            return None

        counting_transaction(work)

    def regenerate_recovery_codes(self, principal: Principal, code: str) -> RecoveryCodes:
        """Ten new recovery codes for a current code; the old ones stop working."""
        principal.require_login_session()
        user_id = principal.user_id
        typed = normalize_code(code)

        def work(uow: UnitOfWork) -> RecoveryCodes | Refused:
            user = self._user_to_check(uow, user_id)
            if not user.mfa_enabled or user.totp_secret is None:
                raise Conflict(NOT_ON)
            step = matching_step(user.totp_secret, typed, after=user.totp_last_step)
            if step is None:
                return failures.refuse(
                    uow, user_id, PURPOSE_RECOVERY_CODES, wrong("code"), actor_id=user_id
                )
            user.totp_last_step = step
            codes = self._replace_recovery_codes(uow, user_id)
            uow.emit(
                DomainEvent(
                    "user.recovery_codes_replaced", subject("user", user_id), actor_id=user_id
                )
            )
            return codes

        return counting_transaction(work)

    def reset_by_admin(self, actor: Principal, user_id: int) -> None:
        """An admin turns a member's factor off (they lost their device and their codes);
        never an admin's, their own included (see `admin_may_reset`)."""
        actor.require_admin()

        def work(uow: UnitOfWork) -> None:
            user = load_user(uow, user_id, lock=True)
            if not admin_may_reset(user):
                raise Forbidden(ADMIN_FACTOR_NOT_RESET)
            if not user.mfa_enabled:
                raise Conflict(NOT_ON)
            self._turn_off(uow, user, by_admin=True, actor_id=actor.user_id)

        transaction(work)

    def reset_by_operator(self, email: str) -> User:
        """`flask reset-second-factor`: anyone's factor, an admin's included. Whoever runs a
        command on the servers needs no admin session to be trusted."""

        def work(uow: UnitOfWork) -> User:
            found = uow.users.find_by_email(email_key(email))
            if found is None:
                raise NotFound("No user has that email.")
            user = load_user(uow, found.id, lock=True)
            if not user.mfa_enabled:
                raise Conflict(NOT_ON)
            self._turn_off(uow, user, by_admin=True, actor_id=None)
            return user

        return transaction(work)

    # --- logging in -------------------------------------------------------------------------

    def login_with_code(
        self, user_id: int, code: str, open_session: Callable[[UnitOfWork], T], *, kind: str
    ) -> T:
        """The second step of a login: `open_session` runs in the transaction that accepts
        `code`, so a code opens one session at most. No code → 401 MFA_REQUIRED (not counted);
        a wrong one → 401 MFA_REQUIRED, counted; while locked → 429."""
        typed = normalize_code(code)
        if not typed:
            raise MfaRequired()

        def work(uow: UnitOfWork) -> T | Refused:
            user = self._user_to_check(uow, user_id, missing=MfaRequired())
            # Turned off since the password was checked: there is nothing left to check.
            if user.mfa_enabled and not self._consume(uow, user, typed):
                return failures.refuse(uow, user_id, PURPOSE_LOGIN, MfaRequired(), kind=kind)
            return open_session(uow)

        return counting_transaction(work)

    # --- inside a unit of work --------------------------------------------------------------

    def _user_to_check(
        self, uow: UnitOfWork, user_id: int, missing: AppError | None = None
    ) -> User:
        """The user row, locked, once the lock after wrong codes lets a code be checked: the
        count is read under the row lock, so it includes every try that went before."""
        # Locked until commit: two requests with one code cannot both pass.
        user = load_user(uow, user_id, lock=True, missing=missing)
        failures.ensure_not_locked(uow, user_id)
        return user

    def _consume(self, uow: UnitOfWork, user: User, typed: str) -> bool:
        """Accept a current TOTP code or an unused recovery code once; False if neither."""
        if is_totp_code(typed):
            assert user.totp_secret is not None
            step = matching_step(user.totp_secret, typed, after=user.totp_last_step)
            if step is None:
                return False
            user.totp_last_step = step
            return True
        if not typed:
            return False
        row = uow.recovery_codes.find_unused_for_update(user.id, hash_token(typed))
        if row is None:
            return False
        row.used_at = utcnow()
        uow.flush()
        left = uow.recovery_codes.count_unused_for(user.id)
        uow.emit(
            DomainEvent(
                "user.recovery_code_used",
                subject("user", user.id),
                {"remaining": left},
                actor_id=user.id,
            )
        )
        return True

    def _replace_recovery_codes(self, uow: UnitOfWork, user_id: int) -> RecoveryCodes:
        uow.recovery_codes.delete_for(user_id)
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        for code in codes:
            uow.recovery_codes.add(user_id=user_id, code_hash=hash_token(normalize_code(code)))
        return RecoveryCodes(codes)

    @staticmethod
    def _turn_off(uow: UnitOfWork, user: User, *, by_admin: bool, actor_id: int | None) -> None:
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        uow.recovery_codes.delete_for(user.id)
        uow.emit(
            DomainEvent(
                "user.mfa_disabled",
                subject("user", user.id),
                {"byAdmin": by_admin},
                actor_id=actor_id,
            )
        )
        queue_mail(
            uow,
            kind="mfa_disabled",
            to=user.email,
            user_id=user.id,
            name=user.name,
            when=utcnow().strftime("%Y-%m-%d %H:%M"),
            by_admin=by_admin,
            reset_link=public_link("/forgot-password"),
        )
