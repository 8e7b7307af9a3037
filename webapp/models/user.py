"""Users, their roles, and their sessions (browser logins and API refresh-token families)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from webapp.core.email_address import MAX_EMAIL_LENGTH, skeleton
from webapp.models.base import Base, CreatedAtMixin, TimestampMixin, utcnow

ROLE_USER = "user"
ROLE_ADMIN = "admin"
ROLES = (ROLE_USER, ROLE_ADMIN)

SKELETON_LENGTH = 1024  # a character's prototype may be a few characters long

SESSION_BROWSER = "browser"
SESSION_API = "api"


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are stored lowercased; the unique constraint then makes them
        # unique case-insensitively.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # A closed account is deactivated for good (webapp.services.users.closing).
        CheckConstraint("closed_at IS NULL OR NOT is_active", name="closed_is_inactive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), unique=True)
    # The email's Unicode TR39 skeleton, to find an existing address a new one looks like.
    email_skeleton: Mapped[str] = mapped_column(String(SKELETON_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None]
    # TOTP (RFC 6238): the base32 secret, set at enrollment and kept while the factor is on;
    # the factor is on once confirmed. The last time step accepted refuses a replayed code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # Mail the member when money arrives on one of their accounts (a transfer, a deposit).
    notify_money_received: Mapped[bool] = mapped_column(default=True, server_default=true())
    # When the member closed the account: their personal data is erased, and it stays
    # inactive for good.
    closed_at: Mapped[datetime | None]

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="UserRole.role",
    )

    @validates("email")
    def _keep_skeleton(self, _key: str, email: str) -> str:
        self.email_skeleton = skeleton(email)
        return email

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
        Index("ix_user_roles_role_user_id", "role", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class AuthSession(CreatedAtMixin, Base):
    """One login: a browser session, or an API refresh-token family."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        CheckConstraint(f"kind IN {(SESSION_BROWSER, SESSION_API)!r}", name="kind_known"),
        Index("ix_auth_sessions_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # When the member last proved who they are in this session: the login, or a confirmed
    # password since (webapp.services.step_up). A refresh keeps it.
    auth_time: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(CreatedAtMixin, Base):
    """A refresh token, stored only as a hash. Its family is the API session it belongs to."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
