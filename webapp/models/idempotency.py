"""Idempotency keys: the first response to a keyed POST, replayed for 24 hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, CreatedAtMixin, JsonDocument


class IdempotencyKey(CreatedAtMixin, Base):
    """A NULL response_status means the first request is still in flight."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        CheckConstraint(
            "response_status IS NULL OR (response_status >= 100 AND response_status < 600)",
            name="response_status_http",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 of method, path and body: the same key with another request is refused.
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    expires_at: Mapped[datetime] = mapped_column(index=True)
