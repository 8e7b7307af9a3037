"""The double-entry ledger: one transaction per money movement, lines that sum to zero."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.account import Account
from webapp.models.base import Base, CreatedAtMixin

TX_DEPOSIT = "deposit"
TX_TRANSFER = "transfer"
TX_ORDER_PAYMENT = "order_payment"
TX_REFUND = "refund"
TRANSACTION_TYPES = (TX_DEPOSIT, TX_TRANSFER, TX_ORDER_PAYMENT, TX_REFUND)


class LedgerTransaction(CreatedAtMixin, Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        CheckConstraint(f"type IN {TRANSACTION_TYPES!r}", name="type_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_ledger_transactions_type_created_at", "type", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str | None] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id"
    )


class LedgerEntry(CreatedAtMixin, Base):
    """One side of a transaction: a signed amount on one account and the balance after it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # Newest-first keyset pagination of an account's history walks this index.
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
        # A date-filtered history finds an account's lines of those days here (0007).
        Index("ix_ledger_entries_account_id_created_at_id", "account_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="RESTRICT"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    amount: Mapped[int]
    balance_after: Mapped[int]

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[Account] = relationship()
