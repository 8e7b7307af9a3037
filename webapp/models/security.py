"""Account security: single-use links (email verification, password reset), recovery
codes for the second factor, and personal access tokens. Every secret here is stored as
a SHA-256 digest only; what was sent or shown is never kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, CreatedAtMixin

PURPOSE_VERIFY_EMAIL = "verify_email"
PURPOSE_RESET_PASSWORD = "reset_password"
LINK_PURPOSES = (PURPOSE_VERIFY_EMAIL, PURPOSE_RESET_PASSWORD)

SCOPE_READ = "read"
SCOPE_WRITE = "write"
TOKEN_SCOPES = (SCOPE_READ, SCOPE_WRITE)
TOKEN_NAME_LENGTH = 100
TOKEN_MIN_DAYS, TOKEN_MAX_DAYS, TOKEN_DEFAULT_DAYS = 1, 365, 90
TOKEN_PREFIX = "tly_"
CODE_LENGTH = 32  # the longest one-time or recovery code accepted as input
DIGEST_LENGTH = 64  # hex SHA-256


class LinkToken(CreatedAtMixin, Base):
    """A link mailed to a user (`/verify-email/<token>`, `/reset-password/<token>`).

    Usable once, until `expires_at`, and only while it is the newest of its purpose for
    the user: sending a new one sets `voided_at` on the others.
    """

    __tablename__ = "link_tokens"
    __table_args__ = (
        CheckConstraint(f"purpose IN {LINK_PURPOSES!r}", name="purpose_known"),
        Index("ix_link_tokens_user_id_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]


class RecoveryCode(CreatedAtMixin, Base):
    """One of the ten single-use codes shown when a second factor is turned on."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    used_at: Mapped[datetime | None]


class PersonalAccessToken(CreatedAtMixin, Base):
    """A long-lived bearer token (`tly_…`) a member made for a script, with scopes."""

    __tablename__ = "personal_access_tokens"
    __table_args__ = (Index("ix_personal_access_tokens_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_LENGTH))
    # The scopes, space-separated in TOKEN_SCOPES order ("read", "read write").
    scopes: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
