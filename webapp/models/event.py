"""The audit log: one row per domain event, written in the transaction of the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, CreatedAtMixin, JsonDocument

TYPE_LENGTH = 64
SUBJECT_LENGTH = 128


class Event(CreatedAtMixin, Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_type_id", "type", "id"),
        Index("ix_events_created_at", "created_at"),
        # The log of one user: events about them, or done by them, newest first.
        Index("ix_events_subject_id", "subject", "id"),
        Index("ix_events_actor_id_id", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128))
