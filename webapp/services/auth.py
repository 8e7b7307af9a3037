"""Authentication: logins (browser and token), token rotation, logouts, principals.

A login opens a session (an `auth_sessions` row): a browser login or an API refresh-token
family. Access tokens name their session (`sid`) and are accepted only while that
session and its user are active, which the cached user record answers without SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from webapp.core.email_address import InvalidEmail, email_key, normalize_email
from webapp.core.errors import AccountDisabled, NotFound, Unauthorized
from webapp.core.passwords import passwords
from webapp.core.tokens import (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    InvalidToken,
    TokenClaims,
    TokenSettings,
    decode_token,
    encode_token,
    hash_token,
)
from webapp.models import AuthSession, RefreshToken, User
from webapp.models.base import utcnow
from webapp.models.event import SUBJECT_LENGTH
from webapp.models.user import SESSION_API, SESSION_BROWSER
from webapp.services.access_tokens import looks_like_personal_token, principal_for_personal_token
from webapp.services.events import DomainEvent, subject
from webapp.services.mfa.service import MfaService
from webapp.services.principal import OPERATOR_SESSION, Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_records import user_records
from webapp.services.user_rows import load_user

BAD_CREDENTIALS = "Invalid email or password."
BAD_TOKEN = "The token is invalid, expired or revoked."

FAILED_UNKNOWN_EMAIL = "unknown_email"
FAILED_BAD_PASSWORD = "bad_password"
FAILED_DISABLED = "disabled"


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SecondFactorNeeded:
    """A right password for a user with a second factor: the browser login waits for a
    code (`AuthService.complete_browser_login`); no session is open yet."""

    user_id: int


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def token_settings() -> TokenSettings:
    config = current_app.config
    return TokenSettings(
        secret=config["JWT_SECRET_KEY"],
        issuer=config["JWT_ISSUER"],
        algorithm=config["JWT_ALGORITHM"],
        access_ttl=config["ACCESS_TOKEN_TTL"],
        refresh_ttl=config["REFRESH_TOKEN_TTL"],
    )


def claimed_email_subject(typed: str) -> str:
    """The subject of a failed login for an email no user has: "email:<the email>" when
    what was typed is an email, else "email:invalid" (it may be a password typed into the
    wrong field, which the log must not keep)."""
    try:
        address = normalize_email(typed)
    except InvalidEmail:
        return "email:invalid"
    return f"email:{address}"[:SUBJECT_LENGTH]


def printable(text: str) -> str:
    """A header value as it may be stored and shown: control characters dropped."""
    return "".join(c for c in text if c.isprintable())


class AuthService:
    def authenticate(
        self,
        email: str,
        password: str,
        *,
        kind: str | None = None,
        client: ClientInfo | None = None,
    ) -> User:
        """Check credentials: one answer for an unknown email and a wrong password.

        An unknown email still costs a password verification, so timing tells nothing.
        A disabled account is only reported to someone who knows its password. Every
        refusal is recorded (`user.login_failed`) in a write of its own, the same write
        whichever the reason, so that neither the answer nor its time tells them apart.
        """
        typed = email_key(email)
        with UnitOfWork() as uow:
            user = uow.users.find_by_email(typed)
        if user is None:
            passwords.verify_dummy(password)
            self._record_failed_login(
                claimed_email_subject(typed), FAILED_UNKNOWN_EMAIL, kind, client
            )
            raise Unauthorized(BAD_CREDENTIALS)
        if not passwords.verify(user.password_hash, password):
            self._record_failed_login(subject("user", user.id), FAILED_BAD_PASSWORD, kind, client)
            raise Unauthorized(BAD_CREDENTIALS)
        if not user.is_active:
            self._record_failed_login(subject("user", user.id), FAILED_DISABLED, kind, client)
            raise AccountDisabled()
        return user

    @staticmethod
    def _record_failed_login(
        about: str, reason: str, kind: str | None, client: ClientInfo | None
    ) -> None:
        data: dict[str, str] = {"reason": reason}
        if kind is not None:
            data["kind"] = kind
        if client is not None and client.ip is not None:
            data["ip"] = client.ip
        # No actor: whoever tried has not proved who they are.
        transaction(lambda uow: uow.emit(DomainEvent("user.login_failed", about, data)))

    def login_browser(
        self, email: str, password: str, client: ClientInfo
    ) -> AuthSession | SecondFactorNeeded:
        """Open a browser session; the caller puts its id in the (rotated) cookie. For a
        user with a second factor, nothing opens yet: the page asks for a code next."""
        user = self.authenticate(email, password, kind=SESSION_BROWSER, client=client)
        if user.mfa_enabled:
            if passwords.needs_rehash(user.password_hash):
                transaction(lambda uow: self._rehash(uow, user.id, password))
            return SecondFactorNeeded(user.id)
        return transaction(
            lambda uow: self._open_session(uow, user, password, SESSION_BROWSER, client)
        )

    def complete_browser_login(self, user_id: int, code: str, client: ClientInfo) -> AuthSession:
        """The second step of a browser login: a current or recovery code opens the session
        (401 MFA_REQUIRED when wrong, 429 after too many wrong ones)."""

        def open_session(uow: UnitOfWork) -> AuthSession:
            user = load_user(uow, user_id, missing=Unauthorized(BAD_CREDENTIALS))
            if not user.is_active:
                raise AccountDisabled()
            return self._open_session(uow, user, None, SESSION_BROWSER, client)

        return MfaService().login_with_code(user_id, code, open_session, kind=SESSION_BROWSER)

    def login_for_tokens(
        self, email: str, password: str, client: ClientInfo, otp: str = ""
    ) -> TokenPair:
        """Open an API session (a refresh-token family) and issue its first token pair.

        A user with a second factor also gives `otp`, a current or recovery code; without a
        right one the answer is 401 MFA_REQUIRED, asked only once the password is right.
        """
        user = self.authenticate(email, password, kind=SESSION_API, client=client)

        def work(uow: UnitOfWork) -> TokenPair:
            session = self._open_session(uow, user, password, SESSION_API, client)
            pair, _row = self._issue_pair(uow, user.id, session.id)
            return pair

        if user.mfa_enabled:
            return MfaService().login_with_code(user.id, otp, work, kind=SESSION_API)
        return transaction(work)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the presented token dies and a new pair is issued in its family.

        Presenting a token that was already rotated means it leaked: the whole family is
        revoked (its newest token too) and `auth.refresh_reuse` is recorded.
        """
        claims = self._decode(refresh_token, REFRESH_TOKEN)
        pair = transaction(lambda uow: self._rotate(uow, refresh_token, claims.session_id))
        if pair is None:
            raise Unauthorized(BAD_TOKEN)
        return pair

    def logout(self, refresh_token: str) -> None:
        """End the session of this refresh token: its refresh and access tokens die now."""
        claims = self._decode(refresh_token, REFRESH_TOKEN, verify_expiry=False)

        def work(uow: UnitOfWork) -> None:
            row = uow.refresh_tokens.find_by_hash_for_update(hash_token(refresh_token))
            if row is None or row.family_id != claims.session_id:
                raise Unauthorized(BAD_TOKEN)
            self._end_session(uow, claims.user_id, row.family_id)

        transaction(work)

    def logout_session(self, user_id: int, session_id: int) -> None:
        """End one of the user's sessions (browser logout, or revoke from settings)."""

        def work(uow: UnitOfWork) -> None:
            session = uow.sessions.find_by_id(session_id)
            if session is None or session.user_id != user_id:
                raise NotFound("No such session.")
            self._end_session(uow, user_id, session_id)

        transaction(work)

    def logout_everywhere(self, user_id: int, *, actor_id: int | None = None) -> None:
        """End every session of the user: browser logins and token families alike."""

        def work(uow: UnitOfWork) -> None:
            ended = uow.sessions.revoke_all_for(user_id, utcnow())
            uow.emit(
                DomainEvent(
                    "user.sessions_revoked",
                    subject("user", user_id),
                    {"sessions": len(ended)},
                    actor_id=user_id if actor_id is None else actor_id,
                )
            )

        transaction(work)

    def touch_session(self, session_id: int) -> None:
        """Record that a browser session was just used (shown in settings)."""

        def work(uow: UnitOfWork) -> None:
            session = uow.sessions.find_by_id(session_id)
            if session is not None and session.revoked_at is None:
                session.last_used_at = utcnow()

        transaction(work)

    def acting_as(self, user_id: int) -> Principal:
        """The principal of an operator command run as this user (no login session)."""
        record = user_records.get(user_id)
        if record is None or not record.is_active:
            raise Unauthorized("No such active user.")
        return Principal(record=record, session_id=OPERATOR_SESSION)

    def principal_for_access_token(self, token: str) -> Principal:
        """The caller behind a bearer: an access token (JWT) or a personal access token."""
        if looks_like_personal_token(token):
            personal = principal_for_personal_token(token)
            if personal is None:
                raise Unauthorized(BAD_TOKEN)
            return personal
        claims = self._decode(token, ACCESS_TOKEN)
        principal = self.principal_for_session(claims.user_id, claims.session_id)
        if principal is None:
            raise Unauthorized(BAD_TOKEN)
        return principal

    def principal_for_session(self, user_id: int, session_id: int) -> Principal | None:
        """The caller if the user is active and the session still open; no SQL when cached."""
        record = user_records.get(user_id)
        if record is None or not record.is_active or session_id not in record.session_ids:
            return None
        return Principal(record=record, session_id=session_id)

    # --- inside a unit of work ------------------------------------------------------------

    @staticmethod
    def _rehash(uow: UnitOfWork, user_id: int, password: str) -> None:
        user = uow.users.find_by_id(user_id)
        if user is not None and passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash(password)

    def _open_session(
        self, uow: UnitOfWork, user: User, password: str | None, kind: str, client: ClientInfo
    ) -> AuthSession:
        """`password` (when the login gave it) updates a hash made with older settings."""
        user = uow.users.find_by_id(user.id) or user
        if password is not None and passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash(password)
        session = uow.sessions.create(
            user_id=user.id,
            kind=kind,
            last_used_at=utcnow(),
            user_agent=printable(client.user_agent or "")[:255] or None,
            ip_address=client.ip,
        )
        uow.emit(
            DomainEvent(
                "user.login",
                subject("user", user.id),
                {"sessionId": str(session.id), "kind": kind},
                actor_id=user.id,
            )
        )
        return session

    def _issue_pair(
        self, uow: UnitOfWork, user_id: int, session_id: int
    ) -> tuple[TokenPair, RefreshToken]:
        settings = token_settings()
        access = encode_token(
            settings, user_id=user_id, session_id=session_id, token_type=ACCESS_TOKEN
        )
        refresh = encode_token(
            settings, user_id=user_id, session_id=session_id, token_type=REFRESH_TOKEN
        )
        row = uow.refresh_tokens.create(
            family_id=session_id,
            token_hash=hash_token(refresh),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_ttl),
        )
        pair = TokenPair(access_token=access, refresh_token=refresh, expires_in=settings.access_ttl)
        return pair, row

    def _rotate(self, uow: UnitOfWork, refresh_token: str, family_id: int) -> TokenPair | None:
        row = uow.refresh_tokens.find_by_hash_for_update(hash_token(refresh_token))
        if row is None or row.family_id != family_id:
            return None
        session = uow.sessions.find_by_id(row.family_id)
        assert session is not None  # the foreign key guarantees it
        now = utcnow()
        if row.revoked_at is not None:
            if row.replaced_by_id is not None and session.revoked_at is None:
                uow.sessions.revoke(session.id, now)
                uow.emit(
                    DomainEvent(
                        "auth.refresh_reuse",
                        subject("user", session.user_id),
                        {"sessionId": str(session.id)},
                        # No actor: the holder of a leaked token may be anyone.
                    )
                )
            return None
        if session.revoked_at is not None or row.expires_at <= now:
            return None
        pair, successor = self._issue_pair(uow, session.user_id, session.id)
        row.revoked_at = now
        row.replaced_by_id = successor.id
        session.last_used_at = now
        return pair

    def _end_session(self, uow: UnitOfWork, user_id: int, session_id: int) -> None:
        uow.sessions.revoke(session_id, utcnow())
        uow.emit(
            DomainEvent(
                "user.logout",
                subject("user", user_id),
                {"sessionId": str(session_id)},
                actor_id=user_id,
            )
        )

    @staticmethod
    def _decode(token: str, token_type: str, *, verify_expiry: bool = True) -> TokenClaims:
        try:
            return decode_token(
                token_settings(), token, expected_type=token_type, verify_expiry=verify_expiry
            )
        except InvalidToken as exc:
            raise Unauthorized(BAD_TOKEN) from exc
