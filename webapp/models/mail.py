"""The outbox: every mail, queued in the transaction of the change that causes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.email_address import MAX_EMAIL_LENGTH
from webapp.models.base import Base, CreatedAtMixin

MAX_MAIL_ATTEMPTS = 8


class OutboxMail(CreatedAtMixin, Base):
    """A mail to send. `sent_at` is set once delivered, and the bodies (which may hold a
    single-use link) are then emptied; a failed try counts in `attempts`, keeps its
    `last_error`, and waits until `next_attempt_at` (`flask send-mail` does not wait)."""

    __tablename__ = "outbox_mails"
    __table_args__ = (
        Index("ix_outbox_mails_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None]  # whom it is about, for the audit trail (no foreign key: kept)
    kind: Mapped[str] = mapped_column(String(48))  # the template, e.g. "password_reset"
    recipient: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None]
    # Set while one sender is trying it, so no other sender takes it meanwhile; a sender
    # that dies leaves a lease that simply runs out.
    leased_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
