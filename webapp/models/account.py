"""Wallet accounts. Balances are integer minor units and never negative for members."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, TimestampMixin

KIND_MEMBER = "member"
# System accounts are the other side of money entering or leaving Tally (deposits,
# shop revenue); only they may run a negative balance, so every entry has two sides.
KIND_SYSTEM = "system"
DEFAULT_CURRENCY = "USD"
MAIN_ACCOUNT_NAME = "Main"


class Account(TimestampMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(f"kind IN {(KIND_MEMBER, KIND_SYSTEM)!r}", name="kind_known"),
        CheckConstraint(f"balance >= 0 OR kind = '{KIND_SYSTEM}'", name="balance_not_negative"),
        CheckConstraint(
            f"(kind = '{KIND_MEMBER}' AND user_id IS NOT NULL)"
            f" OR (kind = '{KIND_SYSTEM}' AND user_id IS NULL)",
            name="owner_matches_kind",
        ),
        CheckConstraint("length(currency) = 3", name="currency_iso"),
        UniqueConstraint("user_id", "name"),
        Index("ix_accounts_user_id_id", "user_id", "id"),
        # One system account per purpose and currency, even when two first uses race.
        Index(
            "uq_accounts_system_name_currency",
            "name",
            "currency",
            unique=True,
            sqlite_where=text(f"kind = '{KIND_SYSTEM}'"),
            postgresql_where=text(f"kind = '{KIND_SYSTEM}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), default=KIND_MEMBER)
    name: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    balance: Mapped[int] = mapped_column(default=0)
