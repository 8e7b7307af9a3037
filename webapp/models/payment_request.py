"""Payment requests: a member asks another for an amount, into one of their accounts.

A request is `pending` until the payer pays or declines it, the requester cancels it, or
its 30 days run out. Expiry is read, not written: a pending row past `expires_at` is
`expired` to everyone (`status_at`), so no clock job has to run for it to hold.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, CreatedAtMixin

REQUEST_PENDING = "pending"
REQUEST_PAID = "paid"
REQUEST_DECLINED = "declined"
REQUEST_CANCELLED = "cancelled"
REQUEST_EXPIRED = "expired"
REQUEST_STATUSES = (
    REQUEST_PENDING,
    REQUEST_PAID,
    REQUEST_DECLINED,
    REQUEST_CANCELLED,
    REQUEST_EXPIRED,
)
REQUEST_LIFETIME = timedelta(days=30)


class PaymentRequest(CreatedAtMixin, Base):
    __tablename__ = "payment_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {REQUEST_STATUSES!r}", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("requester_id <> payer_id", name="not_to_oneself"),
        # A member's requests each way, newest first; and the pending ones they made (the limit).
        Index("ix_payment_requests_requester_id_id", "requester_id", "id"),
        Index("ix_payment_requests_payer_id_id", "payer_id", "id"),
        Index("ix_payment_requests_requester_id_status", "requester_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The requester's account the money goes to.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=REQUEST_PENDING)
    expires_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # The transfer that paid it.
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="RESTRICT")
    )

    def status_at(self, now: datetime) -> str:
        """The status as of `now`: a pending request past its expiry is expired."""
        if self.status == REQUEST_PENDING and self.expires_at <= now:
            return REQUEST_EXPIRED
        return self.status
